"""Property: after any sequence of request changes and sweeps, one more sweep leaves the figures exactly as a
full rebuild would (review R2). Months cross a month boundary and the spring DST change of the city's zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic311.community.services import rollups
from civic311.service_requests import services as requests
from civic311.service_requests.models import ServiceRequest
from tests.community.helpers import CENTER, FISHTOWN, NOWHERE, at, close, neighborhood_city  # noqa: F401
from tests.community.test_neighborhood_figures import _snapshot
from tests.factories import filed_request

PLACES = (CENTER, FISHTOWN, NOWHERE)
START = at(2026, 2, 27, 22, 0)  # crosses March 1, the DST change of March 8, April 1

operations = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.integers(0, 2), st.booleans(), st.booleans()),
        st.tuples(st.just("close"), st.integers(0, 50)),
        st.tuples(st.just("reopen"), st.integers(0, 50)),
        st.tuples(st.just("progress"), st.integers(0, 50)),
        st.tuples(st.just("private"), st.integers(0, 50)),
        st.just(("sweep",)),
    ),
    min_size=1,
    max_size=14,
)
steps = st.integers(min_value=1, max_value=4 * 24 * 60)  # minutes between operations


class _Undo(Exception):
    pass


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, gaps=st.lists(steps, min_size=14, max_size=14))
def test_a_sweep_after_any_changes_equals_a_rebuild(jurisdiction, neighborhood_city, ops, gaps):  # noqa: F811
    city = neighborhood_city
    services = (city["pothole"], city["dumping"])
    try:
        with transaction.atomic():
            clock = START
            rollups.rebuild(jurisdiction, now=clock)
            made: list[ServiceRequest] = []
            for op, gap in zip(ops, gaps, strict=False):
                clock += dt.timedelta(minutes=gap)
                kind = op[0]
                if kind == "new":
                    made.append(filed_request(services[int(op[2])], now=clock, is_private=op[3], **PLACES[int(op[1])]))
                    continue
                if kind == "sweep":
                    rollups.sweep(jurisdiction, now=clock)
                    continue
                if not made:
                    continue
                target = ServiceRequest.objects.get(pk=made[int(op[1]) % len(made)].pk)
                if kind == "close" and target.is_open:
                    close(target, clock)
                elif kind == "reopen" and not target.is_open:
                    requests.change_status(
                        target, "reopened", actor=None, actor_label="test", public_reason="Back.", now=clock
                    )
                elif kind == "progress" and target.is_open and target.status != "in_progress":
                    requests.change_status(target, "in_progress", actor=None, actor_label="test", now=clock)
                elif kind == "private":
                    requests.update_details(target, {"is_private": not target.is_private}, actor=None, now=clock)
            # An hour on (every backlog's ages and overdue have moved on, so the sweep recounts them all).
            clock += rollups.BACKLOG_MAX_AGE + dt.timedelta(minutes=1)
            rollups.sweep(jurisdiction, now=clock)
            swept = _snapshot(jurisdiction)
            rollups.rebuild(jurisdiction, now=clock)
            assert _snapshot(jurisdiction) == swept
            raise _Undo
    except _Undo:
        pass
