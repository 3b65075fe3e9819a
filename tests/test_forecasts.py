"""The forecast's arithmetic and Erlang C, without the page: a known weekly pattern and a holiday recovered
from a history the test makes; the seasonal-naive baseline and WAPE; the half-hour shape; Erlang C against
hand-computed and published values; the agents a half hour needs, with shrinkage."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from civic311.insights import forecasting, staffing

WEEKLY = (120, 110, 105, 100, 90, 45, 35)  # Monday first
MONDAY = dt.date(2026, 1, 5)


def pattern_history(weeks: int, holidays: frozenset[dt.date] = frozenset(), seed: int = 7) -> dict[dt.date, float]:
    rng = random.Random(seed)
    history = {}
    for day in forecasting.days_between(MONDAY, MONDAY + dt.timedelta(days=7 * weeks - 1)):
        mean = WEEKLY[day.weekday()] * (0.4 if day in holidays else 1.0)
        history[day] = float(max(0, round(rng.gauss(mean, math.sqrt(mean)))))
    return history


def test_a_known_weekly_pattern_is_recovered():
    history = pattern_history(16)
    last = max(history)
    future = forecasting.days_between(last + dt.timedelta(days=1), last + dt.timedelta(days=14))
    forecasts = forecasting.forecast_series(history, MONDAY, last, future, frozenset())
    assert [f.day for f in forecasts] == future
    for forecast in forecasts:
        assert forecast.expected == pytest.approx(WEEKLY[forecast.day.weekday()], rel=0.08)
        assert forecast.low < forecast.expected < forecast.high
    actual = [WEEKLY[day.weekday()] for day in future]
    error = forecasting.wape(actual, [f.expected for f in forecasts])
    assert error is not None and error < 0.05


def test_holidays_are_learned_and_forecast_low():
    holidays = frozenset({MONDAY + dt.timedelta(days=7 * week + 2) for week in range(1, 16, 3)})  # Wednesdays
    history = pattern_history(16, holidays)
    last = max(history)
    coming = last + dt.timedelta(days=3)  # the Wednesday after
    forecasts = {
        f.day: f.expected
        for f in forecasting.forecast_series(
            history, MONDAY, last, [coming, coming + dt.timedelta(days=7)], holidays | {coming}
        )
    }
    assert forecasts[coming] == pytest.approx(0.4 * WEEKLY[2], rel=0.15)
    assert forecasts[coming + dt.timedelta(days=7)] == pytest.approx(WEEKLY[2], rel=0.08)


def test_a_holiday_the_history_never_saw_is_left_out_rather_than_guessed():
    history = pattern_history(6)
    last = max(history)
    day = last + dt.timedelta(days=1)
    [forecast] = forecasting.forecast_series(history, MONDAY, last, [day], frozenset({day}))
    assert forecast.expected == pytest.approx(WEEKLY[day.weekday()], rel=0.1)


def test_short_and_empty_histories():
    last = MONDAY + dt.timedelta(days=4)
    [short] = forecasting.forecast_series({MONDAY: 10.0, last: 20.0}, MONDAY, last, [last + dt.timedelta(1)], ())
    assert short.expected == pytest.approx(6.0)  # 30 over 5 days
    [empty] = forecasting.forecast_series({}, MONDAY, last, [last + dt.timedelta(1)], ())
    assert empty.expected == 0.0
    assert forecasting.forecast_series({MONDAY: 1.0}, MONDAY, last, [], ()) == []


def test_the_seasonal_naive_baseline_repeats_the_last_week():
    history = pattern_history(3)
    last = max(history)  # a Sunday
    future = forecasting.days_between(last + dt.timedelta(days=1), last + dt.timedelta(days=10))
    naive = forecasting.seasonal_naive(history, last, future)
    assert naive[0] == history[last - dt.timedelta(days=6)]  # Monday ← last Monday
    assert naive[6] == history[last]  # Sunday ← last Sunday
    assert naive[7] == history[last - dt.timedelta(days=6)]  # the Monday after ← still last week's Monday


def test_wape():
    assert forecasting.wape([10, 30], [12, 27]) == pytest.approx(5 / 40)
    assert forecasting.wape([0, 0], [1, 2]) is None


def test_the_half_hour_profile():
    counts = {(0, 18): 3.0, (0, 19): 1.0, (2, 20): 2.0}
    profile = forecasting.half_hour_profile(counts)
    assert profile[0][18] == 0.75 and profile[0][19] == 0.25
    assert profile[2][20] == 1.0
    assert profile[1][18] == pytest.approx(0.5) and sum(profile[1]) == pytest.approx(1)  # the week's shape
    assert forecasting.half_hour_profile({})[3] == [1 / 48] * 48


# --- Erlang C --------------------------------------------------------------------------------------------


def test_erlang_c_by_hand():
    # M/M/2 at half load: P(wait) = 2 rho^2 / (1 + rho) with rho = 0.5, so 1/3.
    assert staffing.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # One agent: P(wait) = the load.
    assert staffing.erlang_c(1, 0.6) == pytest.approx(0.6)
    # The textbook sum, for A = 3 erlangs and 5 agents.
    a, n = 3.0, 5
    top = a**n / math.factorial(n) * n / (n - a)
    assert staffing.erlang_c(n, a) == pytest.approx(top / (sum(a**k / math.factorial(k) for k in range(n)) + top))
    assert staffing.erlang_c(3, 3.0) == 1.0 and staffing.erlang_c(4, 0) == 0.0


def test_erlang_c_against_published_values():
    # The published Erlang C tables: 10 erlangs on 11 agents waits 68.2 %, on 14 agents 17.4 %.
    assert staffing.erlang_c(11, 10.0) == pytest.approx(0.6821, abs=1e-4)
    assert staffing.erlang_c(14, 10.0) == pytest.approx(0.1741, abs=1e-4)
    # The worked example (100 calls in half an hour, 3 minutes each, 80 % in 20 s): 14 agents, 88.8 %.
    need = staffing.agents_needed(100, 180, answered_share=0.8, answer_seconds=20, shrinkage=0)
    assert need.traffic == pytest.approx(10.0)
    assert need.agents == 14 and need.service_level == pytest.approx(0.888, abs=1e-3)
    assert need.occupancy == pytest.approx(10 / 14)


def test_shrinkage_and_the_edges():
    need = staffing.agents_needed(100, 180, answered_share=0.8, answer_seconds=20, shrinkage=0.3)
    assert need.agents == 14 and need.scheduled == 20  # 14 / 0.7
    assert staffing.agents_needed(0, 180).agents == 0
    assert staffing.agents_needed(0.2, 180).agents == 1  # a trickle still needs someone
    assert staffing.agents_needed(100, 180, answered_share=0.9, answer_seconds=20).agents > 14
    with pytest.raises(ValueError, match="answered_share"):
        staffing.agents_needed(10, 180, answered_share=1.0)
    with pytest.raises(ValueError, match="shrinkage"):
        staffing.agents_needed(10, 180, shrinkage=1.0)
