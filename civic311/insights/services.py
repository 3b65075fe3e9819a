"""Writes of the search analytics: every search, article view and "did this help?" is logged (no personal
data), and counted into daily rollups as it happens, so the staff page never scans the log.

The knowledge base's views and the agent console call these; their signatures are the contract.

Rollups are bumped with one `INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n` statement (the same
SQL on PostgreSQL and SQLite ≥ 3.24), so two workers counting the same day and query at once never lose a
count or trip on the unique constraint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from .models import (
    QUERY_LENGTH,
    SESSION_HOURS,
    VISITOR_LENGTH,
    ArticleFeedback,
    ArticleView,
    Channel,
    DailyArticleStat,
    DailyQueryStat,
    DailySearchTotal,
    ReadingSession,
    SearchClick,
    SearchLog,
)

if TYPE_CHECKING:
    from civic311.jurisdictions.models import Jurisdiction
    from civic311.knowledge.models import Article

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


# --- cleaning what comes in ----------------------------------------------------------------------------


def clean_query(query: str) -> str:
    """The query as typed, made safe to store: control characters dropped, spaces trimmed, 200 characters."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", str(query or ""))).strip()[:QUERY_LENGTH].strip()


def normalize_query(query: str) -> str:
    """The form searches are grouped by: casefolded, accents stripped, spaces collapsed ("Baño  LIBRE" →
    "bano libre")."""
    decomposed = unicodedata.normalize("NFKD", clean_query(query).casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()[:QUERY_LENGTH]


def pseudonym(visitor: str) -> str:
    """A keyed hash of the browser's random id: sessions still match up, but the stored value cannot be
    matched back to a cookie without the site's secret key."""
    visitor = str(visitor or "").strip()
    if not visitor:
        return ""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"insights-visitor:" + visitor.encode(), hashlib.sha256)
    return digest.hexdigest()[:VISITOR_LENGTH]


def _language(language: str) -> str:
    return str(language or "").strip().lower()[:12] or settings.LANGUAGE_CODE.split("-")[0]


def _channel(channel: str) -> str:
    if channel not in Channel.values:
        raise ValueError(f"unknown search analytics channel {channel!r}; expected one of {Channel.values}")
    return channel


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def local_day(jurisdiction: Jurisdiction, moment: dt.datetime) -> dt.date:
    """The calendar day of `moment` in the city's zone (the rollups' day)."""
    return timezone.localtime(moment, jurisdiction.zone).date()


# --- the rollups ----------------------------------------------------------------------------------------


def bump(
    model: type[models.Model], key: dict[str, object], counts: dict[str, int], *, also: dict[str, object] | None = None
) -> None:
    """Add `counts` to the rollup row of `model` identified by `key` (its unique constraint's fields),
    creating it (with `also` and every other field at its default) when it does not exist yet — in one
    statement, race-free."""
    also = also or {}
    quote = connection.ops.quote_name
    meta = model._meta
    given = {**key, **counts, **also}
    values: dict[str, Any] = {}
    columns_of: dict[str, str] = {}
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        column = str(field.column)
        columns_of[field.name] = column
        value = _db_value(given[field.name]) if field.name in given else field.get_default()
        values[column] = field.get_db_prep_value(value, connection)
    key_columns = [columns_of[name] for name in key]
    count_columns = [columns_of[name] for name in counts]
    table = quote(meta.db_table)
    updates = ", ".join(
        f"{quote(column)} = {table}.{quote(column)} + excluded.{quote(column)}" for column in count_columns
    )
    # Only quoted column and table names of our own models go into the text; every value is a parameter.
    columns = ", ".join(quote(column) for column in values)
    placeholders = ", ".join(["%s"] * len(values))
    conflict = ", ".join(quote(column) for column in key_columns)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))


def _db_value(value: object) -> object:
    if isinstance(value, models.Model):
        return value.pk
    return value


# --- the contract ---------------------------------------------------------------------------------------


def log_search(
    jurisdiction: Jurisdiction,
    query: str,
    *,
    language: str,
    channel: str,
    result_count: int,
    visitor: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Log one search; returns the log row's id (to pass to `log_click`). `channel` is "web" or "console";
    `visitor` an opaque per-browser id (not personal data), "" when unknown.

    A blank query (nothing left after trimming) is logged but not counted in the rollups."""
    moment = _now(now)
    typed = clean_query(query)
    normalized = normalize_query(typed)
    day = local_day(jurisdiction, moment)
    results = max(0, int(result_count))
    with transaction.atomic():
        log = SearchLog.objects.create(
            jurisdiction=jurisdiction,
            query=typed,
            normalized=normalized,
            language=_language(language),
            channel=_channel(channel),
            result_count=results,
            visitor=pseudonym(visitor),
            at=moment,
            day=day,
        )
        if normalized:
            counts = {"searches": 1, "zero_results": int(results == 0)}
            bump(
                DailyQueryStat,
                {"jurisdiction": jurisdiction.pk, "day": day, "query": normalized, "language": log.language},
                counts,
            )
            bump(DailySearchTotal, {"jurisdiction": jurisdiction.pk, "day": day}, counts)
    return log.pk


def log_click(search_id: int, article: Article, *, now: dt.datetime | None = None) -> None:
    """The searcher opened `article` from the results of search `search_id`.

    Counted once per search and article (a reload or the back button does not count again), in the day and
    query of the search. An unknown search, or an article of another city, is ignored: the id comes from
    the visitor's address bar."""
    try:
        search_pk = int(search_id)
    except (TypeError, ValueError):
        return
    if not 0 < search_pk < 2**63:  # beyond a bigint the database would refuse the lookup itself
        return
    with transaction.atomic():
        search = SearchLog.objects.filter(pk=search_pk).first()
        if search is None or search.jurisdiction_id != article.jurisdiction_id:
            return
        try:
            with transaction.atomic():
                SearchClick.objects.create(search=search, article=article, at=_now(now))
        except IntegrityError:
            return  # already counted
        if search.normalized:
            bump(
                DailyQueryStat,
                {
                    "jurisdiction": search.jurisdiction_id,
                    "day": search.day,
                    "query": search.normalized,
                    "language": search.language,
                },
                {"clicks": 1},
            )
            bump(DailySearchTotal, {"jurisdiction": search.jurisdiction_id, "day": search.day}, {"clicks": 1})


def log_article_view(
    article: Article, *, language: str, channel: str, visitor: str = "", now: dt.datetime | None = None
) -> None:
    """Someone read `article` (public page or console).

    A web visitor's first read (with no reading session open) starts a reading session: the deflection
    counts on it a day later (`close_reading_sessions`)."""
    moment = _now(now)
    jurisdiction = article.jurisdiction
    day = local_day(jurisdiction, moment)
    who = pseudonym(visitor)
    with transaction.atomic():
        ArticleView.objects.create(
            article=article, language=_language(language), channel=_channel(channel), visitor=who, at=moment
        )
        bump(
            DailyArticleStat,
            {"article": article.pk, "day": day},
            {"views": 1},
            also={"jurisdiction": article.jurisdiction_id},
        )
        if channel == Channel.WEB and who:
            _start_session(jurisdiction, who, article, moment, day)


def record_feedback(
    article: Article, *, helpful: bool, language: str, visitor: str = "", now: dt.datetime | None = None
) -> None:
    """A "did this help? yes/no" answer on an article. A visitor's repeated answers on the same article and
    day count once (the first)."""
    moment = _now(now)
    day = local_day(article.jurisdiction, moment)
    helpful = bool(helpful)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ArticleFeedback.objects.create(
                    article=article,
                    helpful=helpful,
                    language=_language(language),
                    visitor=pseudonym(visitor),
                    at=moment,
                    day=day,
                )
        except IntegrityError:
            return  # this visitor already answered today
        bump(
            DailyArticleStat,
            {"article": article.pk, "day": day},
            {"helpful_yes": int(helpful), "helpful_no": int(not helpful)},
            also={"jurisdiction": article.jurisdiction_id},
        )


def note_request_filed(jurisdiction: Jurisdiction, *, visitor: str, now: dt.datetime | None = None) -> None:
    """A visitor filed a request (the public form): their reading did not avoid a contact.

    Ends the visitor's open reading session as "filed" when it began less than a day ago; a session older
    than that already counts as deflected (the sweep closes it)."""
    who = pseudonym(visitor)
    if not who:
        return
    moment = _now(now)
    with transaction.atomic():
        session = _live_session(jurisdiction, who, moment)
        if session is not None:
            _end(session, ReadingSession.State.FILED, moment)


# --- reading sessions (deflection) ----------------------------------------------------------------------


def _live_session(jurisdiction: Jurisdiction, visitor: str, moment: dt.datetime) -> ReadingSession | None:
    """The visitor's open reading session if it began less than SESSION_HOURS ago. One older than that
    ends here as deflected (the sweep had not reached it yet), and None is returned."""
    session = ReadingSession.objects.filter(
        jurisdiction=jurisdiction, visitor=visitor, state=ReadingSession.State.OPEN
    ).first()
    if session is not None and session.started_at <= moment - dt.timedelta(hours=SESSION_HOURS):
        _close(session, moment)
        return None
    return session


def _start_session(
    jurisdiction: Jurisdiction, visitor: str, article: Article, moment: dt.datetime, day: dt.date
) -> None:
    if _live_session(jurisdiction, visitor, moment) is not None:
        return  # still reading within the same session
    try:
        with transaction.atomic():
            ReadingSession.objects.create(
                jurisdiction=jurisdiction, visitor=visitor, article=article, started_at=moment, day=day
            )
    except IntegrityError:
        pass  # another request of the same visitor opened it a moment ago


def _end(session: ReadingSession, state: str, moment: dt.datetime) -> bool:
    """Claim the session for `state` (a conditional UPDATE: only one worker wins) and count it into the
    rollups of the day it started; False when someone else ended it first."""
    claimed = ReadingSession.objects.filter(pk=session.pk, state=ReadingSession.State.OPEN).update(
        state=state, ended_at=moment
    )
    if not claimed:
        return False
    deflected = int(state == ReadingSession.State.DEFLECTED)
    bump(
        DailyArticleStat,
        {"article": session.article_id, "day": session.day},
        {"sessions": 1, "deflected_sessions": deflected},
        also={"jurisdiction": session.jurisdiction_id},
    )
    return True


def _close(session: ReadingSession, moment: dt.datetime) -> bool:
    return _end(session, ReadingSession.State.DEFLECTED, moment)


def close_reading_sessions(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """End every reading session that began more than a day ago with no filing: deflected. Returns how many
    this call counted; safe to run twice and on several workers at once (each session is claimed once)."""
    moment = _now(now)
    cutoff = moment - dt.timedelta(hours=SESSION_HOURS)
    counted = 0
    last_pk = 0
    while True:
        due = list(
            ReadingSession.objects.filter(
                state=ReadingSession.State.OPEN, started_at__lte=cutoff, pk__gt=last_pk
            ).order_by("pk")[:batch_size]
        )
        if not due:
            return counted
        for session in due:
            with transaction.atomic():
                counted += _close(session, moment)
        last_pk = due[-1].pk


def prune_logs(*, older_than_days: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete log rows (searches as typed, clicks, views, answers, ended reading sessions) older than the
    retention period; the daily rollups stay. A query as typed may hold an address or a phone number, so
    the raw log is kept only as long as the city's retention schedule says. Returns rows deleted per kind."""
    days = settings.CIVIC311_SEARCH_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    if days < 2:
        # Reading sessions stay open for a day; pruning sooner would lose deflection counts.
        raise ValueError("Keep the search log for at least 2 days.")
    cutoff = _now(now) - dt.timedelta(days=days)
    deleted = {}
    with transaction.atomic():
        deleted["clicks"] = SearchClick.objects.filter(search__at__lt=cutoff).delete()[0]
        deleted["searches"] = SearchLog.objects.filter(at__lt=cutoff).delete()[0]
        deleted["article views"] = ArticleView.objects.filter(at__lt=cutoff).delete()[0]
        deleted["answers"] = ArticleFeedback.objects.filter(at__lt=cutoff).delete()[0]
        deleted["reading sessions"] = (
            ReadingSession.objects.exclude(state=ReadingSession.State.OPEN).filter(started_at__lt=cutoff).delete()[0]
        )
    return deleted
