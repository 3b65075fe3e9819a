"""The operations figures (rollups and their reads), checked against counts made by hand.

The city is the neighborhood figures' (tests/community/helpers.py): eight requests, one private (it counts
here: these are staff figures), one in no neighborhood, one filed in December 2025.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic311.insights import operations_rollups as rollups
from civic311.insights import operations_selectors as figures
from civic311.insights.models import JourneySnapshot, OpenRequests, RequestDay, RequestMonth
from civic311.service_requests import services as requests
from civic311.service_requests.models import ServiceRequest
from tests.community.helpers import CENTER, FISHTOWN, NOW, NOWHERE, at, close, neighborhood_city  # noqa: F401
from tests.factories import filed_request

JANUARY_TO_NOW = figures.Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 15))


@pytest.fixture
def city(neighborhood_city):  # noqa: F811
    return neighborhood_city


def test_the_period_totals_match_the_hand_counts(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    totals = figures.totals(jurisdiction, JANUARY_TO_NOW)
    # a, b, c, d, e (private), f, g; h was filed in December 2025 (in the city's calendar).
    assert (totals.filed, totals.closed, totals.closed_with_due_date, totals.closed_on_time) == (7, 3, 3, 2)
    assert totals.reopened == 0
    assert totals.completion_rate == pytest.approx(3 / 7 * 100)
    assert totals.on_time_rate == pytest.approx(2 / 3 * 100)  # a and g on time, c late
    # Closed in 10.5 h (a), 49 h (g), 36 days (c): the median falls between 2 days (1 closed) and 3 days (2).
    assert totals.median_hours == pytest.approx(48 + 24 * 0.5)
    # The 90th percentile: 2.7 of 3, between 30 days (2 closed) and 60 days (3).
    assert totals.p90_hours == pytest.approx(720 + 720 * 0.7)


def test_the_day_is_the_city_calendars(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    days = dict(RequestDay.objects.filter(service=city["pothole"]).values_list("day", "filed"))
    # a: 23:30 on March 31 in Philadelphia (April 1 in UTC); e, private, counts.
    assert days == {
        dt.date(2025, 12, 31): 1,
        dt.date(2026, 3, 31): 1,
        dt.date(2026, 4, 2): 1,
        dt.date(2026, 4, 10): 1,
        dt.date(2026, 4, 14): 1,
    }
    assert RequestMonth.objects.filter(month=dt.date(2026, 3, 1)).get().filed == 1


def test_filters_department_service_channel_and_neighborhood(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    pothole_department = city["pothole"].department_id
    assert figures.totals(jurisdiction, _with(department=pothole_department)).filed == 4  # a, b, e, f
    assert figures.totals(jurisdiction, _with(service=city["dumping"].pk)).filed == 3  # c, d, g
    assert figures.totals(jurisdiction, _with(channel="web")).filed == 7
    assert figures.totals(jurisdiction, _with(channel="phone")).filed == 0
    center = figures.totals(jurisdiction, _with(neighborhood=city["center"].pk))
    assert (center.filed, center.closed) == (5, 2)  # a, b, c, d, e; a and c closed
    assert figures.totals(jurisdiction, _with(departments=frozenset({pothole_department}))).filed == 4
    assert figures.totals(jurisdiction, _with(departments=frozenset())).filed == 0


def test_breakdowns(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    by_place = {
        row.name: (row.cohort.filed, row.open_now)
        for row in figures.breakdown(jurisdiction, JANUARY_TO_NOW, "neighborhood")
    }
    assert by_place == {city["center"].name: (5, 3), "Fishtown": (1, 1), "Outside any neighborhood": (1, 0)}
    by_service = figures.breakdown(jurisdiction, JANUARY_TO_NOW, "service")
    assert [(row.name, row.cohort.filed, row.open_now, row.overdue) for row in by_service] == [
        ("Pothole", 4, 3, 1),  # b, e, f open; e overdue
        ("Dumping", 3, 1, 1),  # d open and overdue
    ]
    by_channel = figures.breakdown(jurisdiction, JANUARY_TO_NOW, "channel")
    assert [(row.key, row.name, row.cohort.filed) for row in by_channel] == [("web", "Web", 7)]
    with pytest.raises(ValueError, match="breakdown must be one of"):
        figures.breakdown(jurisdiction, JANUARY_TO_NOW, "agent")


def test_the_backlog_is_today_s_whatever_the_period(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    backlog = figures.backlog(jurisdiction, JANUARY_TO_NOW)
    # b (1 day old), d (14 days, overdue), e (13 days, overdue: 5 business days from April 2), f (5 days).
    assert (backlog.open_requests, backlog.overdue, backlog.by_age) == (4, 2, (2, 2, 0, 0))
    assert figures.backlog(jurisdiction, _with(neighborhood=city["fishtown"].pk)).open_requests == 1


def test_the_series_has_every_step_of_the_period(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    april = figures.Filters(start=dt.date(2026, 3, 30), end=dt.date(2026, 4, 15), grain="week")
    weeks = figures.series(jurisdiction, april)
    assert [(point.start, point.cohort.filed) for point in weeks] == [
        (dt.date(2026, 3, 30), 3),  # a (Tuesday 31), d (April 1), e (April 2)
        (dt.date(2026, 4, 6), 1),  # f
        (dt.date(2026, 4, 13), 1),  # b
    ]
    days = figures.series(
        jurisdiction, figures.Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 3), grain="day")
    )
    assert [point.cohort.filed for point in days] == [1, 1, 0]
    months = figures.series(
        jurisdiction, figures.Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 15), grain="month")
    )
    assert [point.cohort.filed for point in months] == [1, 1, 1, 4]  # c; g; a; b, d, e, f
    # A neighborhood's figures are monthly, whatever grain was asked.
    center = figures.series(jurisdiction, _with(neighborhood=city["center"].pk, grain="day"))
    assert [(point.start, point.cohort.filed) for point in center] == [
        (dt.date(2026, 1, 1), 1),
        (dt.date(2026, 2, 1), 0),
        (dt.date(2026, 3, 1), 1),
        (dt.date(2026, 4, 1), 3),
    ]


def test_reopening_counts_once_for_the_request(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    later = NOW + dt.timedelta(hours=1)
    for _ in range(2):
        requests.change_status(
            ServiceRequest.objects.get(pk=city["c"].pk),
            "reopened",
            actor=None,
            actor_label="t",
            public_reason="No.",
            now=later,
        )
        close(ServiceRequest.objects.get(pk=city["c"].pk), later + dt.timedelta(minutes=5))
        later += dt.timedelta(minutes=10)
    rollups.sweep(jurisdiction, now=later + rollups.LAG)
    totals = figures.totals(jurisdiction, JANUARY_TO_NOW)
    assert (totals.reopened, totals.closed) == (1, 3)
    assert totals.reopen_rate == pytest.approx(100 / 3)


def test_the_previous_period_and_a_year_earlier():
    filters = figures.Filters(start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
    previous = filters.previous_period()
    assert (previous.start, previous.end) == (dt.date(2024, 1, 30), dt.date(2024, 2, 29))
    leap = figures.Filters(start=dt.date(2024, 2, 29), end=dt.date(2024, 2, 29)).a_year_earlier()
    assert (leap.start, leap.end) == (dt.date(2023, 2, 28), dt.date(2023, 2, 28))


def test_hours_to_close_from_the_cumulative_columns():
    within = (0,) * 13
    assert figures.hours_to_close(within, 0, 0.5) is None
    assert figures.hours_to_close(within, 4, 0.5) == math.inf  # all four beyond 90 days
    everything_in_an_hour = (4,) * 13
    assert figures.hours_to_close(everything_in_an_hour, 4, 0.5) == pytest.approx(0.5)
    assert figures.describe_hours(None) == "—"
    assert figures.describe_hours(math.inf) == "over 90 days"
    assert figures.describe_hours(5.25) == "5.2 h"
    assert figures.describe_hours(60) == "2.5 days"


def test_centre_figures_come_from_the_journey_snapshots_of_the_months(jurisdiction, city):
    JourneySnapshot.objects.create(
        jurisdiction=jurisdiction,
        month=dt.date(2026, 3, 1),
        contacts=10,
        repeat_contacts=2,
        first_contacts=8,
        resolved_first_time=6,
    )
    JourneySnapshot.objects.create(
        jurisdiction=jurisdiction,
        month=dt.date(2026, 4, 1),
        contacts=10,
        repeat_contacts=0,
        first_contacts=2,
        resolved_first_time=2,
    )
    JourneySnapshot.objects.create(jurisdiction=jurisdiction, month=dt.date(2025, 4, 1), contacts=99)
    centre = figures.centre_figures(jurisdiction, figures.Filters(start=dt.date(2026, 3, 15), end=dt.date(2026, 4, 15)))
    assert (centre.contacts, centre.repeat_contacts, centre.repeat_rate) == (20, 2, pytest.approx(10.0))
    assert centre.first_contact_resolution == pytest.approx(80.0)
    assert centre.journey_months == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert centre.satisfaction.responses == 0 and centre.social.posts == 0 and centre.deflection.sessions == 0


def test_an_empty_city_reads_zeroes(jurisdiction):
    rollups.rebuild(jurisdiction, now=NOW)
    board = figures.dashboard(jurisdiction, JANUARY_TO_NOW)
    assert board.totals == figures.Cohort() and board.totals.on_time_rate is None and board.totals.median_hours is None
    assert board.by_service == [] and board.backlog == figures.Backlog()
    assert len(board.series) == 16  # the weeks from Monday 29 December to the week of April 13
    assert board.as_of == NOW


def test_the_reads_never_touch_the_requests_table(
    jurisdiction, city, django_assert_num_queries, django_capture_on_commit_callbacks
):
    rollups.rebuild(jurisdiction, now=NOW)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        figures.dashboard(jurisdiction, JANUARY_TO_NOW, with_centre=False)
    assert queries.captured_queries
    assert not [q["sql"] for q in queries.captured_queries if "requests_servicerequest" in q["sql"]]


# --- the sweep: after any changes, one more sweep leaves the figures exactly as a full rebuild would -------


def _with(**changes):
    fields = {"start": JANUARY_TO_NOW.start, "end": JANUARY_TO_NOW.end, **changes}
    return figures.Filters(**fields)


def _snapshot(jurisdiction):
    def rows(model, *names):
        return sorted(model.objects.filter(jurisdiction=jurisdiction).values_list(*names), key=repr)

    cohort = ("department_id", "service_id", "channel", *figures.COUNTS, *figures.WITHIN)
    return (
        rows(RequestDay, "day", *cohort),
        rows(RequestMonth, "month", "neighborhood_id", *cohort),
        rows(
            OpenRequests,
            "department_id",
            "service_id",
            "channel",
            "neighborhood_id",
            "open_requests",
            "overdue",
            *rollups.AGE_COLUMNS,
        ),
    )


class _Undo(Exception):
    pass


PLACES = (CENTER, FISHTOWN, NOWHERE)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.integers(0, 2), st.booleans()),
        st.tuples(st.just("close"), st.integers(0, 50)),
        st.tuples(st.just("reopen"), st.integers(0, 50)),
        st.tuples(st.just("service"), st.integers(0, 50)),
        st.just(("sweep",)),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, gaps=st.lists(st.integers(1, 3 * 24 * 60), min_size=12, max_size=12))
def test_a_sweep_after_any_changes_equals_a_rebuild(jurisdiction, city, ops, gaps):
    services = (city["pothole"], city["dumping"])
    try:
        with transaction.atomic():
            clock = at(2026, 2, 27, 22, 0)  # crosses March 1 and the DST change of March 8
            rollups.rebuild(jurisdiction, now=clock)
            made: list[ServiceRequest] = []
            for op, gap in zip(ops, gaps, strict=False):
                clock += dt.timedelta(minutes=gap)
                if op[0] == "new":
                    made.append(filed_request(services[int(op[2])], now=clock, **PLACES[int(op[1])]))
                    continue
                if op[0] == "sweep":
                    rollups.sweep(jurisdiction, now=clock)
                    continue
                if not made:
                    continue
                target = ServiceRequest.objects.get(pk=made[int(op[1]) % len(made)].pk)
                if op[0] == "close" and target.is_open:
                    close(target, clock)
                elif op[0] == "reopen" and not target.is_open:
                    requests.change_status(
                        target, "reopened", actor=None, actor_label="t", public_reason="No.", now=clock
                    )
                elif op[0] == "service":
                    # A correction of service (another department): the old bucket must empty.
                    other = services[1] if target.service_id == services[0].pk else services[0]
                    ServiceRequest.objects.filter(pk=target.pk).update(
                        service=other, department=other.department, updated_at=clock
                    )
            clock += rollups.BACKLOG_MAX_AGE + dt.timedelta(minutes=1)
            rollups.sweep(jurisdiction, now=clock)
            swept = _snapshot(jurisdiction)
            rollups.rebuild(jurisdiction, now=clock)
            assert _snapshot(jurisdiction) == swept
            raise _Undo
    except _Undo:
        pass


def test_the_command_and_the_periodic_tasks(jurisdiction, city, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from civic311.insights import tasks
    from civic311.insights.models import OperationsWatermark

    call_command("rebuild_operations_figures", "--jurisdiction", jurisdiction.slug)
    assert "Philadelphia:" in capsys.readouterr().out and RequestDay.objects.exists()
    with pytest.raises(CommandError, match="There is no jurisdiction"):
        call_command("rebuild_operations_figures", "--jurisdiction", "atlantis")
    OperationsWatermark.objects.all().delete()
    RequestDay.objects.all().delete()
    assert tasks.sweep_operations_figures.call_local() > 0  # no watermark yet: the first sweep counts all
    days = RequestDay.objects.count()
    assert tasks.rebuild_operations_figures.call_local() == days
