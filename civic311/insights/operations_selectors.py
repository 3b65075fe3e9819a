"""Reads for the operations dashboard and the leadership report: every figure from the rollups of
`operations_rollups` (a few small GROUP BY queries over at most a row per day, service and channel), never
from the requests table, so a page costs the same on a city of five thousand requests or five million.

A request's figures belong to the day it was filed (a cohort): "closed" is how many of the requests filed in
the period are closed now, and time to close is theirs. With a neighborhood chosen, the figures come from
the monthly table and cover whole months (`Dashboard.whole_months`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from civic311.catalogue.models import Department, Service
from civic311.community.services.rollups import next_month
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.service_requests.models import Channel
from civic311.surveys.selectors import Satisfaction, satisfaction_between

from . import selectors as search_selectors
from .models import CLOSE_THRESHOLDS, JourneySnapshot, OpenRequests, OperationsWatermark, RequestDay, RequestMonth
from .operations_rollups import AGE_COLUMNS
from .social_trends import Tally, mood_between

GRAINS = ("day", "week", "month")
BREAKDOWNS = ("department", "service", "channel", "neighborhood")
COUNTS = ("filed", "closed", "closed_with_due_date", "closed_on_time", "reopened")
WITHIN = tuple(f"closed_within_{label}" for label, _hours in CLOSE_THRESHOLDS)
# The longest period a page may ask for (two years of days: the chart stays readable, the read small).
MAX_DAYS = 731


@dataclass(frozen=True)
class Filters:
    """What the reader asked for; `departments` is what they may see (None: every department)."""

    start: dt.date
    end: dt.date  # included
    grain: str = "week"
    department: int | None = None
    service: int | None = None
    neighborhood: int | None = None
    channel: str | None = None
    departments: frozenset[int] | None = None

    @property
    def by_month(self) -> bool:
        """The neighborhood figures are monthly: with a neighborhood chosen, whole months are read."""
        return self.neighborhood is not None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous_period(self) -> Filters:
        """The same number of days just before (or, for whole months, the same number of months)."""
        return replace(self, start=self.start - dt.timedelta(days=self.days), end=self.start - dt.timedelta(days=1))

    def a_year_earlier(self) -> Filters:
        return replace(self, start=_year_before(self.start), end=_year_before(self.end))


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Cohort:
    """The figures of the requests filed in a period (or a part of it)."""

    filed: int = 0
    closed: int = 0
    closed_with_due_date: int = 0
    closed_on_time: int = 0
    reopened: int = 0
    within: tuple[int, ...] = field(default=(0,) * len(CLOSE_THRESHOLDS))  # closed within each threshold

    @classmethod
    def of(cls, row: dict[str, Any]) -> Cohort:
        filed, closed, with_due, on_time, reopened = (int(row.get(name) or 0) for name in COUNTS)
        within = tuple(int(row.get(name) or 0) for name in WITHIN)
        return cls(filed, closed, with_due, on_time, reopened, within)

    def plus(self, other: Cohort) -> Cohort:
        return Cohort(
            self.filed + other.filed,
            self.closed + other.closed,
            self.closed_with_due_date + other.closed_with_due_date,
            self.closed_on_time + other.closed_on_time,
            self.reopened + other.reopened,
            tuple(a + b for a, b in zip(self.within, other.within, strict=True)),
        )

    @property
    def completion_rate(self) -> float | None:
        """Of the requests filed, the share closed (per cent)."""
        return _percent(self.closed, self.filed)

    @property
    def on_time_rate(self) -> float | None:
        """Of those closed with a due date, the share closed by it (per cent)."""
        return _percent(self.closed_on_time, self.closed_with_due_date)

    @property
    def reopen_rate(self) -> float | None:
        """Of those closed, the share opened again (per cent)."""
        return _percent(self.reopened, self.closed)

    @property
    def median_hours(self) -> float | None:
        return hours_to_close(self.within, self.closed, 0.5)

    @property
    def p90_hours(self) -> float | None:
        return hours_to_close(self.within, self.closed, 0.9)


def _percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def hours_to_close(within: tuple[int, ...], closed: int, share: float) -> float | None:
    """The time within which `share` of the `closed` requests were closed, in hours, interpolated linearly
    between the thresholds of `within` (cumulative counts); math.inf when it is beyond the last one; None
    when nothing is closed."""
    if closed <= 0:
        return None
    wanted = share * closed
    lower_hours, lower_count = 0.0, 0
    for (_label, hours), count in zip(CLOSE_THRESHOLDS, within, strict=True):
        if count >= wanted:
            if count == lower_count:
                return float(hours)
            return lower_hours + (hours - lower_hours) * (wanted - lower_count) / (count - lower_count)
        lower_hours, lower_count = float(hours), count
    return math.inf


def describe_hours(hours: float | None) -> str:
    """A time to close in words a reader takes in at a glance."""
    if hours is None:
        return "—"
    if math.isinf(hours):
        return _("over %(days)d days") % {"days": CLOSE_THRESHOLDS[-1][1] // 24}
    if hours < 24:
        return _("%(hours)s h") % {"hours": _number(hours)}
    return _("%(days)s days") % {"days": _number(hours / 24)}


def describe_percent(value: float | None) -> str:
    """ "87.5 %" (one decimal, the reader's decimal mark), or a dash when there was nothing to divide by."""
    if value is None:
        return "—"
    return _("%(percent)s %%") % {"percent": number_format(round(value, 1), 1, use_l10n=True)}


def _number(value: float) -> str:
    """One decimal under ten, none above, with the reader's decimal mark."""
    places = 1 if value < 10 else 0
    return number_format(round(value, places), places, use_l10n=True)


@dataclass(frozen=True)
class Point:
    start: dt.date  # the first day of the day, week (Monday) or month
    cohort: Cohort


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    name: str
    cohort: Cohort
    open_now: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class Backlog:
    open_requests: int = 0
    overdue: int = 0
    by_age: tuple[int, ...] = (0,) * len(AGE_COLUMNS)


@dataclass(frozen=True)
class CentreFigures:
    """The contact centre's own figures, for the whole city (not split by department or service)."""

    first_contacts: int
    resolved_first_time: int
    contacts: int
    repeat_contacts: int
    satisfaction: Satisfaction
    deflection: search_selectors.Deflection
    social: Tally
    journey_months: tuple[dt.date, ...]  # the months the contact figures come from

    @property
    def first_contact_resolution(self) -> float | None:
        return _percent(self.resolved_first_time, self.first_contacts)

    @property
    def repeat_rate(self) -> float | None:
        return _percent(self.repeat_contacts, self.contacts)

    @property
    def deflection_rate(self) -> float | None:
        rate = self.deflection.rate
        return None if rate is None else rate * 100

    @property
    def social_negative(self) -> float | None:
        return _percent(self.social.negative, self.social.posts)


# --- the reads -----------------------------------------------------------------------------------------


def _scoped(rows: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    if filters.departments is not None:
        rows = rows.filter(department_id__in=filters.departments)
    if filters.department is not None:
        rows = rows.filter(department_id=filters.department)
    if filters.service is not None:
        rows = rows.filter(service_id=filters.service)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    return rows


def _cohorts(jurisdiction: Jurisdiction, filters: Filters, *, by_neighborhood: bool = False) -> QuerySet[Any]:
    """The rollup rows the filters select: days, or months with a neighborhood chosen or asked for."""
    if filters.by_month or by_neighborhood:
        rows: QuerySet[Any] = RequestMonth.objects.filter(
            jurisdiction=jurisdiction, month__gte=filters.start.replace(day=1), month__lte=filters.end
        )
        if filters.neighborhood is not None:
            rows = rows.filter(neighborhood_id=filters.neighborhood)
    else:
        rows = RequestDay.objects.filter(jurisdiction=jurisdiction, day__gte=filters.start, day__lte=filters.end)
    return _scoped(rows, filters)


def _sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in (*COUNTS, *WITHIN)}


def totals(jurisdiction: Jurisdiction, filters: Filters) -> Cohort:
    return Cohort.of(_cohorts(jurisdiction, filters).aggregate(**_sums()))


def total_of(read: dict[CellKey, Cohort]) -> Cohort:
    """The totals of what `cells` read (so a page that reads the cells need not sum the rollups again)."""
    total = Cohort()
    for cohort in read.values():
        total = total.plus(cohort)
    return total


def _grain_start(day: dt.date, grain: str) -> dt.date:
    if grain == "month":
        return day.replace(day=1)
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def series(jurisdiction: Jurisdiction, filters: Filters) -> list[Point]:
    """The figures per day, week or month of the period, oldest first, every step there (an empty one too)."""
    grain = "month" if filters.by_month else filters.grain
    column = "month" if filters.by_month else "day"
    rows = _cohorts(jurisdiction, filters).values(column).annotate(**_sums()).order_by()
    steps: dict[dt.date, Cohort] = {}
    step = _grain_start(filters.start, grain)
    while step <= filters.end:
        steps[step] = Cohort()
        step = _next_step(step, grain)
    for row in rows:
        start = _grain_start(row[column], grain)
        if start in steps:
            steps[start] = steps[start].plus(Cohort.of(row))
    return [Point(start, cohort) for start, cohort in steps.items()]


def _next_step(day: dt.date, grain: str) -> dt.date:
    if grain == "month":
        return next_month(day)
    return day + dt.timedelta(days=7 if grain == "week" else 1)


def _open_rows(jurisdiction: Jurisdiction, filters: Filters) -> QuerySet[OpenRequests]:
    rows = _scoped(OpenRequests.objects.filter(jurisdiction=jurisdiction), filters)
    if filters.neighborhood is not None:
        rows = rows.filter(neighborhood_id=filters.neighborhood)
    return rows


def backlog(jurisdiction: Jurisdiction, filters: Filters) -> Backlog:
    """The requests open now that the filters select (the period does not apply: it is today's backlog)."""
    sums = _open_rows(jurisdiction, filters).aggregate(
        open_requests=Sum("open_requests"), overdue=Sum("overdue"), **{name: Sum(name) for name in AGE_COLUMNS}
    )
    return Backlog(
        open_requests=sums["open_requests"] or 0,
        overdue=sums["overdue"] or 0,
        by_age=tuple(sums[name] or 0 for name in AGE_COLUMNS),
    )


def _names(by: str, keys: Iterable[Any], language: str | None) -> dict[Any, str]:
    if by == "channel":
        labels = dict(Channel.choices)
        return {key: str(labels.get(key, key)) for key in keys}
    if by == "neighborhood":
        names = dict(Neighborhood.objects.filter(pk__in=[k for k in keys if k is not None]).values_list("pk", "name"))
        return {key: names.get(key, "") if key is not None else _("Outside any neighborhood") for key in keys}
    model: type[Department] | type[Service] = Department if by == "department" else Service
    return {found.pk: found.localized("name", language) for found in model.objects.filter(pk__in=list(keys))}


CellKey = tuple[int, int, str]  # (department, service, channel)
OpenKey = tuple[int, int, str, int | None]  # and neighborhood
_DIMENSION = {"department": 0, "service": 1, "channel": 2, "neighborhood": 3}


def cells(jurisdiction: Jurisdiction, filters: Filters) -> dict[CellKey, Cohort]:
    """The period's figures per (department, service, channel): one read that the totals and the
    department, service and channel breakdowns all fold, instead of a read each."""
    rows = _cohorts(jurisdiction, filters).values("department_id", "service_id", "channel").annotate(**_sums())
    return {(row["department_id"], row["service_id"], row["channel"]): Cohort.of(row) for row in rows.order_by()}


def open_cells(jurisdiction: Jurisdiction, filters: Filters) -> dict[OpenKey, tuple[int, int]]:
    """The requests open now and overdue per (department, service, channel, neighborhood)."""
    rows = (
        _open_rows(jurisdiction, filters)
        .values("department_id", "service_id", "channel", "neighborhood_id")
        .annotate(o=Sum("open_requests"), late=Sum("overdue"))
        .order_by()
    )
    return {
        (row["department_id"], row["service_id"], row["channel"], row["neighborhood_id"]): (
            row["o"] or 0,
            row["late"] or 0,
        )
        for row in rows
    }


def breakdown(
    jurisdiction: Jurisdiction,
    filters: Filters,
    by: str,
    *,
    language: str | None = None,
    read: dict[CellKey, Cohort] | None = None,
    open_now: dict[OpenKey, tuple[int, int]] | None = None,
) -> list[BreakdownRow]:
    """The period's figures per department, service, channel or neighborhood, with what each has open now;
    most filed first. `read` and `open_now`: what `cells` and `open_cells` already read for these filters."""
    if by not in BREAKDOWNS:
        raise ValueError(f"breakdown must be one of {BREAKDOWNS}")
    index = _DIMENSION[by]
    cohorts: dict[Any, Cohort] = {}
    if by == "neighborhood":  # only the monthly table knows the neighborhood
        for row in (
            _cohorts(jurisdiction, filters, by_neighborhood=True)
            .values("neighborhood_id")
            .annotate(**_sums())
            .order_by()
        ):
            cohorts[row["neighborhood_id"]] = Cohort.of(row)
    else:
        for key, cohort in (read if read is not None else cells(jurisdiction, filters)).items():
            cohorts[key[index]] = cohorts.get(key[index], Cohort()).plus(cohort)
    opened: dict[Any, tuple[int, int]] = {}
    for open_key, (count, late) in (open_now if open_now is not None else open_cells(jurisdiction, filters)).items():
        before = opened.get(open_key[index], (0, 0))
        opened[open_key[index]] = (before[0] + count, before[1] + late)
    keys = set(cohorts) | set(opened)
    names = _names(by, keys, language)
    rows = [
        BreakdownRow(
            key="" if key is None else str(key),
            name=names.get(key, str(key)),
            cohort=cohorts.get(key, Cohort()),
            open_now=opened.get(key, (0, 0))[0],
            overdue=opened.get(key, (0, 0))[1],
        )
        for key in keys
    ]
    return sorted(rows, key=lambda row: (-row.cohort.filed, -row.open_now, row.name))


def centre_figures(jurisdiction: Jurisdiction, filters: Filters) -> CentreFigures:
    """First-contact resolution and repeat contacts (the nightly journey snapshots of the months the period
    touches), satisfaction, knowledge-base deflection and the mood of social posts in the period."""
    start, end = jurisdiction.midnight(filters.start), jurisdiction.midnight(filters.end + dt.timedelta(days=1))
    snapshots = list(
        JourneySnapshot.objects.filter(
            jurisdiction=jurisdiction, month__gte=filters.start.replace(day=1), month__lte=filters.end
        ).order_by("month")
    )
    span = search_selectors.Period(days=filters.days, first=filters.start, last=filters.end)
    return CentreFigures(
        first_contacts=sum(s.first_contacts for s in snapshots),
        resolved_first_time=sum(s.resolved_first_time for s in snapshots),
        contacts=sum(s.contacts for s in snapshots),
        repeat_contacts=sum(s.repeat_contacts for s in snapshots),
        satisfaction=satisfaction_between(jurisdiction, start, end),
        deflection=search_selectors.deflection(jurisdiction, span),
        social=mood_between(jurisdiction, start, end),
        journey_months=tuple(s.month for s in snapshots),
    )


def as_of(jurisdiction: Jurisdiction) -> dt.datetime | None:
    """When the figures were last counted (None: never yet)."""
    return OperationsWatermark.objects.filter(jurisdiction=jurisdiction).values_list("swept_at", flat=True).first()


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    as_of: dt.datetime | None
    totals: Cohort
    previous: Cohort
    series: list[Point]
    backlog: Backlog
    by_department: list[BreakdownRow]
    by_service: list[BreakdownRow]
    by_channel: list[BreakdownRow]
    by_neighborhood: list[BreakdownRow]
    centre: CentreFigures | None

    @property
    def whole_months(self) -> bool:
        return self.filters.by_month


def dashboard(
    jurisdiction: Jurisdiction, filters: Filters, *, language: str | None = None, with_centre: bool = True
) -> Dashboard:
    """Everything the operations dashboard shows; `with_centre`: the centre's own figures too."""
    read, open_now = cells(jurisdiction, filters), open_cells(jurisdiction, filters)

    def by(dimension: str) -> list[BreakdownRow]:
        return breakdown(jurisdiction, filters, dimension, language=language, read=read, open_now=open_now)

    return Dashboard(
        filters=filters,
        as_of=as_of(jurisdiction),
        totals=total_of(read),
        previous=totals(jurisdiction, filters.previous_period()),
        series=series(jurisdiction, filters),
        backlog=backlog(jurisdiction, filters),
        by_department=by("department"),
        by_service=by("service"),
        by_channel=by("channel"),
        by_neighborhood=by("neighborhood"),
        centre=centre_figures(jurisdiction, filters) if with_centre else None,
    )
