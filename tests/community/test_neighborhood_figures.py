"""The neighborhood figures (rollups and their reads), checked against counts made by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from civic311.community.models import NeighborhoodBacklog, NeighborhoodMonth, RollupWatermark
from civic311.community.selectors import neighborhoods as selectors
from civic311.community.services import rollups
from civic311.service_requests import services as requests
from tests.community.helpers import CENTER, FISHTOWN, NOW, NOWHERE, at, close, neighborhood_city  # noqa: F401
from tests.factories import filed_request


@pytest.fixture(autouse=True)
def _no_kept_medians():
    selectors.forget_cached_figures()
    yield
    selectors.forget_cached_figures()


@pytest.fixture
def city(neighborhood_city):  # noqa: F811
    return neighborhood_city


def test_figures_match_the_hand_counts(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    figures = selectors.figures(jurisdiction, city["center"], NOW)

    assert figures.month == dt.date(2026, 4, 1)
    assert (figures.this_month, figures.city_this_month) == (2, 3)  # b, d; and f
    assert (figures.this_year, figures.city_this_year) == (4, 6)  # a, b, c, d; and f, g
    assert {(item.service.name, item.filed, item.city_filed) for item in figures.services} == {
        ("Pothole", 2, 3),
        ("Dumping", 2, 3),
    }
    assert (figures.backlog.open_requests, figures.backlog.overdue) == (2, 1)
    assert figures.backlog.by_age == [1, 1, 0, 0]
    assert figures.backlog.oldest_requested_at == city["d"].requested_at
    assert (figures.city_backlog.open_requests, figures.city_backlog.overdue) == (3, 1)
    assert figures.city_backlog.by_age == [2, 1, 0, 0]
    assert figures.on_time_rate == pytest.approx(1 / 2)  # a on time, c late
    assert figures.city_on_time_rate == pytest.approx(2 / 3)  # and g on time
    assert figures.median_days_to_close == 0  # 0 and 36: the lower median
    assert figures.city_median_days_to_close == 2  # 0, 2, 36
    assert figures.as_of == NOW
    assert figures.share_this_year == 67


def test_months_are_the_city_calendars_and_private_requests_never_count(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    rows = {
        (row.month, row.service.name): row.filed
        for row in NeighborhoodMonth.objects.filter(neighborhood=city["center"]).select_related("service")
    }
    assert rows == {
        (dt.date(2025, 12, 1), "Pothole"): 1,
        (dt.date(2026, 1, 1), "Dumping"): 1,
        (dt.date(2026, 3, 1), "Pothole"): 1,  # a: April 1 in UTC, March 31 in Philadelphia
        (dt.date(2026, 4, 1), "Pothole"): 1,  # b (e is private)
        (dt.date(2026, 4, 1), "Dumping"): 1,
    }
    remainder = NeighborhoodMonth.objects.get(neighborhood__isnull=True)
    assert (remainder.month, remainder.filed, remainder.closed_on_time, remainder.days_to_close) == (
        dt.date(2026, 2, 1),
        1,
        1,
        [0, 0, 1],
    )


def test_days_to_close_keeps_long_waits_in_its_last_bucket(jurisdiction, city):
    late = filed_request(city["pothole"], now=at(2025, 11, 3, 9, 0), **CENTER)
    close(late, at(2026, 3, 3, 9, 0))
    rollups.rebuild(jurisdiction, now=NOW)
    row = NeighborhoodMonth.objects.get(neighborhood=city["center"], month=dt.date(2025, 11, 1))
    assert len(row.days_to_close) == rollups.DAYS_TO_CLOSE_CAP + 1 and row.days_to_close[-1] == 1


def test_the_median_of_merged_histograms():
    assert selectors.median([]) is None
    assert selectors.median([0, 0, 0]) is None
    assert selectors.median([1]) == 0
    assert selectors.median([1, 0, 1]) == 0
    assert selectors.median([1, 1, 1]) == 1
    assert selectors.median([0, 2, 0, 1]) == 1
    assert selectors.merge([[1, 2], [0, 0, 3]])[:4] == [1, 2, 3, 0]


def test_a_neighborhood_never_counted_has_empty_figures(jurisdiction, city):
    figures = selectors.figures(jurisdiction, city["center"], NOW)
    assert figures.as_of is None
    assert (figures.this_year, figures.backlog.open_requests, figures.on_time_rate, figures.median_days_to_close) == (
        0,
        0,
        None,
        None,
    )


def _snapshot(jurisdiction):
    months = sorted(
        NeighborhoodMonth.objects.filter(jurisdiction=jurisdiction).values_list(
            "neighborhood_id",
            "service_id",
            "month",
            "filed",
            "closed",
            "closed_with_due_date",
            "closed_on_time",
            "days_to_close",
        ),
        key=repr,
    )
    backlogs = sorted(
        NeighborhoodBacklog.objects.filter(jurisdiction=jurisdiction).values_list(
            "neighborhood_id", "service_id", "open_requests", "overdue", "by_age", "oldest_requested_at"
        ),
        key=repr,
    )
    return months, backlogs


def _change(kind, city):
    when = NOW - dt.timedelta(minutes=20)
    if kind == "close":
        close(city["d"], when)
    elif kind == "reopen":
        requests.change_status(city["a"], "reopened", actor=None, actor_label="test", public_reason="Back.", now=when)
    elif kind == "status":
        requests.change_status(city["b"], "in_progress", actor=None, actor_label="test", now=when)
    elif kind == "new":
        filed_request(city["dumping"], now=when, **FISHTOWN)
        filed_request(city["dumping"], now=when, **NOWHERE)
    elif kind == "new_private":
        filed_request(city["dumping"], now=when, is_private=True, **CENTER)
    elif kind == "old_request_closed":
        # Filed in December, closed now: the sweep recounts December, not only this month.
        old = filed_request(city["pothole"], now=at(2025, 12, 10, 9, 0), **FISHTOWN)
        close(old, when)


@pytest.mark.parametrize("kind", ["close", "reopen", "status", "new", "new_private", "old_request_closed"])
def test_a_sweep_after_a_change_equals_a_full_rebuild(jurisdiction, city, kind):
    rollups.rebuild(jurisdiction, now=NOW - dt.timedelta(hours=1))
    _change(kind, city)
    before = _snapshot(jurisdiction)
    counted = rollups.sweep(jurisdiction, now=NOW)
    swept = _snapshot(jurisdiction)
    assert counted.months >= 1
    if kind not in {"new_private", "status"}:
        assert swept != before  # the change shows
    rollups.rebuild(jurisdiction, now=NOW)
    assert _snapshot(jurisdiction) == swept


def test_a_sweep_moves_the_watermark_and_is_idempotent(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW - dt.timedelta(hours=1))
    close(city["d"], NOW - dt.timedelta(minutes=20))
    rollups.sweep(jurisdiction, now=NOW)
    watermark = RollupWatermark.objects.get(jurisdiction=jurisdiction)
    assert watermark.counted_through == NOW - rollups.LAG and watermark.swept_at == NOW
    once = _snapshot(jurisdiction)
    again = rollups.sweep(jurisdiction, now=NOW)
    assert again.months == 0 and _snapshot(jurisdiction) == once
    # The watermark never moves back, even for a sweep with an earlier clock.
    rollups.sweep(jurisdiction, now=NOW - dt.timedelta(hours=2))
    assert RollupWatermark.objects.get(jurisdiction=jurisdiction).counted_through == NOW - rollups.LAG


def test_a_request_saved_just_before_a_sweep_but_committed_after_it_is_still_counted(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW - dt.timedelta(hours=1))
    rollups.sweep(jurisdiction, now=NOW)
    # Saved with a time a minute before that sweep (its transaction committed later): within the lag.
    filed_request(city["dumping"], now=NOW - dt.timedelta(minutes=1), **CENTER)
    rollups.sweep(jurisdiction, now=NOW + dt.timedelta(minutes=5))
    figures = selectors.figures(jurisdiction, city["center"], NOW)
    assert figures.this_month == 3


def test_the_first_sweep_rebuilds(jurisdiction, city):
    counted = rollups.sweep(jurisdiction, now=NOW)
    assert counted.months == NeighborhoodMonth.objects.count() > 0
    assert RollupWatermark.objects.get(jurisdiction=jurisdiction).rebuilt_at == NOW


def test_stale_backlogs_are_recounted_as_they_age(jurisdiction, city):
    rollups.rebuild(jurisdiction, now=NOW)
    later = NOW + dt.timedelta(days=20)  # nothing changed, but b is now 21 days old and overdue, d 34 days
    rollups.sweep(jurisdiction, now=later)
    figures = selectors.figures(jurisdiction, city["center"], later)
    assert figures.backlog.by_age == [0, 1, 1, 0] and figures.backlog.overdue == 2


def test_the_command_rebuilds_one_city_or_all(jurisdiction, city, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("rebuild_neighborhood_figures", "--jurisdiction", jurisdiction.slug)
    assert "Philadelphia:" in capsys.readouterr().out
    assert NeighborhoodMonth.objects.filter(neighborhood=city["center"]).count() == 5
    with pytest.raises(CommandError):
        call_command("rebuild_neighborhood_figures", "--jurisdiction", "atlantis")
    with time_machine.travel(NOW, tick=False):
        call_command("rebuild_neighborhood_figures")
    assert RollupWatermark.objects.get(jurisdiction=jurisdiction).rebuilt_at == NOW


def test_the_periodic_task_sweeps_every_city(jurisdiction, city):
    from civic311.community import tasks

    with time_machine.travel(NOW, tick=False):
        tasks.sweep_neighborhood_figures.call_local()
    assert RollupWatermark.objects.filter(jurisdiction=jurisdiction).exists()


def test_liaisons_shown_only_when_active_and_agreed(jurisdiction, city):
    from tests.community.helpers import make_liaison

    make_liaison([city["center"]], email="ana@example.org", show_on_neighborhood_page=True)
    make_liaison([city["center"]], email="bo@example.org", show_on_neighborhood_page=False)
    make_liaison([city["center"]], email="cy@example.org", status="lapsed", show_on_neighborhood_page=True)
    make_liaison([city["fishtown"]], email="di@example.org", show_on_neighborhood_page=True)
    # make_liaison names everyone "Lee"; the consenting one in Center City is "Lee L."
    assert selectors.liaisons(city["center"]) == ["Lee L."]
