"""The history of a request: every change is an entry, written with its announcement (the transactional
outbox) so what the change calls for (messages, webhooks, forwarding) survives a crash.
"""

from __future__ import annotations

import datetime as dt
import logging

from civic311 import outbox
from civic311.people.models import User

from .. import announcements
from ..models import Announcement, HistoryEntry, ServiceRequest

logger = logging.getLogger(__name__)


RESIDENT = "Resident"


SYSTEM = "System"


def record_history(
    service_request: ServiceRequest,
    kind: str,
    *,
    actor: User | None,
    public: bool,
    now: dt.datetime,
    text: str = "",
    from_status: str = "",
    to_status: str = "",
    actor_label: str = "",
) -> HistoryEntry:
    if not actor and not actor_label:
        actor_label = RESIDENT if kind == HistoryEntry.Kind.OPENED else SYSTEM
    entry = HistoryEntry.objects.create(
        service_request=service_request,
        kind=kind,
        is_public=public,
        actor=actor,
        actor_label=actor_label,
        from_status=from_status,
        to_status=to_status,
        text=text,
        created_at=now,
    )
    # The transactional outbox: what this entry calls for (messages, webhooks, forwarding, the hazard
    # alert) is made by the worker from this row, which commits or rolls back with the entry itself.
    Announcement.objects.create(history_entry=entry, created_at=now)
    outbox.wake_on_commit(announcements.announce_history_entry.enqueue, entry.pk, what="history entry", logger=logger)
    return entry
