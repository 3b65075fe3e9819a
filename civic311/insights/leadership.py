"""The operational leadership report: a month's or a quarter's volume and its mix, completion and on-time
per department, time to close, today's backlog and the reopen rate, beside the previous period and the same
period a year earlier (reads only; the page, the PDF and the CSV all come from one `LeadershipReport`).

Every figure comes from `operations_selectors`, which reads the rollups of `operations_rollups` (at most a
row per day, service and channel), never the requests: the report costs the same on five million requests
as on five thousand. The figures are cohorts: "closed" is how many of the requests filed in the period are
closed now, and time to close is theirs. The periods are the satisfaction report's (`surveys.reports.Period`,
the city's calendar months and quarters); a department manager's report counts only their departments.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from civic311.catalogue.models import Department
from civic311.jurisdictions.models import Jurisdiction
from civic311.surveys.reports import Period

from . import operations_selectors as figures
from .operations_selectors import Backlog, BreakdownRow, Cohort, Filters

TOP = 10  # services and neighborhoods listed
COUNT, RATE, HOURS = "count", "rate", "hours"
# The backlog's age columns (operations_rollups.AGE_COLUMNS): 0-6, 7-29, 30-89 and 90 days or more.
AGE_LABELS = ("0\u20136", "7\u201329", "30\u201389", "90+")


def filters_of(period: Period, departments: frozenset[int] | None) -> Filters:
    """The selectors' filters for a whole period (`Period.end` is exclusive, `Filters.end` included)."""
    return Filters(start=period.start, end=period.end - dt.timedelta(days=1), grain="month", departments=departments)


def a_year_before(period: Period) -> Period:
    """The same month or quarter a year earlier."""
    return Period.containing(period.kind, period.start.replace(year=period.start.year - 1))


# --- how a figure is shown (at render time, so in the reader's language) ---------------------------------


def show_count(value: float | None) -> str:
    return "—" if value is None else str(formats.number_format(int(value)))


def show(value: float | None, unit: str) -> str:
    if unit == RATE:
        return figures.describe_percent(value)
    if unit == HOURS:
        return figures.describe_hours(value)
    return show_count(value)


def csv_number(value: float | None, unit: str = RATE) -> object:
    """A figure for the CSV: unformatted; empty when there is none; "inf" for a time beyond the last
    threshold the rollups count (90 days)."""
    if value is None:
        return ""
    if math.isinf(value):
        return "inf"
    return int(value) if unit == COUNT else round(value, 1)


# --- the report's parts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    """One figure in this period, the previous one and the same period a year earlier, and the change since
    the previous: per cent for counts and times, percentage points for rates. The "closed" row also carries
    the completion rate (`rates`), and its change is the completion rate's, in points."""

    key: str
    label: str
    unit: str
    values: tuple[float | None, float | None, float | None]  # this period, previous, a year earlier
    rates: tuple[float | None, float | None, float | None] | None = None

    @property
    def change_unit(self) -> str:
        return "points" if self.unit == RATE or self.rates is not None else "percent"

    @property
    def change(self) -> float | None:
        now, before, _year = self.rates if self.rates is not None else self.values
        if now is None or before is None or math.isinf(now) or math.isinf(before):
            return None
        if self.change_unit == "points":
            return now - before
        return (now - before) / before * 100 if before else None

    @property
    def cells(self) -> tuple[str, str, str]:
        shown = [show(value, self.unit) for value in self.values]
        if self.rates is not None:
            shown = [
                f"{count} ({figures.describe_percent(rate)})" if rate is not None else count
                for count, rate in zip(shown, self.rates, strict=True)
            ]
        return shown[0], shown[1], shown[2]

    @property
    def shown_change(self) -> str:
        change = self.change
        if change is None:
            return "—"
        sign = "+" if change > 0 else ("\u2212" if change < 0 else "\u00b1")  # minus sign, plus-minus
        number = formats.number_format(round(abs(change), 1), 1)
        if self.change_unit == "points":
            # Translators: a change in a rate, in percentage points ("+3.5 pp").
            return _("%(sign)s%(points)s pp") % {"sign": sign, "points": number}
        return _("%(sign)s%(percent)s %%") % {"sign": sign, "percent": number}


@dataclass(frozen=True)
class Line:
    """A row of a breakdown: a department, service, channel or neighborhood's figures in the period."""

    row: BreakdownRow
    share: float | None = None  # of all requests filed in the period (per cent)
    previous_filed: int = 0  # in the previous period

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def cohort(self) -> Cohort:
        return self.row.cohort

    @property
    def shown_share(self) -> str:
        return figures.describe_percent(self.share)

    @property
    def shown_completion(self) -> str:
        return figures.describe_percent(self.cohort.completion_rate)

    @property
    def shown_on_time(self) -> str:
        return figures.describe_percent(self.cohort.on_time_rate)

    @property
    def shown_median(self) -> str:
        return figures.describe_hours(self.cohort.median_hours)


@dataclass(frozen=True)
class LeadershipReport:
    city: Jurisdiction
    period: Period
    previous_period: Period
    year_earlier: Period
    as_of: dt.datetime | None  # when the figures were last counted
    departments: frozenset[int] | None  # the report's scope (None: every department)
    department_names: tuple[str, ...]  # the scope's departments, by name (empty for the whole city)
    this: Cohort
    previous: Cohort
    last_year: Cohort
    summary: tuple[SummaryRow, ...]
    by_channel: tuple[Line, ...]
    by_department: tuple[Line, ...]
    top_services: tuple[Line, ...]
    top_neighborhoods: tuple[Line, ...]
    backlog: Backlog

    @property
    def top_tables(self) -> list[tuple[str, str, tuple[Line, ...], str]]:
        """(table id, heading, rows, the first column's heading) of the top services and neighborhoods."""
        return [
            ("leadership-services", _("Top services"), self.top_services, _("Service")),
            ("leadership-neighborhoods", _("Top neighborhoods"), self.top_neighborhoods, _("Neighborhood")),
        ]

    @property
    def backlog_by_age(self) -> list[tuple[str, int]]:
        return list(zip(AGE_LABELS, self.backlog.by_age, strict=True))


def _summary(this: Cohort, previous: Cohort, last_year: Cohort) -> tuple[SummaryRow, ...]:
    cohorts = (this, previous, last_year)

    def row(key: str, label: str, unit: str, name: str) -> SummaryRow:
        values = [getattr(cohort, name) for cohort in cohorts]
        return SummaryRow(key, label, unit, (values[0], values[1], values[2]))

    completion = (this.completion_rate, previous.completion_rate, last_year.completion_rate)
    return (
        row("filed", _("Requests filed"), COUNT, "filed"),
        SummaryRow(
            "closed",
            _("Closed (completion)"),
            COUNT,
            (this.closed, previous.closed, last_year.closed),
            rates=completion,
        ),
        row("on_time", _("Closed on time"), RATE, "on_time_rate"),
        row("median", _("Median time to close"), HOURS, "median_hours"),
        row("p90", _("90th percentile time to close"), HOURS, "p90_hours"),
        row("reopened", _("Reopen rate"), RATE, "reopen_rate"),
    )


def _top(rows: list[BreakdownRow], earlier: list[BreakdownRow]) -> tuple[Line, ...]:
    before = {row.key: row.cohort.filed for row in earlier}
    return tuple(Line(row, previous_filed=before.get(row.key, 0)) for row in rows if row.cohort.filed > 0)[:TOP]


def _department_names(city: Jurisdiction, departments: frozenset[int] | None, language: str | None) -> list[str]:
    if departments is None:
        return []
    found = Department.objects.filter(jurisdiction=city, pk__in=departments)
    return sorted(department.localized("name", language) for department in found)


def leadership_report(
    city: Jurisdiction, period: Period, *, departments: frozenset[int] | None, language: str | None
) -> LeadershipReport:
    """The period's report for the whole city (`departments` None) or for those departments only."""
    previous_period, year_earlier = period.previous(), a_year_before(period)
    now, before, year = (filters_of(each, departments) for each in (period, previous_period, year_earlier))
    # The period's cells and open requests are read once, and every table of the period folds them.
    read, open_now, read_before = figures.cells(city, now), figures.open_cells(city, now), figures.cells(city, before)
    this, previous, last_year = figures.total_of(read), figures.total_of(read_before), figures.totals(city, year)

    def by(dimension: str, filters: Filters = now, cells: dict[figures.CellKey, Cohort] = read) -> list[BreakdownRow]:
        return figures.breakdown(city, filters, dimension, language=language, read=cells, open_now=open_now)

    channels = by("channel")
    as_of = figures.as_of(city)
    return LeadershipReport(
        city=city,
        period=period,
        previous_period=previous_period,
        year_earlier=year_earlier,
        as_of=as_of.astimezone(city.zone) if as_of is not None else None,
        departments=departments,
        department_names=tuple(_department_names(city, departments, language)),
        this=this,
        previous=previous,
        last_year=last_year,
        summary=_summary(this, previous, last_year),
        by_channel=tuple(
            Line(row, share=row.cohort.filed / this.filed * 100 if this.filed else None)
            for row in channels
            if row.cohort.filed > 0
        ),
        by_department=tuple(Line(row) for row in by("department")),
        top_services=_top(by("service"), by("service", before, read_before)),
        top_neighborhoods=_top(by("neighborhood"), by("neighborhood", before, read_before)),
        backlog=figures.backlog(city, now),
    )


# --- the CSV ----------------------------------------------------------------------------------------------


def csv_rows(report: LeadershipReport) -> Iterator[list[object]]:
    """The report's tables one after the other, each headed by its own header row (whose first cell is
    "table"); every row's first cell names its table. Numbers unformatted: rates and shares in per cent,
    times in hours (empty: nothing closed; "inf": beyond 90 days)."""
    scope = "; ".join(report.department_names) if report.departments is not None else "all"
    as_of = report.as_of.isoformat() if report.as_of else ""
    yield ["table", "city", "kind", "period", "start", "end", "previous_period", "year_earlier", "as_of", "departments"]
    yield [
        "report",
        report.city.name,
        report.period.kind,
        report.period.slug,
        report.period.start.isoformat(),
        (report.period.end - dt.timedelta(days=1)).isoformat(),
        report.previous_period.slug,
        report.year_earlier.slug,
        as_of,
        scope,
    ]
    yield ["table", "figure", "this_period", "previous_period", "year_earlier", "change", "change_unit"]
    for summary in report.summary:
        # The closed row: its count (changed in per cent), then the completion rate on a row of its own.
        rows = (
            [summary]
            if summary.rates is None
            else [
                SummaryRow(summary.key, summary.label, summary.unit, summary.values),
                SummaryRow("completion_rate", summary.label, RATE, summary.rates),
            ]
        )
        for row in rows:
            yield [
                "summary",
                row.key,
                *[csv_number(value, row.unit) for value in row.values],
                csv_number(row.change),
                row.change_unit,
            ]
    yield ["table", "channel", "name", "filed", "share_percent"]
    for line in report.by_channel:
        yield ["channel", line.key, line.name, line.cohort.filed, csv_number(line.share)]
    yield [
        "table",
        "department_id",
        "name",
        "filed",
        "closed",
        "completion_percent",
        "on_time_percent",
        "median_hours",
        "p90_hours",
        "reopened",
        "open_now",
        "overdue",
    ]
    for line in report.by_department:
        cohort = line.cohort
        yield [
            "department",
            line.key,
            line.name,
            cohort.filed,
            cohort.closed,
            csv_number(cohort.completion_rate),
            csv_number(cohort.on_time_rate),
            csv_number(cohort.median_hours, HOURS),
            csv_number(cohort.p90_hours, HOURS),
            cohort.reopened,
            line.row.open_now,
            line.row.overdue,
        ]
    for table, lines in (("service", report.top_services), ("neighborhood", report.top_neighborhoods)):
        yield ["table", f"{table}_id", "name", "filed", "on_time_percent", "median_hours", "previous_period_filed"]
        for line in lines:
            yield [
                table,
                line.key,
                line.name,
                line.cohort.filed,
                csv_number(line.cohort.on_time_rate),
                csv_number(line.cohort.median_hours, HOURS),
                line.previous_filed,
            ]
    yield ["table", "open_now", "overdue", *[f"aged_{label}_days" for label in ("0_6", "7_29", "30_89", "90_plus")]]
    yield ["backlog", report.backlog.open_requests, report.backlog.overdue, *report.backlog.by_age]
