"""The history of a request: every change is an entry, written with its announcement (the transactional
outbox) so what the change calls for (messages, webhooks, forwarding) survives a crash.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

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
    entry = new_history_entry(
        service_request,
        kind,
        actor=actor,
        public=public,
        now=now,
        text=text,
        from_status=from_status,
        to_status=to_status,
        actor_label=actor_label,
    )
    entry.save(force_insert=True)
    # The transactional outbox: what this entry calls for (messages, webhooks, forwarding, the hazard
    # alert) is made by the worker from this row, which commits or rolls back with the entry itself.
    Announcement.objects.create(history_entry=entry, created_at=now)
    announce_on_commit()
    return entry


def new_history_entry(
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
    """An entry built, not saved: intake writes it with the request in one statement (filed_rows.py)."""
    if not actor and not actor_label:
        actor_label = RESIDENT if kind == HistoryEntry.Kind.OPENED else SYSTEM
    return HistoryEntry(
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


def announce_on_commit() -> None:
    """Wake the worker for the announcements this transaction wrote once it commits: one run for every entry
    committed meanwhile (announcements.wake)."""
    transaction.on_commit(announcements.wake)
