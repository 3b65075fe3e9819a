"""The history entries of an escalation and of the missed-date redress (`..escalation` decides when)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..lifecycle import OPEN_STATES
from ..models import Escalation, HistoryEntry, ServiceRequest
from .history import record_history

logger = logging.getLogger(__name__)


def record_escalation(service_request: ServiceRequest, escalation: Escalation, *, now: dt.datetime) -> HistoryEntry:
    """The internal history entry of an escalation the caller has just inserted (in its transaction)."""
    step = escalation.step
    text = _("Escalated to %(label)s (%(offset)s business days from the due date).") % {
        "label": step.label,
        "offset": f"{step.offset_business_days:+d}",
    }
    entry = record_history(service_request, HistoryEntry.Kind.ESCALATED, actor=None, public=False, now=now, text=text)
    Escalation.objects.filter(pk=escalation.pk).update(history_entry=entry)
    return entry


def record_redress(service_request: ServiceRequest, *, now: dt.datetime | None = None) -> HistoryEntry | None:
    """Follow up a missed due date: a public entry for the resident and the request made a priority.

    Once per due date: the conditional UPDATE claims it, so a second call (another worker, the same
    sweep run twice) changes nothing and returns None. Nothing happens for a closed request or one whose
    due date has not passed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = (
            ServiceRequest.objects.filter(
                pk=service_request.pk,
                status__in=[status.value for status in OPEN_STATES],
                expected_at__isnull=False,
                expected_at__lt=now,
            )
            .filter(Q(redress_due_at__isnull=True) | ~Q(redress_due_at=F("expected_at")))
            .update(redress_due_at=F("expected_at"), is_priority=True, updated_at=now)
        )
        if not claimed:
            return None
        current = ServiceRequest.objects.select_related("jurisdiction").get(pk=service_request.pk)
        assert current.expected_at is not None
        missed = date_format(timezone.localtime(current.expected_at, current.jurisdiction.zone), "DATE_FORMAT")
        text = _(
            "We missed the date we gave you (%(date)s); your request is now a priority and a supervisor "
            "is following it up."
        ) % {"date": missed}
        return record_history(current, HistoryEntry.Kind.REDRESS, actor=None, public=True, now=now, text=text)
