"""Residents following up their own request with the signed link in their messages: comment, reopen."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..lifecycle import Status
from ..models import HistoryEntry, ServiceRequest
from .checks import check_text
from .history import RESIDENT, record_history
from .status_changes import change_status

logger = logging.getLogger(__name__)


RESIDENT_SALT = "civic311.requests.resident"  # a signing salt: changing it would void every link already sent


def resident_link_token(service_request: ServiceRequest) -> str:
    """The signed proof, for the requester's e-mails, that its holder filed this request."""
    return signing.dumps(
        {"r": service_request.pk, "q": service_request.requester_id}, salt=RESIDENT_SALT, compress=True
    )


def resident_token_is_valid(service_request: ServiceRequest, token: str) -> bool:
    if not token or service_request.requester_id is None or len(token) > 500:
        return False
    try:
        data = signing.loads(token, salt=RESIDENT_SALT)
    except signing.BadSignature:
        return False
    return (
        isinstance(data, dict) and data.get("r") == service_request.pk and data.get("q") == service_request.requester_id
    )


def resident_window_open(service_request: ServiceRequest, now: dt.datetime) -> bool:
    """Open requests always; a finished one until CIVIC311_RESIDENT_REOPEN_DAYS after it closed (inclusive)."""
    if service_request.is_open:
        return True
    if service_request.closed_at is None:
        return False
    return now <= service_request.closed_at + dt.timedelta(days=settings.CIVIC311_RESIDENT_REOPEN_DAYS)


def _resident_checks(service_request: ServiceRequest, token: str, comment: str, errors: dict[str, list[str]]) -> str:
    if not resident_token_is_valid(service_request, token):
        errors["token"] = [_("This link is not valid for this request. Use the link from our e-mail.")]
    return check_text(comment, "comment", errors, required_message=_("Write your comment."))


def _window_message() -> str:
    return _(
        "Requests can be followed up here only within %(days)d days after they were closed. "
        "Please report the problem again."
    ) % {"days": settings.CIVIC311_RESIDENT_REOPEN_DAYS}


def resident_comment(
    service_request: ServiceRequest, *, token: str, comment: str, now: dt.datetime | None = None
) -> HistoryEntry:
    """The requester comments on their request (open, or closed within the window); staff see it."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    comment = _resident_checks(service_request, token, comment, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if not resident_window_open(current, now):
            raise ValidationError({"comment": [_window_message()]})
        current.updated_at = now
        current.save(update_fields=["updated_at"])
        # Internal: a resident's words may carry personal data and are never published.
        return record_history(
            current,
            HistoryEntry.Kind.NOTE,
            actor=None,
            actor_label=RESIDENT,
            public=False,
            now=now,
            text=_("Comment from the resident: %(comment)s") % {"comment": comment},
        )


def resident_reopen(
    service_request: ServiceRequest, *, token: str, comment: str, now: dt.datetime | None = None
) -> ServiceRequest:
    """The requester reopens their closed request, with a comment, within the window after it closed.

    Only from "closed": a duplicate, referred or cancelled request is not the resident's to reopen.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    comment = _resident_checks(service_request, token, comment, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if current.status != Status.CLOSED:
            raise ValidationError({"status": [_("Only a closed request can be reopened.")]})
        if not resident_window_open(current, now):
            raise ValidationError({"comment": [_window_message()]})
        return change_status(
            current,
            Status.REOPENED,
            actor=None,
            actor_label=RESIDENT,
            now=now,
            public_reason=_("Reopened by the resident."),
            internal_note=_("Comment from the resident: %(comment)s") % {"comment": comment},
        )
