"""Several workers counting at once (PostgreSQL, where they really run in parallel): the rollup upsert never
loses a count nor trips on the unique key, and the deflection sweep counts each session once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from civic311.insights import services
from civic311.insights.models import DailyArticleStat, DailyQueryStat, ReadingSession

from .knowledge_helpers import make_article
from .test_insights_counts import NOON

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time"),
]

THREADS = 6


def in_parallel(work) -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            work(number)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_parallel_searches_for_a_new_query_all_count(jurisdiction):
    def search(_number: int) -> None:
        for _ in range(10):
            services.log_search(jurisdiction, "Brand new query", language="en", channel="web", result_count=0, now=NOON)

    in_parallel(search)
    stat = DailyQueryStat.objects.get()
    assert (stat.searches, stat.zero_results) == (THREADS * 10, THREADS * 10)


def test_parallel_sweeps_count_each_session_once(jurisdiction):
    article = make_article(jurisdiction, "trash-day", "When is my trash day?", published_at=NOON)
    for number in range(40):
        services.log_article_view(article, language="en", channel="web", visitor=f"{number:032x}", now=NOON)
    counted: list[int] = []

    def sweep(_number: int) -> None:
        counted.append(services.close_reading_sessions(now=NOON + dt.timedelta(days=1, minutes=1), batch_size=7))

    in_parallel(sweep)
    assert sum(counted) == 40
    assert ReadingSession.objects.filter(state=ReadingSession.State.DEFLECTED).count() == 40
    stat = DailyArticleStat.objects.get()
    assert (stat.views, stat.sessions, stat.deflected_sessions) == (40, 40, 40)
