"""civic311.leases: the conditional UPDATE with a lease that the outbox and forwarding claim rows with."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from civic311 import leases
from civic311.notifications.models import OutboundMessage


def make_row(**fields) -> OutboundMessage:
    return OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.EMAIL, recipient="a@example.org", dedup_key="k", reference="r", **fields
    )


def free(row: OutboundMessage, now: dt.datetime):
    return OutboundMessage.objects.filter(leases.due("claimed_until", now), pk=row.pk)


@pytest.mark.django_db
def test_one_claim_wins_until_the_lease_runs_out_and_each_counts_an_attempt():
    now = timezone.now()
    row = make_row()
    assert leases.claim(free(row, now), lease_field="claimed_until", until=now + leases.LEASE, state="sending")
    # A second worker at the same moment, and any time before the lease ends, gets nothing.
    assert not leases.claim(free(row, now), lease_field="claimed_until", until=now + leases.LEASE)
    almost = now + leases.LEASE - dt.timedelta(seconds=1)
    assert not leases.claim(free(row, almost), lease_field="claimed_until", until=almost + leases.LEASE)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.claimed_until) == ("sending", 1, now + leases.LEASE)
    # Its worker died: once the lease is over the row is free again.
    later = now + leases.LEASE
    assert leases.claim(free(row, later), lease_field="claimed_until", until=later + leases.LEASE)
    row.refresh_from_db()
    assert (row.attempts, row.claimed_until) == (2, later + leases.LEASE)


@pytest.mark.django_db
def test_a_claim_without_an_attempt_count_and_the_callers_own_conditions():
    now = timezone.now()
    row = make_row(next_attempt_at=now + dt.timedelta(minutes=1))
    not_yet = OutboundMessage.objects.filter(leases.due("next_attempt_at", now), pk=row.pk)
    assert not leases.claim(not_yet, lease_field="next_attempt_at", until=now + leases.LEASE)
    wrong_state = OutboundMessage.objects.filter(Q(state="sent"), pk=row.pk)
    assert not leases.claim(wrong_state, lease_field="next_attempt_at", until=now)
    due = OutboundMessage.objects.filter(leases.due("next_attempt_at", now + dt.timedelta(minutes=1)), pk=row.pk)
    assert leases.claim(due, lease_field="next_attempt_at", until=now + leases.LEASE, attempts_field=None)
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (0, now + leases.LEASE)
