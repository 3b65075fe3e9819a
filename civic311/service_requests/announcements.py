"""Telling the rest of civic311 what happened to a request: the worker's half of the transactional outbox.

Every history entry is written together with an `Announcement` row, in the same transaction
(`services.history.record_history`). Here the worker turns that row into its consequences: it sends `history_recorded`
(and `service_request_filed` for an "opened" entry) to the listeners (notifications write their outbox
rows, the Open311 client its forwarding row, surveys their "was it fixed?" e-mail) and deletes the row,
all in one transaction. So:

- a crash before the commit of the request loses the request and its announcement together;
- a crash after it leaves the announcement, which a worker picks up (at once, woken on commit, or by the
  sweep every minute);
- the wake-up is one queued run of `announce_pending` for any number of commits: a commit queues it only
  when none is queued and not yet begun (a flag in the shared cache, cleared by the run before it reads).
  At hundreds of requests a second, that is one job for many requests, not one each (docs/benchmarks.md);
- a crash while announcing rolls the listeners' rows back with the row's deletion, and it is done again;
- a listener that fails rolls back only its own savepoint (`signals.listener`): the other listeners' rows
  stay, and the row stays, with its attempt counted, to be announced again with backoff. Listeners are
  idempotent (their rows have unique keys), so announcing an entry twice makes nothing twice.

Two workers may race for one row: the conditional UPDATE that claims it takes the row's lock in the
transaction that deletes it, so the second waits and then finds nothing to claim.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from civic311 import backoff, leases

from . import signals
from .models import Announcement, HistoryEntry, ServiceRequest

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 500
# What every listener reads of an entry, read once here for all of them.
ANNOUNCED_WITH = (
    "service_request__jurisdiction",
    "service_request__service",
    "service_request__department",
    "service_request__requester",
    "service_request__assignee",
)
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_CAP = dt.timedelta(hours=1)  # never given up: a message a request needs is retried until it is made


# Set while a run of `announce_pending` is queued and has not begun; it lapses on its own if the run is lost.
WAKE_PENDING = "announcements:wake-pending"
WAKE_PENDING_SECONDS = 60
PENDING_ROUNDS = 20  # at most this many rounds of SWEEP_LIMIT in one run; the next wake or sweep goes on


@task()
def announce_history_entry(history_entry_id: int) -> bool:
    """The job that makes what one history entry calls for (messages, webhooks, forwarding); a no-op once
    done. Kept for jobs queued before `announce_pending` took its place; the sweep (`tasks`) guarantees it."""
    return announce(history_entry_id)


@task()
def announce_pending() -> int:
    """The job a commit wakes: every announcement due now, the oldest first. Clears the wake flag before it
    reads, so an entry committed after that read queues a run of its own."""
    cache.delete(WAKE_PENDING)
    done = 0
    for _round in range(PENDING_ROUNDS):
        now = timezone.now()
        due = _due(now, SWEEP_LIMIT)
        done += sum(announce(pk, now=now) for pk in due)
        if len(due) < SWEEP_LIMIT:
            break
    return done


def wake() -> None:
    """After a commit that wrote announcements: queue a run of `announce_pending`, unless one is queued and has
    not begun (it will see this commit's rows). A queue that is down costs a delay to the sweep, never an error
    page for the change already committed."""
    try:
        if cache.add(WAKE_PENDING, 1, timeout=WAKE_PENDING_SECONDS):
            try:
                announce_pending.enqueue()
            except Exception:
                cache.delete(WAKE_PENDING)  # nobody is coming: let the next commit try
                raise
    except Exception:
        logger.warning("announcements: could not queue the announcer; the sweep will", exc_info=True)


def announce(history_entry_id: int, *, now: dt.datetime | None = None) -> bool:
    """Make the consequences of one history entry, if it is due and nobody else is. True when done."""
    now = now or timezone.now()
    with transaction.atomic():
        # The claim is the UPDATE's row lock, held until this transaction ends (a no-op change of attempts
        # would do; counting it keeps "attempts" honest when a worker dies mid-way).
        claimed = leases.claim(
            Announcement.objects.filter(leases.due("next_attempt_at", now), pk=history_entry_id),
            lease_field="next_attempt_at",
            until=now,
        )
        if not claimed:
            return False
        entry = HistoryEntry.objects.select_related(*ANNOUNCED_WITH).get(pk=history_entry_id)
        # Each listener runs in its own savepoint (signals.listener): one that fails leaves the others' rows,
        # so a bug in one never holds up the resident's e-mail or the forwarding.
        results = signals.history_recorded.send_robust(HistoryEntry, history_entry=entry)
        if entry.kind == HistoryEntry.Kind.OPENED:
            results += signals.service_request_filed.send_robust(ServiceRequest, service_request=entry.service_request)
        failures = [(receiver, result) for receiver, result in results if isinstance(result, Exception)]
        if not failures:
            Announcement.objects.filter(pk=history_entry_id).delete()
            return True
        attempts = Announcement.objects.filter(pk=history_entry_id).values_list("attempts", flat=True).first()
        next_attempt_at = now + backoff.backoff_delay(attempts or 1, base=RETRY_BASE, cap=RETRY_CAP)
        Announcement.objects.filter(pk=history_entry_id).update(
            next_attempt_at=next_attempt_at, last_error=", ".join(type(error).__name__ for _r, error in failures)[:200]
        )
        for receiver, error in failures:
            # The entry and its request by number only: no personal data in the log.
            logger.error(
                "history entry %s of request %s: %s failed (attempt %s); all listeners again at %s",
                entry.pk,
                entry.service_request.tracking_number,
                getattr(receiver, "__qualname__", receiver),
                attempts,
                next_attempt_at.isoformat(timespec="seconds"),
                exc_info=error,
            )
    return False


def sweep(*, now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Every minute: announce every entry whose time has come (woken or not). Returns how many were done."""
    now = now or timezone.now()
    return sum(announce(pk, now=now) for pk in _due(now, limit))


def _due(now: dt.datetime, limit: int) -> list[int]:
    return list(
        Announcement.objects.filter(leases.due("next_attempt_at", now))
        .order_by(F("next_attempt_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[:limit]
    )
