"""How the public site words dates and history. Presentation only: no rules live here."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civic311.service_requests.models import HistoryEntry

register = template.Library()


@register.filter
def long_date(value: dt.datetime | None) -> str:
    """The day, in the city's time zone: "Friday, January 31, 2025"."""
    if not value:
        return ""
    # Translators: a Django date format (see the "date" template filter) for a day such as
    # "Friday, January 31, 2025". Spanish might use "l j \d\e F \d\e Y".
    return date_format(timezone.localtime(value), pgettext("long date format", "l, F j, Y"))


@register.filter
def clock_time(value: dt.datetime | None) -> str:
    """The time of day, in the city's time zone: "5:00 p.m."."""
    if not value:
        return ""
    # Translators: a Django time format (see the "date" template filter) for a time such as "5:00 p.m.".
    # Spanish might use "H:i".
    return date_format(timezone.localtime(value), pgettext("clock time format", "g:i a"))


@register.filter
def history_event(entry: HistoryEntry) -> str:
    """What happened, in words the resident understands."""
    if entry.kind == HistoryEntry.Kind.OPENED:
        return _("Request received")
    if entry.kind == HistoryEntry.Kind.STATUS and entry.to_status:
        return _("Status changed to %(status)s") % {"status": entry.get_to_status_display()}
    if entry.kind == HistoryEntry.Kind.NOTE:
        return _("Update from the city")
    return str(entry.get_kind_display())


@register.filter
def public_actor(entry: HistoryEntry) -> str:
    """Who acted, as the public may see it: never a member of staff's name."""
    if entry.actor_id or not entry.actor_label:
        return _("City staff")
    return entry.who


@register.filter
def localized(obj: object, field: str) -> str:
    """Catalogue text in the reader's language: `{{ service|localized:"name" }}`."""
    return obj.localized(field)  # type: ignore[attr-defined]
