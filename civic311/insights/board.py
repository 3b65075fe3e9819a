"""The reader board's figures: a handful of aggregate queries per city, cached for BOARD_CACHE_SECONDS.

Every figure is counted in the database (COUNT with filters), never row by row in Python, so the board
costs the same whether the city had ten contacts today or ten thousand. "Today" and "yesterday" are the
city's calendar days (`jurisdiction.zone`), not UTC's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, F, Q
from django.utils import timezone

from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.lifecycle import OPEN_STATES, Status
from civic311.service_requests.models import Channel, Contact, ServiceRequest
from civic311.surveys.selectors import Satisfaction, satisfaction

# Several wall screens and staff pages ask every minute; the figures may be this old.
BOARD_CACHE_SECONDS = 30
# The SLA on-time rate looks back this far over closed requests.
ON_TIME_DAYS = 30


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    count: int

    @property
    def label(self) -> str:
        return str(Channel(self.channel).label) if self.channel in Channel.values else self.channel


@dataclass(frozen=True)
class BoardFigures:
    day: dt.date  # the city's today
    contacts_today: int
    contacts_by_channel: tuple[ChannelCount, ...]
    requests_today: int
    open_backlog: int
    overdue: int
    closed_recently: int  # closed in the last ON_TIME_DAYS days with a date promised
    closed_on_time: int
    satisfaction: Satisfaction  # the previous day's
    computed_at: dt.datetime

    @property
    def on_time_percent(self) -> float | None:
        if not self.closed_recently:
            return None
        return self.closed_on_time / self.closed_recently * 100


def contacts_by_channel(jurisdiction: Jurisdiction, day: dt.date) -> tuple[ChannelCount, ...]:
    """Contacts started on the city's `day`, per channel (most first): one GROUP BY query."""
    start, end = jurisdiction.day_bounds(day)
    rows = (
        Contact.objects.filter(jurisdiction=jurisdiction, started_at__gte=start, started_at__lt=end)
        .order_by()
        .values("channel")
        .annotate(count=Count("id"))
    )
    return tuple(
        sorted((ChannelCount(row["channel"], row["count"]) for row in rows), key=lambda row: (-row.count, row.channel))
    )


def requests_filed(jurisdiction: Jurisdiction, day: dt.date) -> int:
    start, end = jurisdiction.day_bounds(day)
    return ServiceRequest.objects.filter(
        jurisdiction=jurisdiction, requested_at__gte=start, requested_at__lt=end
    ).count()


def backlog(jurisdiction: Jurisdiction, now: dt.datetime) -> tuple[int, int]:
    """(open requests, of which past their expected date): one query."""
    totals = ServiceRequest.objects.filter(jurisdiction=jurisdiction, status__in=OPEN_STATES).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(expected_at__lt=now))
    )
    return totals["open"], totals["overdue"]


def on_time(jurisdiction: Jurisdiction, now: dt.datetime, days: int = ON_TIME_DAYS) -> tuple[int, int]:
    """(requests closed in the last `days` days that had an expected date, of which closed by it).

    Only "closed" counts as a resolution (not duplicate, referred or cancelled), and a request without an
    expected date promised nothing, so it is left out rather than counted either way."""
    totals = ServiceRequest.objects.filter(
        jurisdiction=jurisdiction,
        status=Status.CLOSED,
        closed_at__gt=now - dt.timedelta(days=days),
        closed_at__lte=now,
        expected_at__isnull=False,
    ).aggregate(closed=Count("id"), on_time=Count("id", filter=Q(closed_at__lte=F("expected_at"))))
    return totals["closed"], totals["on_time"]


def compute_figures(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> BoardFigures:
    """The board's figures, straight from the database."""
    now = now or timezone.now()
    today = now.astimezone(jurisdiction.zone).date()
    channels = contacts_by_channel(jurisdiction, today)
    open_backlog, overdue = backlog(jurisdiction, now)
    closed_recently, closed_on_time = on_time(jurisdiction, now)
    return BoardFigures(
        day=today,
        contacts_today=sum(row.count for row in channels),
        contacts_by_channel=channels,
        requests_today=requests_filed(jurisdiction, today),
        open_backlog=open_backlog,
        overdue=overdue,
        closed_recently=closed_recently,
        closed_on_time=closed_on_time,
        satisfaction=satisfaction(jurisdiction, today - dt.timedelta(days=1)),
        computed_at=now,
    )


def _cache_key(jurisdiction: Jurisdiction) -> str:
    return f"insights:board:{jurisdiction.pk}"


def board_figures(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> BoardFigures:
    """The board's figures, at most BOARD_CACHE_SECONDS old (and never from another calendar day)."""
    now = now or timezone.now()
    key = _cache_key(jurisdiction)
    cached = cache.get(key)
    if (
        isinstance(cached, BoardFigures)
        and cached.day == now.astimezone(jurisdiction.zone).date()
        and dt.timedelta(0) <= now - cached.computed_at < dt.timedelta(seconds=BOARD_CACHE_SECONDS)
    ):
        return cached
    figures = compute_figures(jurisdiction, now)
    cache.set(key, figures, BOARD_CACHE_SECONDS)
    return figures
