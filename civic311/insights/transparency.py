"""Reads for the public transparency dashboard (/transparency/): the city's volume, what gets fixed and how
fast, by month, service and neighborhood, for residents and journalists. No personal data.

Every figure comes from the public rollups of the community app (`NeighborhoodMonth`, `NeighborhoodBacklog`,
`RollupWatermark`; see `civic311.community.services.rollups`), never from counting the requests table: a
view reads the watermark, then the figures from the shared cache, or (once per sweep, language and filter)
the month rows of the last `MONTHS_OVER_TIME` months in one streamed query, the backlog rows, and the names
of the services and neighborhoods. Private requests are never in the rollups, so never here.

Figures of a period are of the requests *filed* in it (cohorts): "closed" is how many of the requests filed
that month are closed by now, wherever their close fell. "The last 12 months" are the city's current
calendar month and the eleven before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.cache import cache
from django.db.models import Q

from civic311.catalogue.models import Service
from civic311.community.models import NeighborhoodBacklog, NeighborhoodMonth, RollupWatermark
from civic311.community.selectors.neighborhoods import Backlog, median, merge, on_time_rate, sum_backlogs
from civic311.community.services.rollups import AGE_BUCKETS, DAYS_TO_CLOSE_CAP, month_start, next_month, shift_month
from civic311.db_routing import primary_reads
from civic311.jurisdictions.models import Jurisdiction, Neighborhood

MONTHS_OVER_TIME = 24
MONTHS_RECENT = 12
CACHE_SECONDS = 300
CACHE_VERSION = 1  # bump when the dataclasses change shape
_CHUNK = 2000  # month rows merged at a time (the histograms of a chunk, then dropped)


@dataclass(frozen=True)
class Cohort:
    """The requests filed in a period, and what became of them by now."""

    filed: int = 0
    closed: int = 0
    closed_with_due_date: int = 0
    closed_on_time: int = 0
    median_days_to_close: int | None = None  # of the closed ones; DAYS_TO_CLOSE_CAP means that or more

    @property
    def closed_percent(self) -> int | None:
        return round(100 * self.closed / self.filed) if self.filed else None

    @property
    def on_time_rate(self) -> float | None:
        """Closed by the due date, of those closed with a due date; None when none was."""
        return on_time_rate(self.closed_on_time, self.closed_with_due_date)

    @property
    def on_time_percent(self) -> int | None:
        rate = self.on_time_rate
        return None if rate is None else round(100 * rate)


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date  # its first day, in the city's calendar
    cohort: Cohort


@dataclass(frozen=True)
class ServiceFigures:
    service_id: int
    name: str  # in the language the figures were made for
    cohort: Cohort  # the last 12 months
    open_requests: int


@dataclass(frozen=True)
class NeighborhoodFigures:
    slug: str  # "" for the requests outside any neighborhood
    name: str
    cohort: Cohort  # the last 12 months
    open_requests: int
    overdue: int

    @property
    def is_outside(self) -> bool:
        return not self.slug


@dataclass(frozen=True)
class AgeFigure:
    low: int  # days, inclusive
    high: int | None  # days, exclusive; None: and older
    count: int

    @property
    def last_day(self) -> int | None:
        return None if self.high is None else self.high - 1


@dataclass(frozen=True)
class Bar:
    """One month of the chart, in the chart's own units (a 100-high box, `Dashboard.chart_width` wide)."""

    x: int
    width: int
    filed_height: int
    closed_height: int
    month: dt.date
    filed: int
    closed: int


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Dashboard:
    as_of: dt.datetime | None  # the last count of the rollups; None: never counted
    month: dt.date  # the city's current month (its first day)
    since: dt.date  # the first month of the last 12
    recent: Cohort  # the last 12 months
    backlog: Backlog  # open now
    months: tuple[MonthFigures, ...]  # oldest first, at most MONTHS_OVER_TIME
    services: tuple[ServiceFigures, ...]  # most filed first
    neighborhoods: tuple[NeighborhoodFigures, ...]  # by name; those outside any last
    service_choices: tuple[Choice, ...]  # for the filter form, by name
    neighborhood_choices: tuple[Choice, ...]
    service_id: int | None = None  # the filters the figures are of
    neighborhood_slug: str = ""
    days_cap: int = DAYS_TO_CLOSE_CAP
    age_buckets: tuple[int, ...] = field(default=AGE_BUCKETS)

    @property
    def ages(self) -> list[AgeFigure]:
        edges = list(self.age_buckets)
        return [
            AgeFigure(low, edges[i + 1] if i + 1 < len(edges) else None, count)
            for i, (low, count) in enumerate(zip(edges, self.backlog.by_age, strict=True))
        ]

    @property
    def is_filtered(self) -> bool:
        return self.service_id is not None or bool(self.neighborhood_slug)

    @property
    def months_newest_first(self) -> list[MonthFigures]:
        return list(reversed(self.months))

    @property
    def chart_width(self) -> int:
        return 10 * len(self.months)

    @property
    def bars(self) -> list[Bar]:
        """The months as bars: the filed ones' height, and the closed ones' inside it (peak month = 100)."""
        peak = max((item.cohort.filed for item in self.months), default=0)
        if not peak:
            return []

        def height(count: int) -> int:
            return max(1, round(100 * count / peak)) if count else 0

        return [
            Bar(
                10 * i + 1,
                8,
                height(item.cohort.filed),
                height(item.cohort.closed),
                item.month,
                item.cohort.filed,
                item.cohort.closed,
            )
            for i, item in enumerate(self.months)
        ]


class _Tally:
    """A cohort being summed from month rows (mutable; a `Cohort` once done)."""

    def __init__(self) -> None:
        self.filed = self.closed = self.with_due = self.on_time = 0
        self.histogram: list[int] = []
        self.pending: list[list[int]] = []

    def add(self, filed: int, closed: int, with_due: int, on_time: int, histogram: Any) -> None:
        self.filed += filed
        self.closed += closed
        self.with_due += with_due
        self.on_time += on_time
        if closed and isinstance(histogram, list) and histogram:
            self.pending.append(histogram)

    def flush(self) -> None:
        if self.pending:
            self.histogram = merge([self.histogram, *self.pending])
            self.pending = []

    def cohort(self) -> Cohort:
        self.flush()
        return Cohort(self.filed, self.closed, self.with_due, self.on_time, median(self.histogram))


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    found = iter(rows)
    while chunk := list(islice(found, size)):
        yield chunk


def _build(
    jurisdiction: Jurisdiction,
    month: dt.date,
    as_of: dt.datetime | None,
    language: str,
    service_id: int | None,
    neighborhood: Neighborhood | None,
) -> Dashboard:
    first = shift_month(month, -(MONTHS_OVER_TIME - 1))
    since = shift_month(month, -(MONTHS_RECENT - 1))
    where = Q(jurisdiction=jurisdiction)
    if service_id is not None:
        where &= Q(service_id=service_id)
    if neighborhood is not None:
        where &= Q(neighborhood=neighborhood)
    months: dict[dt.date, _Tally] = {}
    recent = _Tally()
    by_service: dict[int, _Tally] = {}
    by_place: dict[int | None, _Tally] = {}
    rows = (
        NeighborhoodMonth.objects.filter(where, month__gte=first, month__lte=month)
        .values_list(
            "month",
            "service_id",
            "neighborhood_id",
            "filed",
            "closed",
            "closed_with_due_date",
            "closed_on_time",
            "days_to_close",
        )
        .order_by()
    )
    tallies: list[_Tally] = [recent]
    for chunk in _chunks(rows.iterator(chunk_size=_CHUNK), _CHUNK):
        for row_month, row_service, row_place, *counts in chunk:
            into = [months.setdefault(row_month, _Tally())]
            if row_month >= since:
                into += [recent, by_service.setdefault(row_service, _Tally()), by_place.setdefault(row_place, _Tally())]
            for tally in into:
                tally.add(*counts)
        for tally in [*tallies, *months.values(), *by_service.values(), *by_place.values()]:
            tally.flush()

    backlog_rows: list[dict[str, Any]] = [
        dict(row)
        for row in NeighborhoodBacklog.objects.filter(where)
        .values("service_id", "neighborhood_id", "open_requests", "overdue", "by_age", "oldest_requested_at")
        .order_by()
    ]
    open_by_service: dict[int, int] = {}
    backlog_by_place: dict[int | None, list[dict[str, Any]]] = {}
    for row in backlog_rows:
        open_by_service[row["service_id"]] = open_by_service.get(row["service_id"], 0) + row["open_requests"]
        backlog_by_place.setdefault(row["neighborhood_id"], []).append(row)

    services = {
        service.pk: service.localized("name", language)
        for service in Service.objects.filter(jurisdiction=jurisdiction).only("name", "translations").order_by()
    }
    places = {
        place.pk: (place.slug, place.name)
        for place in Neighborhood.objects.filter(jurisdiction=jurisdiction).only("slug", "name").order_by()
    }

    over_time: list[MonthFigures] = []
    if months:
        current = min(months)
        while current <= month:
            over_time.append(MonthFigures(current, months[current].cohort() if current in months else Cohort()))
            current = next_month(current)

    service_rows = [
        ServiceFigures(
            pk,
            services.get(pk, ""),
            by_service[pk].cohort() if pk in by_service else Cohort(),
            open_by_service.get(pk, 0),
        )
        for pk in set(by_service) | set(open_by_service)
        if pk in services
    ]
    service_rows.sort(key=lambda item: (-item.cohort.filed, -item.open_requests, item.name.casefold(), item.service_id))

    place_ids: list[int | None] = [neighborhood.pk] if neighborhood is not None else list(places)
    if neighborhood is None and (None in by_place or None in backlog_by_place):
        place_ids.append(None)
    place_rows: list[NeighborhoodFigures] = []
    for pk in place_ids:
        slug, name = places.get(pk, ("", "")) if pk is not None else ("", "")
        if pk is not None and not slug:
            continue
        place_backlog = sum_backlogs(backlog_by_place.get(pk, []))
        place_rows.append(
            NeighborhoodFigures(
                slug,
                name,
                by_place[pk].cohort() if pk in by_place else Cohort(),
                place_backlog.open_requests,
                place_backlog.overdue,
            )
        )
    place_rows.sort(key=lambda item: (item.is_outside, item.name.casefold(), item.slug))

    return Dashboard(
        as_of=as_of,
        month=month,
        since=since,
        recent=recent.cohort(),
        backlog=sum_backlogs(backlog_rows),
        months=tuple(over_time),
        services=tuple(service_rows),
        neighborhoods=tuple(place_rows),
        service_choices=tuple(
            Choice(str(pk), name)
            for pk, name in sorted(services.items(), key=lambda item: (item[1].casefold(), item[0]))
        ),
        neighborhood_choices=tuple(
            Choice(slug, name) for slug, name in sorted(places.values(), key=lambda item: (item[1].casefold(), item[0]))
        ),
        service_id=service_id,
        neighborhood_slug=neighborhood.slug if neighborhood is not None else "",
    )


def figures_as_of(jurisdiction: Jurisdiction) -> dt.datetime | None:
    """When the rollups were last counted (None: never)."""
    return RollupWatermark.objects.filter(jurisdiction=jurisdiction).values_list("swept_at", flat=True).first()


def cache_key(
    jurisdiction: Jurisdiction,
    month: dt.date,
    as_of: dt.datetime | None,
    language: str,
    service_id: int | None = None,
    neighborhood: Neighborhood | None = None,
) -> str:
    """One key per city, count of the rollups (a sweep makes a new key), month, language and filter."""
    counted = as_of.isoformat() if as_of else "never"
    place = neighborhood.pk if neighborhood is not None else ""
    service = service_id if service_id is not None else ""
    return f"transparency:{CACHE_VERSION}:{jurisdiction.pk}:{counted}:{month.isoformat()}:{language}:{service}:{place}"


def dashboard(
    jurisdiction: Jurisdiction,
    now: dt.datetime,
    language: str,
    *,
    service_id: int | None = None,
    neighborhood: Neighborhood | None = None,
) -> Dashboard:
    """The city's figures (of one service or neighborhood when given): the watermark's one query, then the
    shared cache, or four queries that read only the rollups (see the module's docstring)."""
    month = month_start(jurisdiction, now)
    as_of = figures_as_of(jurisdiction)
    key = cache_key(jurisdiction, month, as_of, language, service_id, neighborhood)
    kept = cache.get(key)
    if isinstance(kept, Dashboard):
        return kept
    with primary_reads():  # a shared value must never hold a lagging replica's rows
        built = _build(jurisdiction, month, as_of, language, service_id, neighborhood)
    cache.set(key, built, CACHE_SECONDS)
    return built


def service_filter(jurisdiction: Jurisdiction, value: str) -> int | None:
    """The id of the city's service given in `?service=` (None when absent or not one of the city's)."""
    value = value.strip()[:12]
    if not value.isdigit():
        return None
    found = Service.objects.filter(jurisdiction=jurisdiction, pk=int(value)).values_list("pk", flat=True).first()
    return int(found) if found is not None else None
