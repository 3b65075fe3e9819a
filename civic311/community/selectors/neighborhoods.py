"""Reads for the public neighborhood accounts: the figures (from the rollups, never by counting the requests
table), the page of requests, the map's points and the liaisons who agreed to be shown.

Every figure is of public requests only; those of a period are of the requests *filed* in it (see
`civic311.community.services.rollups`). The city's figures are the sums over all its rollup rows (the
requests in no neighborhood included); the city's figures are kept in this process for a minute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, Sum

from civic311.catalogue.models import Service
from civic311.community.models import Liaison, NeighborhoodBacklog, NeighborhoodMonth, RollupWatermark
from civic311.community.services.rollups import AGE_BUCKETS, CLOSED, DAYS_TO_CLOSE_CAP, OPEN, month_start
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.process_cache import ProcessCache
from civic311.service_requests.models import ServiceRequest

PAGE_SIZE = 50
MAX_PAGES = 100  # deeper than this, the open data has every request
MAP_POINTS = 300
TOP_SERVICES = 8
RECENT_IN_JSON = 50
FEED_ENTRIES = 50
SEARCH_MAX_CHARS = 100


@dataclass(frozen=True)
class ServiceFigure:
    service: Service
    filed: int
    city_filed: int


@dataclass(frozen=True)
class Backlog:
    open_requests: int
    overdue: int
    by_age: list[int]  # counts in the buckets of rollups.AGE_BUCKETS
    oldest_requested_at: dt.datetime | None


@dataclass(frozen=True)
class Figures:
    neighborhood: Neighborhood
    as_of: dt.datetime | None  # None: never counted yet
    month: dt.date  # the current month of the city's calendar (its first day)
    this_month: int
    city_this_month: int
    this_year: int
    city_this_year: int
    services: list[ServiceFigure]
    backlog: Backlog
    city_backlog: Backlog
    on_time_rate: float | None  # of those filed this year and closed with a due date; None: none
    city_on_time_rate: float | None
    median_days_to_close: int | None  # of those filed this year and closed; DAYS_TO_CLOSE_CAP: that or more
    city_median_days_to_close: int | None
    age_buckets: tuple[int, ...] = field(default=AGE_BUCKETS)

    @property
    def share_this_year(self) -> int | None:
        """The neighborhood's part of the city's requests this year, in whole per cent."""
        return round(100 * self.this_year / self.city_this_year) if self.city_this_year else None

    @property
    def on_time_percent(self) -> int | None:
        return None if self.on_time_rate is None else round(100 * self.on_time_rate)

    @property
    def city_on_time_percent(self) -> int | None:
        return None if self.city_on_time_rate is None else round(100 * self.city_on_time_rate)

    @property
    def days_cap(self) -> int:
        return DAYS_TO_CLOSE_CAP

    @property
    def ages(self) -> list[tuple[int, int | None, int, int]]:
        """[(from days, to days or None, the neighborhood's open requests, the city's)] by age."""
        return [
            (low, high, mine, city)
            for (low, high), mine, city in zip(
                self.age_labels, self.backlog.by_age, self.city_backlog.by_age, strict=True
            )
        ]

    @property
    def age_labels(self) -> list[tuple[int, int | None]]:
        """[(from days, to days or None for "and older")] of the backlog's age buckets."""
        edges = list(self.age_buckets)
        return [(low, edges[i + 1] if i + 1 < len(edges) else None) for i, low in enumerate(edges)]


def neighborhoods(jurisdiction: Jurisdiction, query: str = "") -> QuerySet[Neighborhood]:
    """The city's neighborhoods in alphabetical order, those whose name contains `query` when given."""
    found = Neighborhood.objects.filter(jurisdiction=jurisdiction).only("slug", "name").order_by("name", "pk")
    query = " ".join(query.split())[:SEARCH_MAX_CHARS]
    if query:
        found = found.filter(Q(name__icontains=query) | Q(slug__icontains=query.replace(" ", "-")))
    return found


def neighborhood(jurisdiction: Jurisdiction, slug: str) -> Neighborhood | None:
    if "\x00" in slug or len(slug) > 100:
        return None
    return Neighborhood.objects.filter(jurisdiction=jurisdiction, slug=slug).only("slug", "name").first()


def median(histogram: list[int]) -> int | None:
    """The median whole days of a merged days-to-close histogram (the lower median); None when empty."""
    total = sum(histogram)
    if not total:
        return None
    middle, running = (total + 1) // 2, 0
    for day, count in enumerate(histogram):
        running += count
        if running >= middle:
            return day
    return len(histogram) - 1  # not reached


def merge(histograms: list[list[int]]) -> list[int]:
    merged = [0] * (DAYS_TO_CLOSE_CAP + 1)
    for histogram in histograms:
        for day, count in enumerate(histogram[: DAYS_TO_CLOSE_CAP + 1]):
            merged[day] += count
    return merged


def _rate(on_time: int | None, with_due: int | None) -> float | None:
    return (on_time or 0) / with_due if with_due else None


def _backlog(rows: list[dict[str, Any]]) -> Backlog:
    by_age = [0] * len(AGE_BUCKETS)
    oldest: dt.datetime | None = None
    for row in rows:
        for i, count in enumerate(row["by_age"][: len(AGE_BUCKETS)]):
            by_age[i] += count
        if row["oldest_requested_at"] is not None and (oldest is None or row["oldest_requested_at"] < oldest):
            oldest = row["oldest_requested_at"]
    return Backlog(
        open_requests=sum(row["open_requests"] for row in rows),
        overdue=sum(row["overdue"] for row in rows),
        by_age=by_age,
        oldest_requested_at=oldest,
    )


def on_time_rate(on_time: int | None, with_due: int | None) -> float | None:
    """Closed by the due date over closed with one (None when none had one); for other public pages."""
    return _rate(on_time, with_due)


def sum_backlogs(rows: list[dict[str, Any]]) -> Backlog:
    """The sum of `NeighborhoodBacklog` rows given as dicts (open_requests, overdue, by_age,
    oldest_requested_at); for other public pages."""
    return _backlog(rows)


@dataclass(frozen=True)
class _City:
    this_month: int
    this_year: int
    with_due_date: int
    on_time: int
    histogram: list[int]
    backlog: Backlog
    by_service: dict[int, int]


_city_figures: ProcessCache[tuple[int, dt.date, str], _City] = ProcessCache(seconds=60)


def _city(jurisdiction: Jurisdiction, month: dt.date, as_of: dt.datetime | None) -> _City:
    """The whole city's figures: sums over all its rollup rows, kept in this process for a minute (and for
    one count of the rollups: a sweep makes a new key)."""
    year_start = month.replace(month=1)

    def build() -> _City:
        rows = NeighborhoodMonth.objects.filter(jurisdiction=jurisdiction, month__gte=year_start).order_by()
        totals = rows.aggregate(
            year=Sum("filed"),
            month=Sum("filed", filter=Q(month=month)),
            with_due=Sum("closed_with_due_date"),
            on_time=Sum("closed_on_time"),
        )
        by_service = dict(rows.values("service_id").annotate(n=Sum("filed")).values_list("service_id", "n"))
        histograms = list(rows.filter(closed__gt=0).values_list("days_to_close", flat=True))
        backlog_fields = ("open_requests", "overdue", "by_age", "oldest_requested_at")
        backlogs = list(
            NeighborhoodBacklog.objects.filter(jurisdiction=jurisdiction).values(*backlog_fields).order_by()
        )
        return _City(
            this_month=totals["month"] or 0,
            this_year=totals["year"] or 0,
            with_due_date=totals["with_due"] or 0,
            on_time=totals["on_time"] or 0,
            histogram=merge(histograms),
            backlog=_backlog([dict(row) for row in backlogs]),
            by_service={service_id: n or 0 for service_id, n in by_service.items()},
        )

    return _city_figures.get((jurisdiction.pk, month, str(as_of)), build)


def figures(jurisdiction: Jurisdiction, place: Neighborhood, now: dt.datetime) -> Figures:
    """The figures of a neighborhood and of the whole city, from the rollups: four small queries (and the
    city's, once a minute)."""
    month = month_start(jurisdiction, now)
    year_start = month.replace(month=1)
    watermark = RollupWatermark.objects.filter(jurisdiction=jurisdiction).values_list("swept_at", flat=True).first()
    rows = list(
        NeighborhoodMonth.objects.filter(neighborhood=place, month__gte=year_start)
        .values("service_id", "month", "filed", "closed_with_due_date", "closed_on_time", "days_to_close")
        .order_by()
    )
    city = _city(jurisdiction, month, watermark)
    by_service: dict[int, int] = {}
    for row in rows:
        by_service[row["service_id"]] = by_service.get(row["service_id"], 0) + row["filed"]
    top = sorted(by_service.items(), key=lambda item: (-item[1], item[0]))[:TOP_SERVICES]
    services: list[ServiceFigure] = []
    if top:
        found = Service.objects.in_bulk([service_id for service_id, _ in top])
        services = [
            ServiceFigure(found[service_id], filed, city.by_service.get(service_id, 0))
            for service_id, filed in top
            if service_id in found
        ]
    backlog_fields = ("open_requests", "overdue", "by_age", "oldest_requested_at")
    backlogs = list(NeighborhoodBacklog.objects.filter(neighborhood=place).values(*backlog_fields).order_by())
    return Figures(
        neighborhood=place,
        as_of=watermark,
        month=month,
        this_month=sum(row["filed"] for row in rows if row["month"] == month),
        city_this_month=city.this_month,
        this_year=sum(row["filed"] for row in rows),
        city_this_year=city.this_year,
        services=services,
        backlog=_backlog([dict(row) for row in backlogs]),
        city_backlog=city.backlog,
        on_time_rate=_rate(
            sum(row["closed_on_time"] for row in rows), sum(row["closed_with_due_date"] for row in rows)
        ),
        city_on_time_rate=_rate(city.on_time, city.with_due_date),
        median_days_to_close=median(merge([row["days_to_close"] for row in rows])),
        city_median_days_to_close=median(city.histogram),
    )


# --- the requests ------------------------------------------------------------------------------------------

STATE_FILTERS = ("open", "closed")


def _requests(place: Neighborhood, state: str = "") -> QuerySet[ServiceRequest]:
    found = ServiceRequest.objects.filter(neighborhood=place, is_private=False)
    if state == "open":
        found = found.filter(OPEN)
    elif state == "closed":
        found = found.filter(CLOSED)
    return found.select_related("service").order_by("-requested_at", "-pk")


def _public_fields(found: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return found.only(
        "tracking_number",
        "status",
        "address",
        "lat",
        "long",
        "requested_at",
        "closed_at",
        "expected_at",
        "service__name",
        "service__code",
        "service__translations",
    )


def _count_from_rollups(place: Neighborhood, state: str) -> int:
    """How many public requests the neighborhood has (open or closed), from the rollups: no COUNT(*)."""
    if state == "open":
        total = NeighborhoodBacklog.objects.filter(neighborhood=place).aggregate(n=Sum("open_requests"))["n"]
        return int(total or 0)
    sums = NeighborhoodMonth.objects.filter(neighborhood=place).aggregate(filed=Sum("filed"), closed=Sum("closed"))
    return int((sums["closed"] if state == "closed" else sums["filed"]) or 0)


@dataclass(frozen=True)
class RequestPage:
    requests: list[ServiceRequest]
    number: int
    num_pages: int
    total: int  # as of the last count of the rollups
    state: str

    @property
    def previous_number(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number < self.num_pages else None


def request_page(place: Neighborhood, page: str | int = 1, state: str = "") -> RequestPage:
    """A page (PAGE_SIZE) of the neighborhood's public requests, newest first. The number of pages comes
    from the rollups (as of the last sweep), never from a COUNT of the table; a page number that is not one
    is the first page, one past the end the last."""
    state = state if state in STATE_FILTERS else ""
    total = _count_from_rollups(place, state)
    num_pages = max(1, min(MAX_PAGES, -(-total // PAGE_SIZE)))
    try:
        number = int(str(page)[:6])
    except ValueError:
        number = 1
    number = max(1, min(number, num_pages))
    offset = (number - 1) * PAGE_SIZE
    found = list(_public_fields(_requests(place, state))[offset : offset + PAGE_SIZE])
    return RequestPage(found, number, num_pages, total, state)


def recent_requests(place: Neighborhood, limit: int = RECENT_IN_JSON) -> list[ServiceRequest]:
    return list(_public_fields(_requests(place))[:limit])


def map_points(place: Neighborhood, limit: int = MAP_POINTS) -> list[dict[str, Any]]:
    """The latest public requests with a point, for the map (the list is the page's other half)."""
    found = (
        ServiceRequest.objects.filter(neighborhood=place, is_private=False, lat__isnull=False, long__isnull=False)
        .order_by("-requested_at", "-pk")
        .values("tracking_number", "lat", "long", "status", "service__name", "service__translations", "requested_at")
    )
    return [dict(point) for point in found[:limit]]


def feed_requests(place: Neighborhood, limit: int = FEED_ENTRIES) -> list[ServiceRequest]:
    """The latest news of the neighborhood: its newest filed and newest closed public requests, merged by
    the time of that news (each request once, at its latest news)."""
    newest = list(_public_fields(_requests(place))[:limit])
    # The newest closures, walked through the city's (jurisdiction, updated_at) index: a request is saved
    # when it is closed, so the latest updated hold the latest closed; a few thousand rows at most.
    closed = list(
        _public_fields(
            ServiceRequest.objects.filter(jurisdiction_id=place.jurisdiction_id, neighborhood=place, is_private=False)
            .filter(CLOSED)
            .select_related("service")
            .order_by("-updated_at", "-pk")
        )[:limit]
    )
    merged = {request.pk: request for request in [*newest, *closed]}

    def news_at(request: ServiceRequest) -> dt.datetime:
        return request.closed_at if request.closed_at and not request.is_open else request.requested_at

    return sorted(merged.values(), key=lambda request: (news_at(request), request.pk), reverse=True)[:limit]


def liaisons(place: Neighborhood) -> list[str]:
    """The public names (first name, last initial) of the neighborhood's active liaisons who agreed."""
    found = (
        Liaison.objects.filter(neighborhoods=place, status=Liaison.Status.ACTIVE, show_on_neighborhood_page=True)
        .only("first_name", "last_name")
        .order_by("first_name", "last_name", "pk")
    )
    return [liaison.public_name for liaison in found]


def boundary(place: Neighborhood) -> dict[str, Any] | None:
    """The neighborhood's outline (GeoJSON), read only for the map."""
    found = Neighborhood.objects.filter(pk=place.pk).values_list("boundary", flat=True).first()
    return found if isinstance(found, dict) else None


def forget_cached_figures() -> None:
    """Drop the city figures this process keeps (tests)."""
    _city_figures.forget()
