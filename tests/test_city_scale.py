"""City-scale demo data: the generator's bulk path, its worker processes and the copies made in SQL.

The rules are the same as for a small seed (tests/test_demo_city.py); here the scale machinery is turned
on at a few dozen requests by lowering its thresholds, on PostgreSQL (the only database it runs on).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection

from civic311.demo import bulk, history, scale
from civic311.demo import services as demo
from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import Requester
from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bulk path, worker processes and SQL copies are PostgreSQL's"
)
NOW = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def bare_city(transactional_db):
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    demo.load_catalogue(city)
    demo.create_staff(city)
    return city


def _indexes() -> dict[str, str]:
    """Each index's definition, without the casts and brackets PostgreSQL writes differently once an index is
    made again from its own definition: `status IN (…)` on a varchar column comes back as an array of texts
    (`(ARRAY['new'::character varying])::text[]` becomes `ARRAY[('new'::character varying)::text]`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [[model._meta.db_table for model in history.BULK_TABLES]],
        )
        return {name: re.sub(r"::(character varying|text)(\[\])?|[()\s]", "", made) for name, made in cursor.fetchall()}


def _session_settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role'), current_setting('synchronous_commit')")
        return cursor.fetchone()


def test_copies_needed_never_generates_more_than_the_limit():
    assert scale.copies_needed(1_000) == (1_000, 1)
    assert scale.copies_needed(scale.GENERATED_AT_MOST) == (scale.GENERATED_AT_MOST, 1)
    assert scale.copies_needed(5_000_000) == (250_000, 20)
    generated, copies = scale.copies_needed(1_000_001)
    assert generated <= scale.GENERATED_AT_MOST and generated * copies >= 1_000_001


def test_reserved_ids_are_never_given_twice(transactional_db):
    first = bulk.reserve_ids(Requester, 3)
    assert len(set(first)) == 3
    bulk.insert_rows(Requester, ("id", "first_name"), [(pk, "Reserved") for pk in first])
    made = Requester.objects.create(first_name="Ana").pk
    Requester.objects.filter(pk=made).delete()  # a deleted row's id is not given again either
    second = bulk.reserve_ids(Requester, 2)
    assert len({*first, made, *second}) == 6


@postgres_only
def test_a_copied_city_keeps_every_rule(bare_city, monkeypatch):
    monkeypatch.setattr(scale, "GENERATED_AT_MOST", 40)
    monkeypatch.setattr(history, "BULK_LOAD_FROM", 50)
    before = _indexes()
    stats = demo.generate_history(bare_city, requests=130, seed=5, now=NOW)

    requests = ServiceRequest.objects.filter(jurisdiction=bare_city)
    assert stats.requests == requests.count() == 130  # 4 copies of 33 requests, the last one cut to 31
    assert len(set(requests.values_list("tracking_number", flat=True))) == 130
    assert stats.history_entries == HistoryEntry.objects.count()
    assert stats.contacts == Contact.objects.filter(jurisdiction=bare_city).count()
    # Nothing in the future, and a copy is its original moved back by the same 0-6 hours everywhere.
    assert not requests.filter(requested_at__gt=NOW).exists()
    assert not HistoryEntry.objects.filter(created_at__gt=NOW).exists()
    base = {row.tracking_number: row for row in requests.order_by("pk")[:33]}
    step = max(int(number) for number in base) - min(int(number) for number in base) + 1
    copies = list(requests.order_by("pk")[33:])
    for copy in copies:
        original = base[str((int(copy.tracking_number) - min(int(n) for n in base)) % step + min(int(n) for n in base))]
        shift = original.requested_at - copy.requested_at
        assert dt.timedelta(0) <= shift < dt.timedelta(hours=6)
        assert (copy.service_id, copy.status, copy.address, copy.lat) == (
            original.service_id,
            original.status,
            original.address,
            original.lat,
        )
        assert original.updated_at - copy.updated_at == shift
        assert [(e.kind, e.to_status, original.requested_at - copy.requested_at) for e in copy.history.all()] == [
            (e.kind, e.to_status, shift) for e in original.history.all()
        ]
        assert [e.created_at + shift for e in copy.history.order_by("created_at", "pk")] == [
            e.created_at for e in original.history.order_by("created_at", "pk")
        ]
        if copy.duplicate_of_id:
            # Its own copy of the original, never the generated one.
            assert original.duplicate_of_id is not None
            assert copy.duplicate_of_id - original.duplicate_of_id == copy.pk - original.pk
    # The counter is past every number, and the sequence past every id.
    assert tracking_numbers.next_number(bare_city) > max(
        int(n) for n in requests.values_list("tracking_number", flat=True)
    )
    assert (
        ServiceRequest.objects.create(
            jurisdiction=bare_city,
            tracking_number="x1",
            service_id=copies[0].service_id,
            department_id=copies[0].department_id,
            requested_at=NOW,
            updated_at=NOW,
        ).pk
        > copies[-1].pk
    )
    # The indexes dropped for the load are all back, and the connection is an ordinary one again.
    assert _indexes() == before
    assert _session_settings() == ("origin", "on")


@postgres_only
def test_worker_processes_share_the_batches(bare_city, monkeypatch):
    stats = demo.generate_history(bare_city, requests=60, seed=5, now=NOW, batch_size=10, workers=2)
    requests = ServiceRequest.objects.filter(jurisdiction=bare_city)
    assert stats.requests == requests.count() == 60
    assert len(set(requests.values_list("tracking_number", flat=True))) == 60
    assert stats.history_entries == HistoryEntry.objects.count()
    assert not HistoryEntry.objects.exclude(service_request__in=requests).exists()
    # Every request has its opening entry, and its contact.
    assert requests.filter(history__kind="opened").distinct().count() == 60
    assert Contact.objects.filter(service_request__in=requests).count() == 60


@postgres_only
def test_a_failed_load_still_puts_the_indexes_back(bare_city, monkeypatch):
    monkeypatch.setattr(history, "BULK_LOAD_FROM", 10)
    before = _indexes()

    def broken(self, share, shares):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [ServiceRequest._meta.db_table])
            assert cursor.fetchone()[0] < len([name for name in before if "servicerequest" in name])
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(history._Share, "write", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        demo.generate_history(bare_city, requests=20, now=NOW)
    assert _indexes() == before
    assert _session_settings() == ("origin", "on")


@postgres_only
def test_copying_refuses_nothing_when_the_city_is_big_enough(bare_city):
    demo.generate_history(bare_city, requests=20, now=NOW)
    assert scale.copy_history(bare_city, target=20) == (0, 0, 0)
    assert scale.copy_history(Jurisdiction.objects.get(pk=bare_city.pk), target=10) == (0, 0, 0)
    assert ServiceRequest.objects.count() == 20
