"""The operations figures' rollups: counted from the requests by SQL GROUP BY, read by the operations
dashboard and the leadership report (`operations_selectors`), never counted per page view.

Three tables (`civic311.insights.models`), every request counted, private ones too (these are staff pages):

- `RequestDay`: per (day of the city's calendar, department, service, channel) the requests *filed* that day
  and what became of them: closed, closed with a due date, closed by it, reopened, and closed within each of
  `CLOSE_THRESHOLDS` (cumulative), from which medians and 90th percentiles are interpolated.
- `RequestMonth`: the same per month and neighborhood (a day-by-neighborhood table would be as long as the
  requests table).
- `OpenRequests`: the requests open now per (department, service, channel, neighborhood), overdue and by age.

`rebuild(city)` recounts everything in one transaction. `sweep(city)` recounts the days and the
(month, neighborhood) buckets of the requests whose `updated_at` is after the watermark, and the open
requests of their departments (and of any department not recounted for `BACKLOG_MAX_AGE`, whose ages moved
on), then moves the watermark. Both hold the watermark row for their whole transaction, so two workers never
count at once; both are idempotent. The pattern, the watermark's lag and its one blind spot (a request moved
to another neighborhood leaves its old month bucket counted until the nightly rebuild) are the neighborhood
rollups' (`civic311.community.services.rollups`), whose helpers this module uses.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from civic311.community.services.rollups import AGE_BUCKETS, CLOSED, LAG, OPEN, month_bounds, month_of, where_in
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .models import CLOSE_THRESHOLDS, OpenRequests, OperationsWatermark, RequestDay, RequestMonth

# A department's open requests not recounted for this long are recounted by the next sweep.
BACKLOG_MAX_AGE = dt.timedelta(hours=1)
# The age columns of `OpenRequests`, in the order of `AGE_BUCKETS`.
AGE_COLUMNS = ("aged_under_7d", "aged_7_to_30d", "aged_30_to_90d", "aged_over_90d")
assert len(AGE_COLUMNS) == len(AGE_BUCKETS)

COHORT_DIMENSIONS = ("department_id", "service_id", "channel")


@dataclass(frozen=True)
class Counted:
    days: int  # rows written
    months: int
    open_rows: int
    seconds: float


def _cohort_figures() -> dict[str, Any]:
    """The aggregates of a cohort row, for `.values(...).annotate(**_cohort_figures())`."""
    figures: dict[str, Any] = {
        "filed": Count("pk"),
        "closed": Count("pk", filter=CLOSED),
        "closed_with_due_date": Count("pk", filter=CLOSED & Q(expected_at__isnull=False)),
        "closed_on_time": Count("pk", filter=CLOSED & Q(closed_at__lte=F("expected_at"))),
        "reopened": Count("pk", filter=Q(was_reopened=True)),
    }
    for label, hours in CLOSE_THRESHOLDS:
        within = Q(closed_at__lte=F("requested_at") + dt.timedelta(hours=hours))
        figures[f"closed_within_{label}"] = Count("pk", filter=CLOSED & within)
    return figures


def _with_reopening(requests: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    reopening = HistoryEntry.objects.filter(
        service_request=OuterRef("pk"), kind=HistoryEntry.Kind.STATUS, to_status=Status.REOPENED
    )
    return requests.annotate(was_reopened=Exists(reopening))


def _count_days(jurisdiction: Jurisdiction, requests: QuerySet[ServiceRequest]) -> list[RequestDay]:
    rows = (
        _with_reopening(requests)
        .annotate(day=TruncDate("requested_at", tzinfo=jurisdiction.zone))
        .values("day", *COHORT_DIMENSIONS)
        .annotate(**_cohort_figures())
        .order_by()
    )
    return [RequestDay(jurisdiction=jurisdiction, **row) for row in rows]


def _count_months(jurisdiction: Jurisdiction, requests: QuerySet[ServiceRequest]) -> list[RequestMonth]:
    rows = (
        _with_reopening(requests)
        .annotate(m=TruncMonth("requested_at", tzinfo=jurisdiction.zone))
        .values("m", "neighborhood_id", *COHORT_DIMENSIONS)
        .annotate(**_cohort_figures())
        .order_by()
    )
    made = []
    for row in rows:
        month = month_of(jurisdiction, row.pop("m"))
        made.append(RequestMonth(jurisdiction=jurisdiction, month=month, **row))
    return made


def _count_open(jurisdiction: Jurisdiction, requests: QuerySet[ServiceRequest], now: dt.datetime) -> list[OpenRequests]:
    ages: dict[str, Any] = {}
    for i, low in enumerate(AGE_BUCKETS):
        # A request filed "in the future" by a skewed clock counts as new.
        bounds = Q(requested_at__lte=now - dt.timedelta(days=low)) if i else Q(pk__isnull=False)
        if i + 1 < len(AGE_BUCKETS):
            bounds &= Q(requested_at__gt=now - dt.timedelta(days=AGE_BUCKETS[i + 1]))
        ages[AGE_COLUMNS[i]] = Count("pk", filter=bounds)
    rows = (
        requests.filter(OPEN)
        .values("neighborhood_id", *COHORT_DIMENSIONS)
        .annotate(open_requests=Count("pk"), overdue=Count("pk", filter=Q(expected_at__lt=now)), **ages)
        .order_by()
    )
    return [OpenRequests(jurisdiction=jurisdiction, counted_at=now, **row) for row in rows]


def _lock_watermark(jurisdiction: Jurisdiction) -> OperationsWatermark | None:
    return OperationsWatermark.objects.select_for_update().filter(jurisdiction=jurisdiction).first()


def _requests(jurisdiction: Jurisdiction) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(jurisdiction=jurisdiction)


def rebuild(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> Counted:
    """Recount every operations figure of the city from its requests, in one transaction."""
    started = time.monotonic()
    now = now or timezone.now()
    with transaction.atomic():
        watermark = _lock_watermark(jurisdiction)
        if watermark is None:
            OperationsWatermark.objects.get_or_create(
                jurisdiction=jurisdiction, defaults={"counted_through": now - LAG}
            )
            watermark = _lock_watermark(jurisdiction)
            assert watermark is not None
        days = _count_days(jurisdiction, _requests(jurisdiction))
        months = _count_months(jurisdiction, _requests(jurisdiction))
        open_rows = _count_open(jurisdiction, _requests(jurisdiction), now)
        for model in (RequestDay, RequestMonth, OpenRequests):
            model.objects.filter(jurisdiction=jurisdiction).delete()
        RequestDay.objects.bulk_create(days, batch_size=2000)
        RequestMonth.objects.bulk_create(months, batch_size=2000)
        OpenRequests.objects.bulk_create(open_rows, batch_size=2000)
        watermark.counted_through = now - LAG
        watermark.rebuilt_at = watermark.swept_at = now
        watermark.save(update_fields=["counted_through", "rebuilt_at", "swept_at"])
    return Counted(len(days), len(months), len(open_rows), time.monotonic() - started)


def sweep(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> Counted:
    """Recount the buckets of the requests changed since the watermark; everything the first time."""
    started = time.monotonic()
    now = now or timezone.now()
    with transaction.atomic():
        watermark = _lock_watermark(jurisdiction)
        if watermark is None:
            return rebuild(jurisdiction, now)
        since = watermark.counted_through
        changed = (
            _requests(jurisdiction)
            .filter(updated_at__gt=since)
            .annotate(day=TruncDate("requested_at", tzinfo=jurisdiction.zone))
            .values_list("day", "neighborhood_id", "department_id")
            .distinct()
            .order_by()
        )
        days: set[dt.date] = set()
        months: dict[dt.date, set[int | None]] = defaultdict(set)
        departments: set[int] = set()
        for day, neighborhood_id, department_id in changed:
            days.add(day)
            months[day.replace(day=1)].add(neighborhood_id)
            departments.add(department_id)
        written_days = written_months = 0
        for day in sorted(days):
            # The whole day, every service: a request moved to another service or channel leaves its old
            # bucket, which a recount of its new one alone would keep counting.
            start, end = jurisdiction.midnight(day), jurisdiction.midnight(day + dt.timedelta(days=1))
            rows = _count_days(
                jurisdiction, _requests(jurisdiction).filter(requested_at__gte=start, requested_at__lt=end)
            )
            RequestDay.objects.filter(jurisdiction=jurisdiction, day=day).delete()
            RequestDay.objects.bulk_create(rows, batch_size=2000)
            written_days += len(rows)
        for month, neighborhoods in sorted(months.items()):
            start, end = month_bounds(jurisdiction, month)
            in_places = where_in("neighborhood_id", neighborhoods)
            found = _requests(jurisdiction).filter(in_places, requested_at__gte=start, requested_at__lt=end)
            month_rows = _count_months(jurisdiction, found)
            RequestMonth.objects.filter(in_places, jurisdiction=jurisdiction, month=month).delete()
            RequestMonth.objects.bulk_create(month_rows, batch_size=2000)
            written_months += len(month_rows)
        stale = set(
            OpenRequests.objects.filter(jurisdiction=jurisdiction, counted_at__lt=now - BACKLOG_MAX_AGE)
            .values_list("department_id", flat=True)
            .distinct()
        )
        recount = departments | stale
        open_rows: list[OpenRequests] = []
        if recount:
            open_rows = _count_open(jurisdiction, _requests(jurisdiction).filter(department_id__in=recount), now)
            OpenRequests.objects.filter(jurisdiction=jurisdiction, department_id__in=recount).delete()
            OpenRequests.objects.bulk_create(open_rows, batch_size=2000)
        watermark.counted_through = max(since, now - LAG)
        watermark.swept_at = now
        watermark.save(update_fields=["counted_through", "swept_at"])
    return Counted(written_days, written_months, len(open_rows), time.monotonic() - started)
