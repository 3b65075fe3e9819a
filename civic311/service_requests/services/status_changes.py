"""Moving a request through its lifecycle (`..lifecycle`), notes, and edits to its details."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue import selectors as catalogue
from civic311.people.contact_details import check_address
from civic311.people.models import User

from ..lifecycle import FINAL_STATES, NEEDS_PUBLIC_REASON, Status, allowed_next, can_move
from ..models import Channel, HistoryEntry, ServiceRequest
from ..selectors import final_original
from .access import check_assignee, check_may_change, check_may_view
from .checks import channel_value, check_description, has_nul, nul_message
from .history import record_history

logger = logging.getLogger(__name__)


def change_status(
    service_request: ServiceRequest,
    to_status: str,
    *,
    actor: User | None,
    public_reason: str = "",
    internal_note: str = "",
    assignee: User | None = None,
    duplicate_of: ServiceRequest | None = None,
    actor_label: str = "",
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Move a request along its lifecycle, or refuse with a clear error and change nothing."""
    now = now or timezone.now()
    try:
        target = Status(to_status)
    except ValueError:
        message = _("“%(status)s” is not a status.") % {"status": str(to_status)[:40]}
        raise ValidationError({"status": message}) from None
    public_reason = (public_reason or "").strip()
    internal_note = (internal_note or "").strip()

    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        check_may_change(actor, current)
        if not can_move(current.status, target):
            allowed = ", ".join(str(Status(s).label) for s in sorted(allowed_next(current.status)))
            raise ValidationError(
                {
                    "status": _(
                        "A request that is “%(current)s” cannot become “%(target)s”. It can become: %(allowed)s."
                    )
                    % {
                        "current": Status(current.status).label,
                        "target": target.label,
                        "allowed": allowed or _("nothing"),
                    }
                }
            )
        errors: dict[str, list[str]] = {}
        if target in NEEDS_PUBLIC_REASON and not public_reason:
            errors["public_reason"] = [_("Give the reason the resident will see.")]
        if target == Status.ASSIGNED and assignee is None:
            errors["assignee"] = [_("Choose who the request is assigned to.")]
        if assignee is not None:
            check_assignee(assignee, current, errors)
        if target == Status.DUPLICATE:
            duplicate_of = _check_duplicate_target(current, duplicate_of, errors)
            if duplicate_of is not None and not public_reason:
                # A private request's number is never published: the note would tell the world it exists.
                public_reason = (
                    _("Duplicate of another request.")
                    if duplicate_of.is_private
                    else _("Duplicate of request %(number)s.") % {"number": duplicate_of.tracking_number}
                )
        if len(public_reason) > settings.CIVIC311_DESCRIPTION_MAX_CHARS:
            errors["public_reason"] = [_("The reason is too long.")]
        if has_nul(public_reason):
            errors["public_reason"] = [nul_message()]
        if has_nul(internal_note):
            errors["internal_note"] = [nul_message()]
        if errors:
            raise ValidationError(errors)

        from_status = current.status
        current.status = target
        current.updated_at = now
        if target in FINAL_STATES:
            current.closed_at = now
            current.status_notes = public_reason
        elif public_reason:
            current.status_notes = public_reason
        if target == Status.REOPENED:
            # The old close reason would mislead on an open request.
            current.status_notes = public_reason
            current.closed_at = None
            current.expected_at = catalogue.sla_due_at(current.service, now)
        if target == Status.DUPLICATE:
            current.duplicate_of = duplicate_of
        if assignee is not None:
            current.assignee = assignee
        current.save()
        record_history(
            current,
            HistoryEntry.Kind.STATUS,
            actor=actor,
            actor_label=actor_label,
            public=True,
            now=now,
            from_status=from_status,
            to_status=target,
            text=public_reason,
        )
        if assignee is not None:
            record_history(
                current,
                HistoryEntry.Kind.ASSIGNED,
                actor=actor,
                actor_label=actor_label,
                public=False,
                now=now,
                text=_("Assigned to %(name)s.") % {"name": assignee},
            )
        if internal_note:
            record_history(
                current,
                HistoryEntry.Kind.NOTE,
                actor=actor,
                actor_label=actor_label,
                public=False,
                now=now,
                text=internal_note,
            )
    return current


def add_note(
    service_request: ServiceRequest,
    text: str,
    *,
    actor: User | None,
    public: bool,
    actor_label: str = "",
    now: dt.datetime | None = None,
) -> HistoryEntry:
    """A note on a request; a public note on an open request becomes its public status note."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if len(text) > settings.CIVIC311_DESCRIPTION_MAX_CHARS:
        raise ValidationError(
            {"text": _("A note can be at most %(max)d characters.") % {"max": settings.CIVIC311_DESCRIPTION_MAX_CHARS}}
        )
    if has_nul(text):
        raise ValidationError({"text": [nul_message()]})
    return _write_note(
        service_request, text, actor=actor, public=public, actor_label=actor_label, now=now, check=check_may_change
    )


def record_another_report(
    service_request: ServiceRequest, *, actor: User, channel: str, now: dt.datetime | None = None
) -> HistoryEntry:
    """An agent adds a caller to an open request someone already reported: an internal note in the
    agent's name. Anyone who may see the request may record this; it is not working the request."""
    text = _("Another caller reported this (%(channel)s contact).") % {"channel": Channel(channel_value(channel)).label}
    return _write_note(
        service_request, text, actor=actor, public=False, now=now or timezone.now(), check=check_may_view
    )


def _write_note(
    service_request: ServiceRequest,
    text: str,
    *,
    actor: User | None,
    public: bool,
    now: dt.datetime,
    check: Callable[[User | None, ServiceRequest], None],
    actor_label: str = "",
) -> HistoryEntry:
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        check(actor, current)
        current.updated_at = now
        fields = ["updated_at"]
        if public and current.is_open:
            current.status_notes = text
            fields.append("status_notes")
        current.save(update_fields=fields)
        return record_history(
            current, HistoryEntry.Kind.NOTE, actor=actor, actor_label=actor_label, public=public, now=now, text=text
        )


EDITABLE_DETAILS = ("description", "address", "zipcode", "is_private", "hazard")


def check_details(changes: Mapping[str, object]) -> dict[str, object]:
    """Staff corrections to a request's details, checked by the intake's own rules; raises ValidationError."""
    unknown = set(changes) - set(EDITABLE_DETAILS)
    if unknown:
        raise ValidationError(_("These details cannot be edited: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    cleaned = dict(changes)
    if "description" in changes:
        cleaned["description"] = check_description(str(changes["description"] or ""), errors)
    if "address" in changes or "zipcode" in changes:
        address, zipcode = check_address(str(changes.get("address") or ""), str(changes.get("zipcode") or ""), errors)
        cleaned.update({key: value for key, value in (("address", address), ("zipcode", zipcode)) if key in changes})
    if errors:
        raise ValidationError(errors)
    return cleaned


def update_details(
    service_request: ServiceRequest,
    changes: Mapping[str, object],
    *,
    actor: User | None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Correct what a request says (description, address, privacy, hazard), leaving an internal note.

    Marking a request hazardous alerts its department, as at intake.
    """
    now = now or timezone.now()
    cleaned = check_details(changes)
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        check_may_change(actor, current)
        changed = [name for name, value in cleaned.items() if getattr(current, name) != value]
        if not changed:
            return current
        became_hazardous = "hazard" in changed and bool(cleaned["hazard"])
        for name in changed:
            setattr(current, name, cleaned[name])
        current.updated_at = now
        current.save(update_fields=[*changed, "updated_at"])
        labels = ", ".join(str(getattr(ServiceRequest._meta.get_field(name), "verbose_name", name)) for name in changed)
        record_history(
            current,
            HistoryEntry.Kind.NOTE,
            actor=actor,
            public=False,
            now=now,
            text=_("Details changed: %(fields)s.") % {"fields": labels},
        )
        if became_hazardous:
            # The entry's announcement e-mails the department (notifications), as at intake.
            record_history(
                current,
                HistoryEntry.Kind.HAZARD,
                actor=actor,
                public=False,
                now=now,
                text=_("Marked as a hazard by staff."),
            )
    return current


def _check_duplicate_target(
    current: ServiceRequest, target: ServiceRequest | None, errors: dict[str, list[str]]
) -> ServiceRequest | None:
    if target is None:
        errors["duplicate_of"] = [_("Say which request this one duplicates.")]
        return None
    # Point at the original, never at another duplicate, so chains cannot form.
    original = final_original(target, of=current)
    if original.pk == current.pk:
        errors["duplicate_of"] = [_("A request cannot duplicate itself.")]
        return None
    if original.jurisdiction_id != current.jurisdiction_id:
        errors["duplicate_of"] = [_("That request belongs to another jurisdiction.")]
        return None
    return original
