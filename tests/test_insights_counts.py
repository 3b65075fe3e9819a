"""The search analytics' counts: log rows and daily rollups against hand-computed values, deflection over
time (time-machine), the sweep run twice, and no personal data stored."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection

from civic311.insights import selectors, services
from civic311.insights.models import (
    ArticleFeedback,
    ArticleView,
    DailyArticleStat,
    DailyQueryStat,
    DailySearchTotal,
    ReadingSession,
    SearchClick,
    SearchLog,
)
from civic311.jurisdictions.models import Jurisdiction

from .knowledge_helpers import make_article

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# 15:00 in Philadelphia (EST, UTC-5) on Tuesday 10 March 2026.
NOON = dt.datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
DAY = dt.date(2026, 3, 10)
VISITOR = "0123456789abcdef0123456789abcdef"
OTHER_VISITOR = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def trash(jurisdiction):
    return make_article(jurisdiction, "trash-day", "When is my trash day?", published_at=NOON)


@pytest.fixture
def dumping(jurisdiction):
    return make_article(jurisdiction, "illegal-dumping", "Report illegal dumping", published_at=NOON)


def query_stat(jurisdiction, query: str, language: str = "en", day: dt.date = DAY) -> DailyQueryStat:
    return DailyQueryStat.objects.get(jurisdiction=jurisdiction, query=query, language=language, day=day)


def article_stat(article, day: dt.date = DAY) -> DailyArticleStat:
    return DailyArticleStat.objects.get(article=article, day=day)


# --- normalizing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("  Trash   Day ", "trash day"),
        ("Baño\tLIBRE", "bano libre"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("a\x00b\x1fc", "a b c"),
        ("!!!", "!!!"),
        ("", ""),
    ],
)
def test_queries_are_grouped_by_their_normalized_form(typed, normalized):
    assert services.normalize_query(typed) == normalized


def test_the_query_is_kept_as_typed_but_trimmed_and_cut(jurisdiction):
    search_id = services.log_search(
        jurisdiction, "  Pothole on Main St. " + "x" * 500, language="en", channel="web", result_count=3, now=NOON
    )
    log = SearchLog.objects.get(pk=search_id)
    assert log.query.startswith("Pothole on Main St. x")
    assert len(log.query) == 200
    assert len(log.normalized) == 200
    assert log.normalized.startswith("pothole on main st. x")


# --- searches and clicks -------------------------------------------------------------------------------


def test_searches_zero_results_and_clicks_add_up(jurisdiction, trash, dumping):
    with time_machine.travel(NOON, tick=False):
        first = services.log_search(jurisdiction, "Trash day", language="en", channel="web", result_count=4)
        services.log_search(jurisdiction, "trash  DAY", language="en", channel="console", result_count=4)
        services.log_search(jurisdiction, "trash day", language="es", channel="web", result_count=2)
        services.log_search(jurisdiction, "snow plow", language="en", channel="web", result_count=0)
        services.log_search(jurisdiction, "Snow Plow", language="en", channel="web", result_count=0)
        services.log_click(first, trash)
        services.log_click(first, trash)  # the back button: the same search and article count once
        services.log_click(first, dumping)

    assert SearchLog.objects.count() == 5
    assert SearchClick.objects.count() == 2
    trash_en = query_stat(jurisdiction, "trash day")
    assert (trash_en.searches, trash_en.zero_results, trash_en.clicks) == (2, 0, 2)
    trash_es = query_stat(jurisdiction, "trash day", "es")
    assert (trash_es.searches, trash_es.zero_results, trash_es.clicks) == (1, 0, 0)
    snow = query_stat(jurisdiction, "snow plow")
    assert (snow.searches, snow.zero_results, snow.clicks) == (2, 2, 0)
    total = DailySearchTotal.objects.get(jurisdiction=jurisdiction, day=DAY)
    assert (total.searches, total.zero_results, total.clicks) == (5, 2, 2)

    span = selectors.period(jurisdiction, 7, now=NOON)
    totals = selectors.search_totals(jurisdiction, span)
    assert (totals.searches, totals.zero_results, totals.clicks) == (5, 2, 2)
    top = selectors.top_queries(jurisdiction, span)
    assert [(row["query"], row["language"], row["total"]) for row in top] == [
        ("snow plow", "en", 2),
        ("trash day", "en", 2),
        ("trash day", "es", 1),
    ]
    zero = selectors.zero_result_queries(jurisdiction, span)
    assert [(row["query"], row["zero"], row["last_seen"]) for row in zero] == [("snow plow", 2, DAY)]


def test_the_day_is_the_citys_day_not_utcs(jurisdiction):
    # 02:00 UTC on 11 March is 22:00 on 10 March in Philadelphia.
    services.log_search(
        jurisdiction,
        "late night",
        language="en",
        channel="web",
        result_count=1,
        now=dt.datetime(2026, 3, 11, 2, 0, tzinfo=UTC),
    )
    assert query_stat(jurisdiction, "late night").day == DAY
    assert SearchLog.objects.get().day == DAY


def test_a_click_counts_on_the_day_and_query_of_its_search(jurisdiction, trash):
    search_id = services.log_search(jurisdiction, "trash", language="en", channel="web", result_count=1, now=NOON)
    services.log_click(search_id, trash, now=NOON + dt.timedelta(days=2))
    assert query_stat(jurisdiction, "trash").clicks == 1
    assert not DailyQueryStat.objects.exclude(day=DAY).exists()


def test_clicks_on_unknown_searches_or_another_citys_article_are_ignored(jurisdiction, trash):
    other_city = Jurisdiction.objects.create(
        slug="camden",
        name="Camden",
        jurisdiction_id="camden.gov",
        min_lat=39.9,
        max_lat=40.0,
        min_long=-75.2,
        max_long=-75.0,
    )
    elsewhere = make_article(other_city, "trash-day", "Camden trash day", published_at=NOON)
    search_id = services.log_search(jurisdiction, "trash", language="en", channel="web", result_count=1, now=NOON)
    services.log_click(search_id + 1000, trash, now=NOON)
    services.log_click("not a number", trash, now=NOON)  # type: ignore[arg-type]
    services.log_click(10**30, trash, now=NOON)
    services.log_click(-1, trash, now=NOON)
    services.log_click(search_id, elsewhere, now=NOON)
    assert SearchClick.objects.count() == 0
    assert query_stat(jurisdiction, "trash").clicks == 0


def test_a_blank_search_is_logged_but_not_counted(jurisdiction):
    search_id = services.log_search(jurisdiction, "   \t ", language="en", channel="web", result_count=0, now=NOON)
    assert SearchLog.objects.filter(pk=search_id, query="").exists()
    assert not DailyQueryStat.objects.exists()
    assert not DailySearchTotal.objects.exists()


def test_an_unknown_channel_is_refused_and_nothing_is_written(jurisdiction):
    with pytest.raises(ValueError, match="unknown search analytics channel 'fax'"):
        services.log_search(jurisdiction, "trash", language="en", channel="fax", result_count=1, now=NOON)
    assert not SearchLog.objects.exists()
    assert not DailyQueryStat.objects.exists()


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE insights_searchlog; --", "<script>alert(1)</script>", "%_%", "\\", "🙂" * 300]
)
def test_injection_shaped_and_odd_queries_are_stored_as_text(jurisdiction, query):
    services.log_search(jurisdiction, query, language="en", channel="web", result_count=0, now=NOON)
    services.log_search(jurisdiction, query, language="en", channel="web", result_count=0, now=NOON)
    stat = DailyQueryStat.objects.get()
    assert stat.searches == 2
    assert stat.query == services.normalize_query(query)


# --- views and answers ---------------------------------------------------------------------------------


def test_views_and_helpful_answers_add_up(jurisdiction, trash, dumping):
    with time_machine.travel(NOON, tick=False):
        for _ in range(3):
            services.log_article_view(trash, language="en", channel="web")
        services.log_article_view(trash, language="es", channel="console")
        services.log_article_view(dumping, language="en", channel="web")
        services.record_feedback(trash, helpful=True, language="en", visitor=VISITOR)
        services.record_feedback(trash, helpful=False, language="en", visitor=VISITOR)  # same visitor, same day
        services.record_feedback(trash, helpful=False, language="en", visitor=OTHER_VISITOR)
        services.record_feedback(trash, helpful=False, language="en")  # no visitor id: each answer counts
        services.record_feedback(trash, helpful=False, language="en")
        services.record_feedback(dumping, helpful=True, language="en")
    with time_machine.travel(NOON + dt.timedelta(days=1), tick=False):
        services.record_feedback(trash, helpful=True, language="en", visitor=VISITOR)  # a new day counts again

    assert ArticleView.objects.count() == 5
    assert ArticleFeedback.objects.count() == 6
    stat = article_stat(trash)
    assert (stat.views, stat.helpful_yes, stat.helpful_no) == (4, 1, 3)
    assert stat.jurisdiction_id == jurisdiction.pk
    assert (article_stat(dumping).views, article_stat(dumping).helpful_yes) == (1, 1)
    assert article_stat(trash, DAY + dt.timedelta(days=1)).helpful_yes == 1

    span = selectors.period(jurisdiction, 7, now=NOON + dt.timedelta(days=1))
    read = selectors.most_read_articles(jurisdiction, span)
    assert [(row["title"], row["read"]) for row in read] == [
        ("When is my trash day?", 4),
        ("Report illegal dumping", 1),
    ]
    assert read[0]["url"].endswith("/help/trash-day/")
    most_no = selectors.unhelpful_articles(jurisdiction, span, order="no")
    assert [(row["title"], row["no"], row["yes"]) for row in most_no] == [("When is my trash day?", 3, 2)]
    # Five answers on the trash article (2 yes): below the minimum of six it is left out of the ratio list.
    assert [row["title"] for row in selectors.unhelpful_articles(jurisdiction, span, min_answers=6)] == []
    by_ratio = selectors.unhelpful_articles(jurisdiction, span, min_answers=5)
    assert [(row["title"], row["ratio"]) for row in by_ratio] == [("When is my trash day?", 2 / 5)]


def test_unhelpful_articles_are_ordered_by_their_share_of_yes(jurisdiction, trash, dumping):
    with time_machine.travel(NOON, tick=False):
        for helpful in (True, True, False, False, False):  # 40 % yes
            services.record_feedback(trash, helpful=helpful, language="en")
        for helpful in (True, False, False, False, False, False):  # 17 % yes, and the most "no"
            services.record_feedback(dumping, helpful=helpful, language="en")
    span = selectors.period(jurisdiction, 30, now=NOON)
    rows = selectors.unhelpful_articles(jurisdiction, span)
    assert [row["title"] for row in rows] == ["Report illegal dumping", "When is my trash day?"]


def test_the_period_leaves_out_older_days(jurisdiction, trash):
    services.log_search(
        jurisdiction, "old", language="en", channel="web", result_count=0, now=NOON - dt.timedelta(days=8)
    )
    services.log_search(
        jurisdiction, "new", language="en", channel="web", result_count=0, now=NOON - dt.timedelta(days=6)
    )
    span = selectors.period(jurisdiction, 7, now=NOON)
    assert (span.first, span.last) == (DAY - dt.timedelta(days=6), DAY)
    assert [row["query"] for row in selectors.zero_result_queries(jurisdiction, span)] == ["new"]
    wider = selectors.period(jurisdiction, 30, now=NOON)
    assert {row["query"] for row in selectors.zero_result_queries(jurisdiction, wider)} == {"old", "new"}
    with pytest.raises(ValueError, match="period must be one of"):
        selectors.period(jurisdiction, 8, now=NOON)


# --- deflection -------------------------------------------------------------------------------------------


def test_a_reader_who_files_within_a_day_is_not_deflected_and_one_who_does_not_is(jurisdiction, trash, dumping):
    with time_machine.travel(NOON, tick=False):
        services.log_article_view(trash, language="en", channel="web", visitor=VISITOR)
        services.log_article_view(dumping, language="en", channel="web", visitor=VISITOR)  # same session
        services.log_article_view(dumping, language="en", channel="web", visitor=OTHER_VISITOR)
        services.log_article_view(trash, language="en", channel="console")  # an agent: no session
    assert ReadingSession.objects.count() == 2
    with time_machine.travel(NOON + dt.timedelta(hours=23), tick=False):
        services.note_request_filed(jurisdiction, visitor=VISITOR)
        assert services.close_reading_sessions() == 0  # the other reader's day is not over yet
    with time_machine.travel(NOON + dt.timedelta(hours=24, minutes=5), tick=False):
        assert services.close_reading_sessions() == 1
        assert services.close_reading_sessions() == 0  # run twice: counted once

    filed = ReadingSession.objects.get(article=trash)
    assert filed.state == ReadingSession.State.FILED
    deflected = ReadingSession.objects.get(article=dumping)
    assert deflected.state == ReadingSession.State.DEFLECTED
    assert (article_stat(trash).sessions, article_stat(trash).deflected_sessions) == (1, 0)
    assert (article_stat(dumping).sessions, article_stat(dumping).deflected_sessions) == (1, 1)
    flow = selectors.deflection(jurisdiction, selectors.period(jurisdiction, 7, now=NOON + dt.timedelta(days=1)))
    assert (flow.sessions, flow.deflected, flow.filed, flow.rate) == (2, 1, 1, 0.5)


def test_filing_more_than_a_day_after_reading_still_counts_as_deflected(jurisdiction, trash):
    with time_machine.travel(NOON, tick=False):
        services.log_article_view(trash, language="en", channel="web", visitor=VISITOR)
    with time_machine.travel(NOON + dt.timedelta(hours=25), tick=False):
        services.note_request_filed(jurisdiction, visitor=VISITOR)  # before the sweep ran
        assert services.close_reading_sessions() == 0
    assert ReadingSession.objects.get().state == ReadingSession.State.DEFLECTED
    assert article_stat(trash).deflected_sessions == 1


def test_reading_again_after_a_day_starts_a_new_session(jurisdiction, trash, dumping):
    with time_machine.travel(NOON, tick=False):
        services.log_article_view(trash, language="en", channel="web", visitor=VISITOR)
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):
        services.log_article_view(dumping, language="en", channel="web", visitor=VISITOR)
        services.note_request_filed(jurisdiction, visitor=VISITOR)
    states = dict(ReadingSession.objects.values_list("article__slug", "state"))
    assert states == {"trash-day": "deflected", "illegal-dumping": "filed"}
    assert article_stat(trash).deflected_sessions == 1
    assert article_stat(dumping, DAY + dt.timedelta(days=2)).sessions == 1


def test_filing_without_reading_or_without_a_visitor_changes_nothing(jurisdiction, trash):
    services.note_request_filed(jurisdiction, visitor=VISITOR, now=NOON)
    services.note_request_filed(jurisdiction, visitor="", now=NOON)
    assert not ReadingSession.objects.exists()
    assert not DailyArticleStat.objects.exists()


def test_the_hourly_task_runs_the_sweep(jurisdiction, trash):
    from civic311.insights import tasks

    services.log_article_view(
        trash, language="en", channel="web", visitor=VISITOR, now=dt.datetime.now(UTC) - dt.timedelta(hours=30)
    )
    tasks.close_reading_sessions.call_local()
    assert article_stat(trash, ReadingSession.objects.get().day).deflected_sessions == 1


# --- no personal data ----------------------------------------------------------------------------------


def test_no_personal_data_is_stored(jurisdiction, trash, client):
    search_id = services.log_search(
        jurisdiction, "trash", language="en", channel="web", result_count=1, visitor=VISITOR, now=NOON
    )
    services.log_click(search_id, trash, now=NOON)
    services.log_article_view(trash, language="en", channel="web", visitor=VISITOR, now=NOON)
    services.record_feedback(trash, helpful=True, language="en", visitor=VISITOR, now=NOON)

    # The cookie's value is never stored as such: only a keyed hash, the same for the same browser.
    stored = {
        SearchLog.objects.get().visitor,
        ArticleView.objects.get().visitor,
        ArticleFeedback.objects.get().visitor,
        ReadingSession.objects.get().visitor,
    }
    assert len(stored) == 1
    assert VISITOR not in stored
    assert stored.pop() == services.pseudonym(VISITOR)
    # No column for an address, an agent, an account or a name anywhere in the app's tables.
    forbidden = ("ip", "address", "agent", "user", "email", "phone", "name", "session_key", "cookie")
    with connection.cursor() as cursor:
        for model in (
            SearchLog,
            SearchClick,
            ArticleView,
            ArticleFeedback,
            ReadingSession,
            DailyQueryStat,
            DailySearchTotal,
            DailyArticleStat,
        ):
            columns = [
                column.name for column in connection.introspection.get_table_description(cursor, model._meta.db_table)
            ]
            assert not [column for column in columns if any(word in column.split("_") for word in forbidden)]
