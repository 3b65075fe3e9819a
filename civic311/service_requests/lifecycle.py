"""The life of a service request, as a small explicit state machine.

    new → acknowledged → assigned → in progress ⇄ on hold → closed / duplicate / referred / cancelled
    closed → reopened → (back into the open states)

Staff may skip ahead (a request can be closed straight from "new" when the crew fixed it on sight), but
never go backwards except by reopening a closed request. Every state maps onto Open311's open/closed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Who acted, when it was not a member of staff (stored in English, shown in the reader's language), and the
# stages of a photo: the track page shows both, so their words live here with the statuses.
ACTOR_LABELS = {"Resident": _("Resident"), "System": _("System"), "Neighborhood liaison": _("Neighborhood liaison")}
PHOTO_STAGE_LABELS = {"before": _("Before"), "after": _("After")}


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    CLOSED = "closed", _("Closed")
    DUPLICATE = "duplicate", _("Duplicate")
    REFERRED = "referred", _("Referred")
    CANCELLED = "cancelled", _("Cancelled")
    REOPENED = "reopened", _("Reopened")


FINAL_STATES = frozenset({Status.CLOSED, Status.DUPLICATE, Status.REFERRED, Status.CANCELLED})
OPEN_STATES = frozenset(set(Status) - FINAL_STATES)

_ENDINGS = {Status.CLOSED, Status.DUPLICATE, Status.REFERRED, Status.CANCELLED}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, *_ENDINGS}),
    Status.ACKNOWLEDGED: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, *_ENDINGS}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.ON_HOLD, *_ENDINGS}),
    Status.IN_PROGRESS: frozenset({Status.ON_HOLD, *_ENDINGS}),
    Status.ON_HOLD: frozenset({Status.IN_PROGRESS, *_ENDINGS}),
    Status.REOPENED: frozenset({Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, *_ENDINGS}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.DUPLICATE: frozenset(),
    Status.REFERRED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# States that tell the resident why the request ended, and so need a public reason.
NEEDS_PUBLIC_REASON = frozenset({Status.CLOSED, Status.REFERRED, Status.CANCELLED})

# Reasons offered when closing; staff may write their own. These are the city's own published notes.
STANDARD_CLOSE_REASONS = [
    _("Issue Resolved"),
    _("Repair Completed"),
    _("Unable to find issue at location"),
    _("Service Not Needed"),
    _("Referred to another agency"),
]


def allowed_next(status: str) -> frozenset[Status]:
    return TRANSITIONS[Status(status)]


def can_move(from_status: str, to_status: str) -> bool:
    return Status(to_status) in TRANSITIONS[Status(from_status)]


def open311_status(status: str) -> str:
    return "closed" if Status(status) in FINAL_STATES else "open"
