"""The volume forecast's arithmetic: a daily count series in, the next days' expected counts out. No
database: `forecast_services` reads the history with one aggregate query per kind and stores the result.

The model is a Poisson regression (statsmodels' GLM, log link) on the day of the week and the city's
holidays, with the recent weeks weighted more (a half-life of `HALF_LIFE_DAYS`) so the level follows the
season without a trend line to run away with, and, given two years of history, the time of year (two
pairs of Fourier terms). Its 80 % band widens the Poisson spread by the overdispersion the fit measured.

statsmodels, pandas and numpy are imported inside the functions: the site starts without them (a test
guards it); only the nightly forecast and the benchmark load them.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

HALF_LIFE_DAYS = 42
# The annual season is fitted only with two full years: with one, it cannot be told from a trend.
ANNUAL_FROM_DAYS = 730
# Fewer days than this and the weekday pattern is not fitted: the forecast is the recent mean.
MIN_DAYS = 14
HOLIDAY_WEIGHT_FLOOR = 0.5
Z80 = 1.2816  # the normal quantile of 90 %: an 80 % central band


@dataclass(frozen=True)
class DayForecast:
    day: dt.date
    expected: float
    low: float
    high: float


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _features(days: Sequence[dt.date], holidays: Collection[dt.date], annual: bool) -> list[list[float]]:
    rows = []
    for day in days:
        row = [1.0]
        row.extend(1.0 if day.weekday() == weekday else 0.0 for weekday in range(1, 7))  # Monday is the base
        row.append(1.0 if day in holidays else 0.0)
        if annual:
            angle = 2 * math.pi * day.timetuple().tm_yday / 365.25
            row.extend([math.sin(angle), math.cos(angle), math.sin(2 * angle), math.cos(2 * angle)])
        rows.append(row)
    return rows


def forecast_series(
    history: Mapping[dt.date, float],
    first: dt.date,
    last: dt.date,
    future: Sequence[dt.date],
    holidays: Collection[dt.date],
) -> list[DayForecast]:
    """The expected count of each day of `future`, from the counts of the days `first`..`last` (a day
    missing from `history` counted nothing)."""
    import numpy as np

    days = days_between(first, last)
    counts = np.array([float(history.get(day, 0)) for day in days])
    if not len(future):
        return []
    if counts.sum() == 0:
        return [DayForecast(day, 0.0, 0.0, 0.0) for day in future]
    if len(days) < MIN_DAYS:
        mean = float(counts.mean())
        spread = Z80 * math.sqrt(mean)
        return [DayForecast(day, mean, max(0.0, mean - spread), mean + spread) for day in future]

    import statsmodels.api as sm

    annual = len(days) >= ANNUAL_FROM_DAYS
    holiday_days = frozenset(holidays)
    exog = np.array(_features(days, holiday_days, annual))
    # A holiday column the history never saw (or a weekday it never had) cannot be fitted: drop it.
    seen = np.array([True, *(bool(column.any()) for column in exog.T[1:])])
    exog = exog[:, seen]
    age = np.array([(last - day).days for day in days], dtype=float)
    weights = 0.5 ** (age / HALF_LIFE_DAYS)
    # Holidays are few: the old ones keep a say, or the holiday effect would rest on one or two days.
    is_holiday = np.array([day in holiday_days for day in days])
    weights = np.where(is_holiday, np.maximum(weights, HOLIDAY_WEIGHT_FLOOR), weights)
    model = sm.GLM(counts, exog, family=sm.families.Poisson(), var_weights=weights)
    try:
        with warnings.catch_warnings():
            # A weekday that never had a call fits to (nearly) nothing: right, and not worth a warning.
            warnings.simplefilter("ignore")
            fitted = model.fit(maxiter=100)
    except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - a degenerate series
        mean = float(np.average(counts, weights=weights))
        return [DayForecast(day, mean, mean, mean) for day in future]
    dispersion = max(1.0, float(fitted.pearson_chi2 / max(1.0, fitted.df_resid)))
    expected = fitted.predict(np.array(_features(future, holiday_days, annual))[:, seen])
    forecasts = []
    for day, raw in zip(future, expected, strict=True):
        value = float(min(raw, counts.max() * 10 + 10))  # never explode past anything seen
        spread = Z80 * math.sqrt(value * dispersion)
        forecasts.append(DayForecast(day, value, max(0.0, value - spread), value + spread))
    return forecasts


def seasonal_naive(history: Mapping[dt.date, float], last: dt.date, future: Sequence[dt.date]) -> list[float]:
    """The baseline: each future day gets the count of the same weekday in the last week of the history."""
    values = []
    for day in future:
        ahead = (day - last).days
        values.append(float(history.get(day - dt.timedelta(days=7 * max(1, math.ceil(ahead / 7))), 0)))
    return values


def wape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    """Weighted absolute percentage error: the sum of |error| over the sum of actual counts (None when
    nothing happened)."""
    total = sum(actual)
    if total <= 0:
        return None
    return sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / total


def half_hour_profile(counts: Mapping[tuple[int, int], float]) -> list[list[float]]:
    """From counts by (weekday 0-6, half hour 0-47), each weekday's share of its day per half hour. A
    weekday with nothing recorded takes the shape of the whole week; an empty history, an even spread."""
    week = [sum(counts.get((weekday, slot), 0) for weekday in range(7)) for slot in range(48)]
    week_total = sum(week)
    flat = [w / week_total for w in week] if week_total else [1 / 48] * 48
    profile = []
    for weekday in range(7):
        day = [float(counts.get((weekday, slot), 0)) for slot in range(48)]
        total = sum(day)
        profile.append([value / total for value in day] if total else list(flat))
    return profile
