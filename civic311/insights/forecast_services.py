"""Writes of the forecasts and staffing (issue 20): the nightly forecast (a `ForecastRun` and its
`VolumeForecast` rows), a supervisor's emergency adjustment and its withdrawal, and the city's staffing
target. Each write checks who may do it (`civic311.people.roles`) and everything else first, raises
`ValidationError` keyed by field, and writes in one transaction.

The forecast reads the history with one aggregate query per kind (requests by `requested_at`, contacts by
`started_at`, grouped by the city's local day, channel and service), one for each kind's half-hour shape,
and one for the phone calls' handle times; it never runs when a page is shown.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, ExtractMinute, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Holiday, Jurisdiction
from civic311.people import roles
from civic311.service_requests.models import Channel, Contact, ServiceRequest

from . import forecasting
from .models import ForecastAdjustment, ForecastKind, ForecastRun, StaffingTarget, VolumeForecast

if TYPE_CHECKING:
    from civic311.people.models import User

FORECAST_WEEKS = 6
HISTORY_DAYS = 3 * 365
PROFILE_DAYS = 8 * 7  # the half-hour shape of a day, from the last eight weeks
HANDLE_DAYS = 28  # the handle time, from the last four weeks of phone calls
HANDLE_SAMPLE = 50_000
BACKTEST_DAYS = 28
# A service is forecast on its own when it averaged this many a day in the profile weeks; the top ones only.
SERVICE_MIN_DAILY = 0.5
MOST_SERVICES = 40
KEEP_RUNS = 14
MULTIPLIER_RANGE = (Decimal("0.10"), Decimal("20.00"))
LONGEST_ADJUSTMENT_DAYS = 31

_TIME_FIELD = {ForecastKind.REQUESTS: "requested_at", ForecastKind.CONTACTS: "started_at"}


def _rows(kind: str, jurisdiction: Jurisdiction, first: dt.date, last: dt.date) -> QuerySet[Any]:
    """The kind's rows of the city's local days `first`..`last`."""
    model = ServiceRequest if kind == ForecastKind.REQUESTS else Contact
    field = _TIME_FIELD[ForecastKind(kind)]
    zone = jurisdiction.zone
    return model.objects.filter(
        jurisdiction=jurisdiction,
        **{
            f"{field}__gte": _local_midnight(first, zone),
            f"{field}__lt": _local_midnight(last + dt.timedelta(days=1), zone),
        },
    )


def _local_midnight(day: dt.date, zone: Any) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


@dataclass
class History:
    """One kind's daily counts: all, per channel and per service."""

    total: dict[dt.date, float]
    by_channel: dict[str, dict[dt.date, float]]
    by_service: dict[int, dict[dt.date, float]]


def read_history(jurisdiction: Jurisdiction, kind: str, first: dt.date, last: dt.date) -> History:
    """One GROUP BY over the kind's table: counts per local day, channel and service."""
    zone = jurisdiction.zone
    field = _TIME_FIELD[ForecastKind(kind)]
    grouped = (
        _rows(kind, jurisdiction, first, last)
        .annotate(local_day=TruncDate(field, tzinfo=zone))
        .values_list("local_day", "channel", "service_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    history = History({}, defaultdict(dict), defaultdict(dict))
    for day, channel, service_id, count in grouped:
        history.total[day] = history.total.get(day, 0) + count
        history.by_channel[channel][day] = history.by_channel[channel].get(day, 0) + count
        if service_id is not None:
            history.by_service[service_id][day] = history.by_service[service_id].get(day, 0) + count
    return history


def read_profiles(jurisdiction: Jurisdiction, kind: str, first: dt.date, last: dt.date) -> dict[str, list[list[float]]]:
    """Each channel's (and all channels', key "") share of the day per half hour, weekday by weekday."""
    zone = jurisdiction.zone
    field = _TIME_FIELD[ForecastKind(kind)]
    grouped = (
        _rows(kind, jurisdiction, first, last)
        .annotate(
            weekday=ExtractIsoWeekDay(field, tzinfo=zone),
            hour=ExtractHour(field, tzinfo=zone),
            half=ExtractMinute(field, tzinfo=zone) / 30,
        )
        .values_list("channel", "weekday", "hour", "half")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, dict[tuple[int, int], float]] = defaultdict(lambda: defaultdict(float))
    for channel, weekday, hour, half, count in grouped:
        key = (int(weekday) - 1, int(hour) * 2 + min(1, int(half)))
        counts[channel][key] += count
        counts[""][key] += count
    return {f"{kind}:{channel}": forecasting.half_hour_profile(shape) for channel, shape in counts.items()}


def measure_handle_time(jurisdiction: Jurisdiction, first: dt.date, last: dt.date) -> tuple[float | None, float | None]:
    """The mean and median handle time (seconds) of the phone calls of the days `first`..`last`."""
    zone = jurisdiction.zone
    spans = (
        Contact.objects.filter(
            jurisdiction=jurisdiction,
            channel=Channel.PHONE,
            started_at__gte=_local_midnight(first, zone),
            started_at__lt=_local_midnight(last + dt.timedelta(days=1), zone),
            ended_at__isnull=False,
        )
        .order_by("-started_at")
        .values_list("started_at", "ended_at")[:HANDLE_SAMPLE]
    )
    seconds = [max(0.0, (ended - started).total_seconds()) for started, ended in spans if ended is not None]
    if not seconds:
        return None, None
    return statistics.fmean(seconds), float(statistics.median(seconds))


def _series(kind: str, history: History, recent_first: dt.date) -> list[tuple[str, int | None, dict[dt.date, float]]]:
    """(channel, service id, counts) of every series to forecast: all, each channel, the busier services."""
    series: list[tuple[str, int | None, dict[dt.date, float]]] = [("", None, history.total)]
    series.extend((channel, None, counts) for channel, counts in sorted(history.by_channel.items()))
    recent_days = max(1, (max(history.total, default=recent_first) - recent_first).days + 1)
    busy = sorted(
        (
            (sum(n for day, n in counts.items() if day >= recent_first) / recent_days, service_id)
            for service_id, counts in history.by_service.items()
        ),
        reverse=True,
    )
    series.extend(
        ("", service_id, history.by_service[service_id])
        for mean, service_id in busy[:MOST_SERVICES]
        if mean >= SERVICE_MIN_DAILY
    )
    return series


def backtest(
    history: dict[dt.date, float],
    first: dt.date,
    last: dt.date,
    holidays: frozenset[dt.date],
    days: int = BACKTEST_DAYS,
) -> dict[str, float | int | None]:
    """Fit on all but the last `days` days, forecast them; the WAPE beside the seasonal-naive baseline."""
    origin = last - dt.timedelta(days=days)
    if (origin - first).days + 1 < forecasting.MIN_DAYS:
        return {"model": None, "baseline": None, "days": 0}
    future = forecasting.days_between(origin + dt.timedelta(days=1), last)
    actual = [history.get(day, 0.0) for day in future]
    predicted = [f.expected for f in forecasting.forecast_series(history, first, origin, future, holidays)]
    naive = forecasting.seasonal_naive(history, origin, future)
    return {"model": forecasting.wape(actual, predicted), "baseline": forecasting.wape(actual, naive), "days": days}


def make_forecast(
    jurisdiction: Jurisdiction,
    *,
    now: dt.datetime | None = None,
    weeks: int = FORECAST_WEEKS,
    history_days: int = HISTORY_DAYS,
) -> ForecastRun:
    """Fit every series on the city's history up to yesterday and store the next `weeks` weeks from today."""
    if not 1 <= weeks <= 26:
        raise ValueError("weeks must be between 1 and 26")
    now = now or timezone.now()
    today = timezone.localtime(now, jurisdiction.zone).date()
    last = today - dt.timedelta(days=1)
    first = last - dt.timedelta(days=history_days - 1)
    future = forecasting.days_between(today, today + dt.timedelta(days=7 * weeks - 1))
    holidays = frozenset(
        Holiday.objects.filter(jurisdiction=jurisdiction, date__gte=first, date__lte=future[-1]).values_list(
            "date", flat=True
        )
    )
    profile_first = last - dt.timedelta(days=PROFILE_DAYS - 1)
    rows: list[VolumeForecast] = []
    profiles: dict[str, list[list[float]]] = {}
    errors: dict[str, Any] = {}
    starts: list[dt.date] = []
    for kind in ForecastKind.values:
        history = read_history(jurisdiction, kind, first, last)
        if history.total:
            starts.append(min(history.total))
        kind_first = min(history.total, default=last)
        profiles.update(read_profiles(jurisdiction, kind, profile_first, last))
        errors[kind] = backtest(history.total, kind_first, last, holidays)
        for channel, service_id, counts in _series(kind, history, profile_first):
            for day in forecasting.forecast_series(counts, kind_first, last, future, holidays):
                rows.append(
                    VolumeForecast(
                        kind=kind,
                        channel=channel,
                        service_id=service_id,
                        day=day.day,
                        expected=round(day.expected, 3),
                        low=round(day.low, 3),
                        high=round(day.high, 3),
                    )
                )
    mean, median = measure_handle_time(jurisdiction, last - dt.timedelta(days=HANDLE_DAYS - 1), last)
    with transaction.atomic():
        run = ForecastRun.objects.create(
            jurisdiction=jurisdiction,
            made_at=now,
            history_first=min(starts, default=last),
            history_last=last,
            first_day=future[0],
            last_day=future[-1],
            handle_mean_seconds=mean,
            handle_median_seconds=median,
            profiles=profiles,
            backtest=errors,
        )
        for row in rows:
            row.run = run
        VolumeForecast.objects.bulk_create(rows, batch_size=2000)
        stale = ForecastRun.objects.filter(jurisdiction=jurisdiction).order_by("-made_at", "-pk")[KEEP_RUNS:]
        ForecastRun.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return run


def make_all_forecasts(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The nightly sweep: a new forecast for every city; the number of days stored per city."""
    made = {}
    for jurisdiction in Jurisdiction.objects.order_by("pk"):
        run = make_forecast(jurisdiction, now=now)
        made[jurisdiction.slug] = run.days.count()
    return made


# --- the emergency adjustment ------------------------------------------------------------------------


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None


def adjust_forecast(
    jurisdiction: Jurisdiction,
    *,
    first_day: dt.date | None,
    last_day: dt.date | None,
    multiplier: Any,
    reason: str,
    actor: User,
    now: dt.datetime | None = None,
) -> ForecastAdjustment:
    """Multiply the forecast of the days `first_day`..`last_day` by `multiplier` when it is shown."""
    roles.require(
        roles.may_adjust_forecasts_in(actor, jurisdiction.pk),
        _("You may not adjust this city's forecast."),
    )
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if first_day is None:
        errors["first_day"] = [_("Enter the first day.")]
    if last_day is None:
        errors["last_day"] = [_("Enter the last day.")]
    if first_day and last_day:
        if last_day < first_day:
            errors["last_day"] = [_("The last day cannot be before the first.")]
        elif (last_day - first_day).days + 1 > LONGEST_ADJUSTMENT_DAYS:
            errors["last_day"] = [_("An adjustment covers at most %(days)d days.") % {"days": LONGEST_ADJUSTMENT_DAYS}]
        if last_day < timezone.localtime(now, jurisdiction.zone).date():
            errors.setdefault("last_day", []).append(_("The days must not all be in the past."))
    factor = _decimal(multiplier, "multiplier", errors)
    low, high = MULTIPLIER_RANGE
    if factor is not None and not low <= factor <= high:
        errors["multiplier"] = [_("The multiplier must be between %(low)s and %(high)s.") % {"low": low, "high": high}]
    reason = " ".join(str(reason or "").split())[:200]
    if not reason:
        errors["reason"] = [_("Say why (the storm, the event).")]
    if errors:
        raise ValidationError(errors)
    assert first_day is not None and last_day is not None and factor is not None
    return ForecastAdjustment.objects.create(
        jurisdiction=jurisdiction,
        first_day=first_day,
        last_day=last_day,
        multiplier=factor.quantize(Decimal("0.01")),
        reason=reason,
        made_by=actor,
        made_at=now,
    )


def withdraw_adjustment(adjustment: ForecastAdjustment, *, actor: User, now: dt.datetime | None = None) -> None:
    """The adjustment no longer applies; it stays on record with who withdrew it and when."""
    roles.require(
        roles.may_adjust_forecasts_in(actor, adjustment.jurisdiction_id),
        _("You may not adjust this city's forecast."),
    )
    if adjustment.withdrawn_at is not None:
        raise ValidationError({"adjustment": [_("This adjustment was already withdrawn.")]})
    adjustment.withdrawn_at = now or timezone.now()
    adjustment.withdrawn_by = actor
    adjustment.save(update_fields=["withdrawn_at", "withdrawn_by"])


# --- the staffing target -----------------------------------------------------------------------------


def set_staffing_target(
    jurisdiction: Jurisdiction,
    *,
    answered_percent: Any,
    answer_seconds: Any,
    shrinkage_percent: Any,
    actor: User,
    now: dt.datetime | None = None,
) -> StaffingTarget:
    """The city's service level target (e.g. 80 % within 30 seconds) and shrinkage (e.g. 30 %)."""
    roles.require(
        roles.may_adjust_forecasts_in(actor, jurisdiction.pk),
        _("You may not change this city's staffing target."),
    )
    errors: dict[str, list[str]] = {}
    share = _decimal(answered_percent, "answered_percent", errors)
    if share is not None and not Decimal(1) <= share <= Decimal(99):
        errors["answered_percent"] = [_("Enter a share between 1 and 99 %.")]
    shrinkage = _decimal(shrinkage_percent, "shrinkage_percent", errors)
    if shrinkage is not None and not Decimal(0) <= shrinkage <= Decimal(90):
        errors["shrinkage_percent"] = [_("Enter a shrinkage between 0 and 90 %.")]
    try:
        seconds = int(str(answer_seconds).strip())
    except ValueError:
        errors["answer_seconds"] = [_("Enter a whole number of seconds.")]
        seconds = 0
    if "answer_seconds" not in errors and not 1 <= seconds <= 3600:
        errors["answer_seconds"] = [_("Enter between 1 and 3600 seconds.")]
    if errors:
        raise ValidationError(errors)
    assert share is not None and shrinkage is not None
    target, _created = StaffingTarget.objects.update_or_create(
        jurisdiction=jurisdiction,
        defaults={
            "answered_share": (share / 100).quantize(Decimal("0.001")),
            "answer_seconds": seconds,
            "shrinkage": (shrinkage / 100).quantize(Decimal("0.001")),
            "updated_by": actor,
            "updated_at": now or timezone.now(),
        },
    )
    return target
