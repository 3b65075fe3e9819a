"""The neighborhood figures' rollups: counted from the requests by SQL GROUP BY, read by the public pages.

Two tables (`civic311.community.models`):

- `NeighborhoodMonth`: per (neighborhood, service, month of the city's calendar) the public requests *filed*
  that month, how many of them are closed, closed with a due date, closed by it, and a histogram of their
  whole days to close. Every figure belongs to the filing month (a cohort), so a request counts in exactly
  one bucket, whatever happens to it later.
- `NeighborhoodBacklog`: per (neighborhood, service) the public requests open now, overdue, by age.

`rebuild(jurisdiction)` recounts everything in one transaction. `sweep(jurisdiction, now)` recounts only
the (neighborhood, month) buckets of the requests whose `updated_at` is after the city's watermark (a new
request, a status change, a close, a reopening, a correction of service), plus the backlogs of the
neighborhoods they are in (and any backlog older than `BACKLOG_MAX_AGE`, whose ages have moved on), then
moves the watermark. Both hold the watermark row (`select_for_update`) for their whole transaction, so two
workers never count at once; both are idempotent.

The watermark trails the clock by `LAG`: a request saved with `updated_at` = t but committed a little
later is still seen by the next sweep (recounting a bucket twice is harmless). A request moved to another
neighborhood leaves its old bucket counted until the nightly rebuild (the periodic task).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Func, IntegerField, Min, Q, QuerySet, Value
from django.db.models.functions import Least, TruncMonth
from django.utils import timezone

from civic311.community.models import NeighborhoodBacklog, NeighborhoodMonth, RollupWatermark
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import ServiceRequest

# The last bucket of `NeighborhoodMonth.days_to_close` holds everything of this many days or more.
DAYS_TO_CLOSE_CAP = 60
# The age buckets of an open backlog, in days: [0, 7), [7, 30), [30, 90), [90, ...).
AGE_BUCKETS: tuple[int, ...] = (0, 7, 30, 90)
# How far the watermark trails the sweep's clock (see the module's docstring).
LAG = dt.timedelta(minutes=5)
# A backlog not recounted for this long is recounted by the next sweep (its ages and overdue moved on).
BACKLOG_MAX_AGE = dt.timedelta(hours=1)

CLOSED = Q(status__in=[str(status) for status in FINAL_STATES], closed_at__isnull=False)
OPEN = ~Q(status__in=[str(status) for status in FINAL_STATES])

Bucket = tuple[int | None, dt.date]  # (neighborhood id or None, first day of the month)


@dataclass(frozen=True)
class Counted:
    months: int  # rows written
    backlogs: int
    seconds: float


class DaysBetween(Func):
    """Whole days from `start` to `end` (both timestamps), on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "CAST((julianday(%(expressions)s)) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(", **extra_context)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400)::integer",
            arg_joiner=" - ",
            **extra_context,
        )


def month_start(jurisdiction: Jurisdiction, moment: dt.datetime) -> dt.date:
    """The first day of the month `moment` falls in, in the city's calendar."""
    return moment.astimezone(jurisdiction.zone).date().replace(day=1)


def shift_month(month: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months after (before, when negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(month: dt.date) -> dt.date:
    return shift_month(month, 1)


def month_bounds(jurisdiction: Jurisdiction, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a month of the city's calendar, as instants."""
    return jurisdiction.midnight(month), jurisdiction.midnight(next_month(month))


def month_of(jurisdiction: Jurisdiction, value: dt.datetime | dt.date) -> dt.date:
    """The first day of a month as the database's truncation gives it (an aware or naive datetime, a date)."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(jurisdiction.zone) if value.tzinfo else value).date().replace(day=1)
    return value.replace(day=1)


def _public(jurisdiction: Jurisdiction) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(jurisdiction=jurisdiction, is_private=False)


def _count_months(jurisdiction: Jurisdiction, requests: QuerySet[ServiceRequest]) -> list[NeighborhoodMonth]:
    """The month rows of `requests` (public requests of the city), two GROUP BY queries."""
    month = TruncMonth("requested_at", tzinfo=jurisdiction.zone)
    rows: dict[tuple[int | None, int, dt.date], NeighborhoodMonth] = {}

    def key(value: dt.datetime | dt.date) -> dt.date:
        return month_of(jurisdiction, value)

    counts = (
        requests.annotate(m=month)
        .values("neighborhood_id", "service_id", "m")
        .annotate(
            filed=Count("pk"),
            closed=Count("pk", filter=CLOSED),
            with_due=Count("pk", filter=CLOSED & Q(expected_at__isnull=False)),
            on_time=Count("pk", filter=CLOSED & Q(closed_at__lte=F("expected_at"))),
        )
        .order_by()
    )
    for row in counts:
        bucket = (row["neighborhood_id"], row["service_id"], key(row["m"]))
        rows[bucket] = NeighborhoodMonth(
            jurisdiction=jurisdiction,
            neighborhood_id=row["neighborhood_id"],
            service_id=row["service_id"],
            month=bucket[2],
            filed=row["filed"],
            closed=row["closed"],
            closed_with_due_date=row["with_due"],
            closed_on_time=row["on_time"],
            days_to_close=[],
        )
    days = Least(DaysBetween(F("closed_at"), F("requested_at")), Value(DAYS_TO_CLOSE_CAP))
    histograms = (
        requests.filter(CLOSED)
        .annotate(m=month, d=days)
        .values("neighborhood_id", "service_id", "m", "d")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for hit in histograms:
        cell: dict[str, Any] = dict(hit)
        found = rows.get((cell["neighborhood_id"], cell["service_id"], key(cell["m"])))
        if found is None:  # changed between the two queries; the next sweep recounts it
            continue
        histogram: list[int] = found.days_to_close
        day = max(0, min(int(cell["d"]), DAYS_TO_CLOSE_CAP))
        if len(histogram) <= day:
            histogram.extend([0] * (day + 1 - len(histogram)))
        histogram[day] += cell["n"]
    return list(rows.values())


def _count_backlogs(
    jurisdiction: Jurisdiction, requests: QuerySet[ServiceRequest], now: dt.datetime
) -> list[NeighborhoodBacklog]:
    ages = {
        f"age{i}": Count(
            "pk",
            filter=Q(requested_at__lte=now - dt.timedelta(days=low))
            & (Q(requested_at__gt=now - dt.timedelta(days=AGE_BUCKETS[i + 1])) if i + 1 < len(AGE_BUCKETS) else Q()),
        )
        for i, low in enumerate(AGE_BUCKETS)
    }
    counts = (
        requests.filter(OPEN)
        .values("neighborhood_id", "service_id")
        .annotate(
            open_requests=Count("pk"),
            overdue=Count("pk", filter=Q(expected_at__lt=now)),
            oldest=Min("requested_at"),
            **ages,
        )
        .order_by()
    )
    rows: list[dict[str, Any]] = [dict(row) for row in counts]
    return [
        NeighborhoodBacklog(
            jurisdiction=jurisdiction,
            neighborhood_id=row["neighborhood_id"],
            service_id=row["service_id"],
            open_requests=row["open_requests"],
            overdue=row["overdue"],
            # A request filed "in the future" by a skewed clock counts as new.
            by_age=[row["age0"] + max(0, row["open_requests"] - sum(row[f"age{i}"] for i in range(len(AGE_BUCKETS))))]
            + [row[f"age{i}"] for i in range(1, len(AGE_BUCKETS))],
            oldest_requested_at=row["oldest"],
            counted_at=now,
        )
        for row in rows
    ]


def _lock_watermark(jurisdiction: Jurisdiction) -> RollupWatermark | None:
    return RollupWatermark.objects.select_for_update().filter(jurisdiction=jurisdiction).first()


def where_in(field: str, values: Iterable[int | None]) -> Q:
    """`field` is one of `values`, where None stands for an empty field (a request in no neighborhood)."""
    given = set(values)
    ids = {value for value in given if value is not None}
    query = Q(**{f"{field}__in": ids}) if ids else Q(pk__in=[])
    if None in given:
        query |= Q(**{f"{field}__isnull": True})
    return query


def rebuild(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> Counted:
    """Recount every figure of the city from its requests, in one transaction."""
    started = time.monotonic()
    now = now or _now()
    with transaction.atomic():
        watermark = _lock_watermark(jurisdiction)
        if watermark is None:
            RollupWatermark.objects.get_or_create(jurisdiction=jurisdiction, defaults={"counted_through": now - LAG})
            watermark = _lock_watermark(jurisdiction)
            assert watermark is not None
        months = _count_months(jurisdiction, _public(jurisdiction))
        backlogs = _count_backlogs(jurisdiction, _public(jurisdiction), now)
        NeighborhoodMonth.objects.filter(jurisdiction=jurisdiction).delete()
        NeighborhoodBacklog.objects.filter(jurisdiction=jurisdiction).delete()
        NeighborhoodMonth.objects.bulk_create(months, batch_size=2000)
        NeighborhoodBacklog.objects.bulk_create(backlogs, batch_size=2000)
        watermark.counted_through = now - LAG
        watermark.rebuilt_at = watermark.swept_at = now
        watermark.save(update_fields=["counted_through", "rebuilt_at", "swept_at"])
    return Counted(len(months), len(backlogs), time.monotonic() - started)


def sweep(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> Counted:
    """Recount the buckets of the requests changed since the watermark; the whole city the first time."""
    started = time.monotonic()
    now = now or _now()
    with transaction.atomic():
        watermark = _lock_watermark(jurisdiction)
        if watermark is None:
            return rebuild(jurisdiction, now)
        since = watermark.counted_through
        # Private ones too: a request made private must leave the public figures. Only the distinct
        # (neighborhood, month) buckets come back, through the (jurisdiction, updated_at) index.
        changed = (
            ServiceRequest.objects.filter(jurisdiction=jurisdiction, updated_at__gt=since)
            .annotate(m=TruncMonth("requested_at", tzinfo=jurisdiction.zone))
            .values_list("neighborhood_id", "m")
            .distinct()
            .order_by()
        )
        touched: dict[dt.date, set[int | None]] = defaultdict(set)
        for neighborhood_id, first_day in changed:
            touched[month_of(jurisdiction, first_day)].add(neighborhood_id)
        written = 0
        for month, neighborhoods in sorted(touched.items()):
            start, end = month_bounds(jurisdiction, month)
            where = where_in("neighborhood_id", neighborhoods)
            rows = _count_months(
                jurisdiction, _public(jurisdiction).filter(where, requested_at__gte=start, requested_at__lt=end)
            )
            NeighborhoodMonth.objects.filter(where, jurisdiction=jurisdiction, month=month).delete()
            NeighborhoodMonth.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
        stale = set(
            NeighborhoodBacklog.objects.filter(jurisdiction=jurisdiction, counted_at__lt=now - BACKLOG_MAX_AGE)
            .values_list("neighborhood_id", flat=True)
            .distinct()
        )
        recount = stale.union(*touched.values())
        backlogs: list[NeighborhoodBacklog] = []
        if recount:
            where = where_in("neighborhood_id", recount)
            backlogs = _count_backlogs(jurisdiction, _public(jurisdiction).filter(where), now)
            NeighborhoodBacklog.objects.filter(where, jurisdiction=jurisdiction).delete()
            NeighborhoodBacklog.objects.bulk_create(backlogs, batch_size=2000)
        watermark.counted_through = max(since, now - LAG)
        watermark.swept_at = now
        watermark.save(update_fields=["counted_through", "swept_at"])
    return Counted(written, len(backlogs), time.monotonic() - started)


def _now() -> dt.datetime:
    return timezone.now()
