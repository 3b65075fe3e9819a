"""Reads of the search analytics for the staff page, the CSV download and the benchmark.

Every figure comes from the daily rollups (`DailySearchTotal`, `DailyQueryStat`, `DailyArticleStat`) summed
over the days of the period with one GROUP BY; nothing here reads the search log itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, FloatField, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from civic311.knowledge import selectors as knowledge
from civic311.knowledge.models import Article

from .models import DailyArticleStat, DailyQueryStat, DailySearchTotal

if TYPE_CHECKING:
    from civic311.jurisdictions.models import Jurisdiction

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
# Fewer answers than this say nothing about whether an article helps.
MIN_ANSWERS = 5
# Summing 90 days of a busy city's rollups groups ~1 M rows by query: with PostgreSQL's default 4 MB of
# work memory that sort spills to disk. These reads get more, for their own transaction only.
WORK_MEMORY = "64MB"


@contextmanager
def roomy_reads() -> Iterator[None]:
    """Run the page's GROUP BYs with enough work memory to aggregate in memory (PostgreSQL; elsewhere a
    no-op). JIT compilation costs more than it saves on these short queries."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [WORK_MEMORY])
        yield


@dataclass(frozen=True)
class Period:
    """The last `days` days in the city's zone, today included."""

    days: int
    first: dt.date
    last: dt.date


def period(jurisdiction: Jurisdiction, days: int = DEFAULT_PERIOD, *, now: dt.datetime | None = None) -> Period:
    if days not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS} days")
    today = timezone.localtime(now or timezone.now(), jurisdiction.zone).date()
    return Period(days=days, first=today - dt.timedelta(days=days - 1), last=today)


def _queries(jurisdiction: Jurisdiction, span: Period) -> QuerySet[DailyQueryStat]:
    return DailyQueryStat.objects.filter(jurisdiction=jurisdiction, day__gte=span.first, day__lte=span.last)


def _articles(jurisdiction: Jurisdiction, span: Period) -> QuerySet[DailyArticleStat]:
    return DailyArticleStat.objects.filter(jurisdiction=jurisdiction, day__gte=span.first, day__lte=span.last)


@dataclass(frozen=True)
class SearchTotals:
    searches: int
    zero_results: int
    clicks: int

    @property
    def zero_rate(self) -> float | None:
        return self.zero_results / self.searches if self.searches else None


def search_totals(jurisdiction: Jurisdiction, span: Period) -> SearchTotals:
    sums = DailySearchTotal.objects.filter(
        jurisdiction=jurisdiction, day__gte=span.first, day__lte=span.last
    ).aggregate(searches=Sum("searches"), zero=Sum("zero_results"), clicks=Sum("clicks"))
    return SearchTotals(searches=sums["searches"] or 0, zero_results=sums["zero"] or 0, clicks=sums["clicks"] or 0)


def top_queries(jurisdiction: Jurisdiction, span: Period, *, limit: int = 25) -> list[dict[str, Any]]:
    """The most searched queries (normalized) and language: searches, with no result, clicks."""
    rows = (
        _queries(jurisdiction, span)
        .values("query", "language")
        .annotate(total=Sum("searches"), zero=Sum("zero_results"), clicked=Sum("clicks"))
        .order_by("-total", "query", "language")[:limit]
    )
    return [dict(row) for row in rows]


def zero_result_queries(jurisdiction: Jurisdiction, span: Period, *, limit: int | None = 100) -> list[dict[str, Any]]:
    """The editors' work list: queries that found nothing, most frequent first, with the last day seen."""
    rows = (
        _queries(jurisdiction, span)
        .filter(zero_results__gt=0)
        .values("query", "language")
        .annotate(zero=Sum("zero_results"), last_seen=Max("day"))
        .order_by("-zero", "-last_seen", "query", "language")
    )
    return [dict(row) for row in (rows if limit is None else rows[:limit])]


def _article_rows(rows: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Each row with `title` and `url` of its article in `language` (English fallback)."""

    articles = Article.objects.prefetch_related("translations").in_bulk([row["article"] for row in rows])
    for row in rows:
        article = articles.get(row["article"])
        if article is None:
            row.update(title="", url="")
            continue
        shown = knowledge.localized(article, language)
        row.update(title=shown.title, url=shown.url)
    return rows


def unhelpful_articles(
    jurisdiction: Jurisdiction,
    span: Period,
    *,
    language: str = "en",
    limit: int = 15,
    min_answers: int = MIN_ANSWERS,
    order: str = "ratio",
) -> list[dict[str, Any]]:
    """Articles readers say do not help: `order="ratio"` the lowest share of "yes" among articles with at
    least `min_answers` answers; `order="no"` the most "no" answers."""
    rows = (
        _articles(jurisdiction, span)
        .values("article")
        .annotate(yes=Sum("helpful_yes"), no=Sum("helpful_no"))
        .annotate(answers=F("yes") + F("no"))
        .filter(no__gt=0)
    )
    if order == "ratio":
        rows = (
            rows.filter(answers__gte=max(1, min_answers))
            .annotate(ratio=Cast(F("yes"), FloatField()) / Cast(F("answers"), FloatField()))
            .order_by("ratio", "-no", "article")
        )
    elif order == "no":
        rows = rows.order_by("-no", "yes", "article")
    else:
        raise ValueError("order is 'ratio' or 'no'")
    result: list[dict[str, Any]] = [dict(row) for row in rows[:limit]]
    for row in result:
        row["ratio"] = row["yes"] / row["answers"] if row["answers"] else None
    return _article_rows(result, language)


def most_read_articles(
    jurisdiction: Jurisdiction, span: Period, *, language: str = "en", limit: int = 15
) -> list[dict[str, Any]]:
    rows = (
        _articles(jurisdiction, span)
        .values("article")
        .annotate(read=Sum("views"), yes=Sum("helpful_yes"), no=Sum("helpful_no"))
        .filter(read__gt=0)
        .order_by("-read", "article")
    )
    return _article_rows([dict(row) for row in rows[:limit]], language)


@dataclass(frozen=True)
class Deflection:
    """Reading sessions that started in the period and have ended (a day after their first read)."""

    sessions: int
    deflected: int

    @property
    def filed(self) -> int:
        return self.sessions - self.deflected

    @property
    def rate(self) -> float | None:
        return self.deflected / self.sessions if self.sessions else None


def deflection(jurisdiction: Jurisdiction, span: Period) -> Deflection:
    sums = (
        _articles(jurisdiction, span)
        .filter(Q(sessions__gt=0))
        .aggregate(sessions=Sum("sessions"), deflected=Sum("deflected_sessions"))
    )
    return Deflection(sessions=sums["sessions"] or 0, deflected=sums["deflected"] or 0)


@dataclass(frozen=True)
class SearchAnalytics:
    period: Period
    totals: SearchTotals
    top_queries: list[dict[str, Any]]
    zero_results: list[dict[str, Any]]
    unhelpful: list[dict[str, Any]]
    most_no: list[dict[str, Any]]
    most_read: list[dict[str, Any]]
    deflection: Deflection


def search_analytics(
    jurisdiction: Jurisdiction, days: int = DEFAULT_PERIOD, *, language: str = "en", now: dt.datetime | None = None
) -> SearchAnalytics:
    """Everything the staff page shows for the last `days` days."""
    span = period(jurisdiction, days, now=now)
    with roomy_reads():
        return _analytics(jurisdiction, span, language)


def _analytics(jurisdiction: Jurisdiction, span: Period, language: str) -> SearchAnalytics:
    return SearchAnalytics(
        period=span,
        totals=search_totals(jurisdiction, span),
        top_queries=top_queries(jurisdiction, span),
        zero_results=zero_result_queries(jurisdiction, span),
        unhelpful=unhelpful_articles(jurisdiction, span, language=language),
        most_no=unhelpful_articles(jurisdiction, span, language=language, order="no"),
        most_read=most_read_articles(jurisdiction, span, language=language),
        deflection=deflection(jurisdiction, span),
    )
