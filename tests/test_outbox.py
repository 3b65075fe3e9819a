"""civic311.outbox: the shared outbox, driven directly over the notification model with a scripted sender."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.utils import timezone

from civic311 import outbox
from civic311.notifications.models import OutboundMessage

State = OutboundMessage.State
BASE = dt.timedelta(seconds=60)


class Script:
    """A sender that fails with the queued errors first, then succeeds; and a job queue that records."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[int] = []
        self.queued: list[tuple[int, dt.datetime | None]] = []

    def send(self, row: Any) -> str:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(row.pk)
        return f"id-{row.pk}"

    def enqueue(self, pk: int, *, run_after: dt.datetime | None = None) -> None:
        self.queued.append((pk, run_after))


def box(script: Script, *, max_attempts: int = 3) -> outbox.Outbox:
    return outbox.Outbox(
        model=OutboundMessage,
        waiting=State.PENDING,
        sending=State.SENDING,
        enqueue=script.enqueue,
        send=script.send,
        max_attempts=lambda: max_attempts,
        backoff=lambda attempts: BASE * 2 ** (attempts - 1),
        describe=lambda row: f"message {row.reference}",
        logger=logging.getLogger("test"),
    )


def make_row(key: str = "k", **fields: Any) -> OutboundMessage:
    fields.setdefault("next_attempt_at", timezone.now())
    return OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.EMAIL,
        recipient="a@example.org",
        dedup_key=key,
        reference=outbox.reference_for(key),
        **fields,
    )


@pytest.mark.django_db
def test_a_row_is_claimed_and_sent_once():
    script = Script()
    shared = box(script)
    row, now = make_row(), timezone.now()
    assert shared.deliver(row.pk, now=now) == "sent"
    assert shared.deliver(row.pk, now=now) == "not due"
    assert shared.deliver(row.pk, now=now + dt.timedelta(days=1)) == "not due"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.provider_id, row.claimed_until) == (State.SENT, 1, f"id-{row.pk}", None)
    assert script.sent == [row.pk]


@pytest.mark.django_db
def test_a_row_held_by_another_worker_is_left_alone_and_a_late_mark_says_so():
    script = Script()
    shared = box(script)
    row, now = make_row(), timezone.now()
    OutboundMessage.objects.filter(pk=row.pk).update(state=State.SENDING, claimed_until=now + dt.timedelta(minutes=5))
    assert shared.deliver(row.pk, now=now) == "not due"
    assert script.sent == []
    # The other worker's mark after this row was already marked sent changes nothing.
    OutboundMessage.objects.filter(pk=row.pk).update(state=State.SENT)
    assert shared.mark_sent(row, "late") == "already marked"
    row.refresh_from_db()
    assert row.provider_id == ""


@pytest.mark.django_db
def test_a_transient_failure_waits_with_backoff_then_gives_up_after_max_attempts():
    script = Script(outbox.Transient("HTTP 503"), outbox.Transient("HTTP 503"), outbox.Transient("HTTP 503"))
    shared = box(script, max_attempts=3)
    row, now = make_row(), timezone.now()
    assert shared.deliver(row.pk, now=now) == "retry"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error, row.claimed_until) == (State.PENDING, 1, "HTTP 503", None)
    assert row.next_attempt_at == now + BASE
    assert script.queued == [(row.pk, now + BASE)]
    assert shared.deliver(row.pk, now=now + BASE - dt.timedelta(seconds=1)) == "not due"

    now = row.next_attempt_at
    assert shared.deliver(row.pk, now=now) == "retry"
    row.refresh_from_db()
    assert row.next_attempt_at == now + 2 * BASE  # the wait doubles

    assert shared.deliver(row.pk, now=row.next_attempt_at) == "failed"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == (State.FAILED, 3, None)
    assert shared.deliver(row.pk, now=now + dt.timedelta(days=1)) == "not due"
    assert script.sent == []

    # Staff try again: the schedule starts over and the row is queued at once.
    assert shared.retry_now(row)
    assert not shared.retry_now(row)  # no longer failed
    assert shared.deliver(row.pk) == "sent"
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.SENT, 1)


@pytest.mark.django_db
def test_a_permanent_failure_and_an_unexpected_error_are_told_apart():
    script = Script(outbox.Permanent("HTTP 404"), RuntimeError("a bug"))
    shared = box(script)
    refused, buggy = make_row("refused"), make_row("buggy")
    assert shared.deliver(refused.pk) == "failed"
    assert shared.deliver(buggy.pk) == "retry"  # never silently lost
    refused.refresh_from_db()
    buggy.refresh_from_db()
    assert (refused.state, refused.attempts, refused.last_error) == (State.FAILED, 1, "HTTP 404")
    assert (buggy.state, buggy.last_error) == (State.PENDING, "RuntimeError")


@pytest.mark.django_db
def test_the_sweep_queues_due_rows_and_expired_claims_only():
    script = Script()
    shared = box(script)
    now = timezone.now()
    due = make_row("due", next_attempt_at=now - dt.timedelta(seconds=1))
    later = make_row("later", next_attempt_at=now + dt.timedelta(minutes=1))
    held = make_row("held", state=State.SENDING, claimed_until=now + dt.timedelta(minutes=1))
    dead = make_row(
        "dead",
        state=State.SENDING,
        claimed_until=now - dt.timedelta(seconds=1),
        next_attempt_at=now - dt.timedelta(minutes=10),
    )
    make_row("sent", state=State.SENT, next_attempt_at=now - dt.timedelta(hours=1))
    make_row("failed", state=State.FAILED, next_attempt_at=None)
    assert shared.sweep_due(now=now) == 2
    assert script.queued == [(dead.pk, None), (due.pk, None)]  # the oldest first
    assert shared.sweep_due(now=now, limit=1) == 1
    # The dead worker's row is taken again; the held one is not.
    assert shared.deliver(dead.pk, now=now) == "sent"
    assert shared.deliver(held.pk, now=now) == "not due"
    assert shared.deliver(later.pk, now=now) == "not due"


@pytest.mark.django_db(transaction=True)
def test_add_inserts_once_and_queues_after_commit():
    script = Script()
    shared = box(script)
    row = shared.add(
        OutboundMessage(
            channel=OutboundMessage.Channel.EMAIL,
            recipient="a@example.org",
            dedup_key="once",
            reference=outbox.reference_for("once"),
        )
    )
    assert row is not None and script.queued == [(row.pk, None)]
    assert (
        shared.add(
            OutboundMessage(
                channel=OutboundMessage.Channel.EMAIL,
                recipient="a@example.org",
                dedup_key="once",
                reference=outbox.reference_for("once"),
            )
        )
        is None
    )
    assert OutboundMessage.objects.count() == 1
