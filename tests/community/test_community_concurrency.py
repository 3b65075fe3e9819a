"""Several workers at once on PostgreSQL: the same meeting filing sent twice at the same moment
files it once; two first sweeps of the neighborhood figures both finish and agree with a rebuild; two
trainings completed at once get different certificate numbers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection, connections

from civic311.community.models import CommunityMeeting, TrainingRegistration, TrainingSession
from civic311.community.services import liaison_filing, rollups, training
from civic311.service_requests.models import ServiceRequest
from tests.community.helpers import NOW, community_staff, make_liaison, neighborhood_city  # noqa: F401
from tests.community.test_liaison_filing import (  # noqa: F401
    _in_march,
    a_meeting,
    an_item,
    catalogue,
    kensington,
    liaison,
)
from tests.community.test_neighborhood_figures import _snapshot

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time"),
]


T = TypeVar("T")


def in_parallel(work: Callable[[int], T], threads: int = 2) -> list[T]:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    results: list[T] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            results.append(work(number))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    started = [threading.Thread(target=run, args=(number,)) for number in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    assert errors == []
    return results


def test_the_same_meeting_sent_twice_at_once_is_filed_once(liaison, catalogue, monkeypatch):  # noqa: F811
    looked = threading.Barrier(2)
    found = liaison_filing._already_filed
    waited = threading.local()

    def both_look_before_either_files(*args, **kwargs):
        result = found(*args, **kwargs)
        if not getattr(waited, "once", False):
            waited.once = True
            looked.wait(timeout=10)  # neither has filed yet: both go on to file
        return result

    monkeypatch.setattr(liaison_filing, "_already_filed", both_look_before_either_files)
    filings = in_parallel(
        lambda _n: liaison_filing.file_meeting(liaison.user, a_meeting(), [an_item(), an_item()], filing_key="k")
    )
    assert CommunityMeeting.objects.count() == 1
    assert ServiceRequest.objects.count() == 2
    assert sorted(filing.created for filing in filings) == [False, True]
    assert len({filing.meeting.pk for filing in filings}) == 1


def test_two_first_sweeps_at_once_both_finish_and_agree_with_a_rebuild(jurisdiction, neighborhood_city):  # noqa: F811
    in_parallel(lambda _n: rollups.sweep(jurisdiction, now=NOW))
    swept = _snapshot(jurisdiction)
    rollups.rebuild(jurisdiction, now=NOW)
    assert _snapshot(jurisdiction) == swept and swept[0]


def test_trainings_completed_at_once_get_different_certificate_numbers(jurisdiction, center_city):
    staff = community_staff()
    starts = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)
    session = TrainingSession.objects.create(
        jurisdiction=jurisdiction,
        title="Liaison training",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="Library",
        trainer="Pat",
        capacity=10,
        language="en",
    )
    registrations = [
        TrainingRegistration.objects.create(
            session=session,
            liaison=make_liaison([center_city], email=f"l{n}@example.org", username=f"l{n}", status="accepted"),
            registered_at=starts - dt.timedelta(days=3),
            attended=True,
        )
        for n in range(4)
    ]
    in_parallel(lambda n: training.complete(registrations[n], staff), threads=4)
    numbers = list(TrainingRegistration.objects.values_list("certificate_number", flat=True))
    assert len(set(numbers)) == 4 and all(numbers)
