"""Reads of the forecasts and staffing for the supervisors' page, its CSV and the tests. Everything comes
from the newest stored `ForecastRun` (its `VolumeForecast` rows, its half-hour profiles and handle time)
and the adjustments in force; nothing here counts the requests or contacts tables.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Holiday, Jurisdiction
from civic311.service_requests.models import Channel

from . import staffing
from .models import ForecastAdjustment, ForecastKind, ForecastRun, StaffingTarget, VolumeForecast

DEFAULT_ANSWERED_SHARE = 0.80
DEFAULT_ANSWER_SECONDS = 30
DEFAULT_SHRINKAGE = 0.30
# Without a measured handle time (no phone calls yet), this is assumed, and the page says so.
DEFAULT_HANDLE_SECONDS = 240.0
PHONE = Channel.PHONE.value


@dataclass(frozen=True)
class Target:
    answered_share: float
    answer_seconds: int
    shrinkage: float
    is_default: bool

    @property
    def answered_percent(self) -> int:
        return round(self.answered_share * 100)

    @property
    def shrinkage_percent(self) -> int:
        return round(self.shrinkage * 100)


def staffing_target(jurisdiction: Jurisdiction) -> Target:
    """The city's service level target and shrinkage, else the defaults (80 % in 30 s, 30 % shrinkage)."""
    target = StaffingTarget.objects.filter(jurisdiction=jurisdiction).first()
    if target is None:
        return Target(DEFAULT_ANSWERED_SHARE, DEFAULT_ANSWER_SECONDS, DEFAULT_SHRINKAGE, True)
    return Target(float(target.answered_share), target.answer_seconds, float(target.shrinkage), False)


def latest_run(jurisdiction: Jurisdiction) -> ForecastRun | None:
    return ForecastRun.objects.filter(jurisdiction=jurisdiction).order_by("-made_at", "-pk").first()


def adjustments(jurisdiction: Jurisdiction, first: dt.date, last: dt.date) -> list[ForecastAdjustment]:
    """The adjustments in force on any day of `first`..`last`, oldest first."""
    return list(
        ForecastAdjustment.objects.filter(
            jurisdiction=jurisdiction, withdrawn_at__isnull=True, first_day__lte=last, last_day__gte=first
        )
        .select_related("made_by")
        .order_by("made_at", "pk")
    )


def recent_adjustments(jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> QuerySet[ForecastAdjustment]:
    """The adjustments of the last 90 days and the days ahead, withdrawn ones too (with who and when)."""
    today = timezone.localtime(now or timezone.now(), jurisdiction.zone).date()
    return (
        ForecastAdjustment.objects.filter(jurisdiction=jurisdiction, last_day__gte=today - dt.timedelta(days=90))
        .select_related("made_by", "withdrawn_by")
        .order_by("-first_day", "-made_at")
    )


def multiplier_on(day: dt.date, in_force: Iterable[ForecastAdjustment]) -> float:
    """The product of the multipliers in force on `day` (1 when none)."""
    factor = Decimal(1)
    for adjustment in in_force:
        if adjustment.withdrawn_at is None and adjustment.first_day <= day <= adjustment.last_day:
            factor *= adjustment.multiplier
    return float(factor)


@dataclass
class DayRow:
    day: dt.date
    holiday: str
    multiplier: float
    # expected counts, adjusted, by column key ("contacts", "phone", "requests")
    figures: dict[str, float] = field(default_factory=dict)
    phone_low: float = 0.0
    phone_high: float = 0.0
    agent_hours: float = 0.0  # scheduled agent-hours for the day's phone calls

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


def _series(run: ForecastRun, kind: str, channel: str = "", service_id: int | None = None) -> list[VolumeForecast]:
    rows = run.days.filter(kind=kind, channel=channel)
    rows = rows.filter(service_id=service_id) if service_id is not None else rows.filter(service__isnull=True)
    return list(rows.order_by("day"))


def handle_seconds(run: ForecastRun) -> tuple[float, bool]:
    """The mean handle time of phone calls the run measured, else the default (and True: assumed)."""
    if run.handle_mean_seconds:
        return float(run.handle_mean_seconds), False
    return DEFAULT_HANDLE_SECONDS, True


def profile(run: ForecastRun, kind: str, channel: str, weekday: int) -> list[float]:
    shapes = run.profiles or {}
    shape = shapes.get(f"{kind}:{channel}") or shapes.get(f"{kind}:")
    if not shape:
        return [1 / 48] * 48
    return [float(share) for share in shape[weekday]]


@dataclass(frozen=True)
class HalfHour:
    start: dt.time
    calls: float
    need: staffing.Staffing


@dataclass(frozen=True)
class DayStaffing:
    day: dt.date
    multiplier: float
    calls: float
    handle_seconds: float
    handle_assumed: bool
    target: Target
    half_hours: list[HalfHour]

    @property
    def hours(self) -> list[tuple[dt.time, float, int, int]]:
        """(hour, calls, most agents needed in its half hours, most to schedule) for each hour."""
        rows = []
        for index in range(0, 48, 2):
            pair = self.half_hours[index : index + 2]
            rows.append(
                (
                    pair[0].start,
                    sum(h.calls for h in pair),
                    max(h.need.agents for h in pair),
                    max(h.need.scheduled for h in pair),
                )
            )
        return rows

    @property
    def peak(self) -> HalfHour:
        return max(self.half_hours, key=lambda h: (h.need.scheduled, h.calls))

    @property
    def agent_hours(self) -> float:
        return sum(h.need.scheduled for h in self.half_hours) / 2


def day_staffing(
    run: ForecastRun, day: dt.date, target: Target, in_force: Sequence[ForecastAdjustment], phone_calls: float
) -> DayStaffing:
    """The day's phone calls spread over its half hours by the measured shape, and the agents each needs."""
    handle, assumed = handle_seconds(run)
    multiplier = multiplier_on(day, in_force)
    calls = phone_calls * multiplier
    half_hours = []
    for slot, share in enumerate(profile(run, ForecastKind.CONTACTS, PHONE, day.weekday())):
        expected = calls * share
        need = staffing.agents_needed(
            expected,
            handle,
            answered_share=target.answered_share,
            answer_seconds=target.answer_seconds,
            shrinkage=target.shrinkage,
        )
        half_hours.append(HalfHour(dt.time(slot // 2, 30 * (slot % 2)), expected, need))
    return DayStaffing(day, multiplier, calls, handle, assumed, target, half_hours)


@dataclass(frozen=True)
class Forecast:
    run: ForecastRun
    days: list[DayRow]
    target: Target
    in_force: list[ForecastAdjustment]
    by_channel: list[tuple[str, list[float]]]  # channel label, expected contacts per week (adjusted)
    by_service: list[tuple[str, list[float]]]  # service name, expected requests per week (adjusted)
    weeks: list[dt.date]  # the first day of each week of the forecast

    def day(self, day: dt.date) -> DayRow | None:
        return next((row for row in self.days if row.day == day), None)


def _weekly(rows: Sequence[VolumeForecast], weeks: Sequence[dt.date], factors: dict[dt.date, float]) -> list[float]:
    sums = [0.0] * len(weeks)
    for row in rows:
        index = (row.day - weeks[0]).days // 7
        if 0 <= index < len(weeks):
            sums[index] += row.expected * factors.get(row.day, 1.0)
    return sums


def forecast(jurisdiction: Jurisdiction, run: ForecastRun | None = None) -> Forecast | None:
    """The newest forecast as the page shows it: days, weeks per channel and service, with adjustments."""
    run = run or latest_run(jurisdiction)
    if run is None:
        return None
    in_force = adjustments(jurisdiction, run.first_day, run.last_day)
    target = staffing_target(jurisdiction)
    holidays = dict(
        Holiday.objects.filter(jurisdiction=jurisdiction, date__gte=run.first_day, date__lte=run.last_day).values_list(
            "date", "name"
        )
    )
    factors: dict[dt.date, float] = {}
    rows: dict[dt.date, DayRow] = {}
    columns = {
        "contacts": _series(run, ForecastKind.CONTACTS),
        "phone": _series(run, ForecastKind.CONTACTS, PHONE),
        "requests": _series(run, ForecastKind.REQUESTS),
    }
    for key, series in columns.items():
        for forecast_day in series:
            if forecast_day.day not in rows:
                factors[forecast_day.day] = multiplier_on(forecast_day.day, in_force)
                rows[forecast_day.day] = DayRow(
                    forecast_day.day, holidays.get(forecast_day.day, ""), factors[forecast_day.day]
                )
            row = rows[forecast_day.day]
            row.figures[key] = forecast_day.expected * row.multiplier
            if key == "phone":
                row.phone_low = forecast_day.low * row.multiplier
                row.phone_high = forecast_day.high * row.multiplier
    for row in rows.values():
        row.figures.setdefault("contacts", 0.0)
        row.figures.setdefault("phone", 0.0)
        row.figures.setdefault("requests", 0.0)
    weeks = [
        run.first_day + dt.timedelta(days=7 * index) for index in range(((run.last_day - run.first_day).days // 7) + 1)
    ]
    channel_rows: dict[str, list[VolumeForecast]] = defaultdict(list)
    service_rows: dict[int, list[VolumeForecast]] = defaultdict(list)
    for forecast_day in run.days.exclude(channel="", service__isnull=True).order_by("day"):
        if forecast_day.service_id is not None and forecast_day.kind == ForecastKind.REQUESTS:
            service_rows[forecast_day.service_id].append(forecast_day)
        elif forecast_day.channel and forecast_day.kind == ForecastKind.CONTACTS:
            channel_rows[forecast_day.channel].append(forecast_day)
    labels = dict(Channel.choices)
    by_channel = sorted(
        (
            (str(labels.get(channel, channel)), _weekly(series, weeks, factors))
            for channel, series in channel_rows.items()
        ),
        key=lambda item: -sum(item[1]),
    )
    names = dict(Service.objects.filter(pk__in=list(service_rows)).values_list("pk", "name"))
    by_service = sorted(
        ((names.get(pk, str(pk)), _weekly(series, weeks, factors)) for pk, series in service_rows.items()),
        key=lambda item: -sum(item[1]),
    )
    return Forecast(
        run=run,
        days=[rows[day] for day in sorted(rows)],
        target=target,
        in_force=in_force,
        by_channel=by_channel,
        by_service=by_service,
        weeks=weeks,
    )


def csv_rows(jurisdiction: Jurisdiction, run: ForecastRun) -> Iterable[list[object]]:
    """Every stored day of every series, with the adjustment applied: the page's CSV."""
    in_force = adjustments(jurisdiction, run.first_day, run.last_day)
    yield [
        "day",
        "kind",
        "channel",
        "service_code",
        "service",
        "forecast",
        "low_80",
        "high_80",
        "multiplier",
        "adjusted",
    ]
    for row in run.days.select_related("service").order_by("kind", "channel", "service__code", "day"):
        factor = multiplier_on(row.day, in_force)
        yield [
            row.day.isoformat(),
            row.kind,
            row.channel or "all",
            row.service.code if row.service else "",
            row.service.name if row.service else "",
            f"{row.expected:.1f}",
            f"{row.low:.1f}",
            f"{row.high:.1f}",
            f"{factor:g}",
            f"{row.expected * factor:.1f}",
        ]
