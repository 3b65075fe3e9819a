"""Time the search analytics page over millions of logged searches on the configured database.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE civic311_bench_analytics"
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench_analytics
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/search_analytics.py --searches 5000000 --runs 30

Uses DATABASE_URL like the app (SQLite in ./var by default); migrate that database first, and use a
throw-away one: it makes its own city ("bench-analytics", the default jurisdiction when none is) with 500
articles, then fills `--searches` search logs over `--days` days and ~`--queries` distinct queries (a
skewed mix: a few queries are very common, most are rare; about one in nine queries never finds anything),
and builds the daily rollups from them with one GROUP BY — the same rows the incremental rollup would have
written, made at bulk speed. PostgreSQL fills with INSERT … SELECT generate_series; SQLite with executemany
in batches of 50,000. Clicks are counted in the rollups (a third of the searches that found something)
without click rows; article rollups (views, answers, reading sessions) are generated per article and day.

Then it times the page's selectors (the last 7, 30 and 90 days) and the page itself through the test
client, `--runs` times each after a warm-up, and prints p50/p95, the row counts and the machine. A city
that already has the data is reused (pass --reset to refill it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")

from seed_demo import bench_city as shared_bench_city
from seed_demo import cpu_model, data_size, database_description, percentiles, timed

SLUG = "bench-analytics"
ARTICLES = 500
WORDS = (
    "trash",
    "recycling",
    "pickup",
    "pothole",
    "street",
    "light",
    "graffiti",
    "dumping",
    "illegal",
    "snow",
    "parking",
    "permit",
    "tree",
    "sidewalk",
    "water",
    "leak",
    "noise",
    "rat",
    "abandoned",
    "car",
    "bulk",
    "couch",
    "mattress",
    "schedule",
    "holiday",
    "basura",
    "calle",
    "bache",
    "luz",
    "ruido",
    "vehicle",
    "signal",
    "hydrant",
    "sewer",
    "fee",
    "license",
    "property",
    "tax",
    "inspection",
    "vacant",
    "lot",
    "curb",
    "alley",
    "bike",
    "bus",
    "park",
    "pool",
    "library",
    "shelter",
    "heat",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=5_000_000)
    parser.add_argument("--queries", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--reset", action="store_true", help="Delete the benchmark city's analytics first.")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from civic311.insights.models import DailyArticleStat, DailyQueryStat, DailySearchTotal, SearchLog

    city = bench_city()
    has_data = SearchLog.objects.filter(jurisdiction=city).exists()
    if has_data and options.reset:
        for model in (DailySearchTotal, DailyQueryStat, DailyArticleStat, SearchLog):
            model.objects.filter(jurisdiction=city).delete()
        has_data = False
    if not has_data:
        articles = bench_articles(city)
        started = time.perf_counter()
        fill(connection, city, options)
        fill_article_stats(connection, city, articles, options)
        seconds = time.perf_counter() - started
        print(
            f"filled:    {options.searches:,} searches and their rollups in {seconds:,.1f} s "
            f"({options.searches / seconds:,.0f} searches/s)",
            flush=True,
        )
        analyze(connection)

    counts = {
        "search logs": SearchLog.objects.filter(jurisdiction=city).count(),
        "distinct queries": DailyQueryStat.objects.filter(jurisdiction=city).values("query").distinct().count(),
        "daily query rows": DailyQueryStat.objects.filter(jurisdiction=city).count(),
        "daily article rows": DailyArticleStat.objects.filter(jurisdiction=city).count(),
    }
    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"database:  {database_description(connection)}")
    print("rows:      " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    print(f"size:      {data_size(connection, [SearchLog, DailyQueryStat, DailyArticleStat])}")
    time_selectors(city, options.runs)
    time_page(city, options.runs)
    return 0


# --- the data ------------------------------------------------------------------------------------------


def bench_city():
    from civic311.jurisdictions.models import Jurisdiction

    # The default city when none is, so that the page (which serves the site's city) finds it.
    return shared_bench_city(
        SLUG, "Analytics Bench City", is_default=not Jurisdiction.objects.filter(is_default=True).exists()
    )


def bench_articles(city) -> list[int]:
    from civic311.knowledge.models import Article, ArticleTranslation

    existing = list(Article.objects.filter(jurisdiction=city).values_list("pk", flat=True))
    if len(existing) >= ARTICLES:
        return existing
    made = Article.objects.bulk_create(
        Article(jurisdiction=city, slug=f"bench-article-{number}", status=Article.Status.PUBLISHED)
        for number in range(len(existing), ARTICLES)
    )
    ArticleTranslation.objects.bulk_create(
        ArticleTranslation(
            article=article,
            language="en",
            title=f"Bench article {article.slug[14:]}",
            summary="",
            body="A short answer.",
        )
        for article in made
    )
    return existing + [article.pk for article in made]


def fill(connection, city, options) -> None:
    if connection.vendor == "postgresql":
        fill_postgresql(connection, city, options)
    else:
        fill_python(connection, city, options)
    # The rollups, exactly as the incremental counting would have left them.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO insights_dailyquerystat (jurisdiction_id, day, query, language, searches, zero_results,"
            " clicks) SELECT jurisdiction_id, day, normalized, language, COUNT(*),"
            " SUM(CASE WHEN result_count = 0 THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN result_count > 0 AND id %% 3 = 0 THEN 1 ELSE 0 END)"
            " FROM insights_searchlog WHERE jurisdiction_id = %s AND normalized <> ''"
            " GROUP BY jurisdiction_id, day, normalized, language"
            # In production a day's rows are written on that day, so they lie together on disk; keep that.
            " ORDER BY day, normalized, language",
            [city.pk],
        )
        cursor.execute(
            "INSERT INTO insights_dailysearchtotal (jurisdiction_id, day, searches, zero_results, clicks)"
            " SELECT jurisdiction_id, day, SUM(searches), SUM(zero_results), SUM(clicks)"
            " FROM insights_dailyquerystat WHERE jurisdiction_id = %s GROUP BY jurisdiction_id, day ORDER BY day",
            [city.pk],
        )


def fill_postgresql(connection, city, options) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [options.seed / 1000])
        cursor.execute("DROP TABLE IF EXISTS bench_queries")
        # ~queries distinct strings: two or three words and a number, like "trash pickup 123".
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_queries AS SELECT i AS id, concat_ws(' ', w[1 + (i * 7) %% cardinality(w)],"
            " w[1 + (i / 7) %% cardinality(w)], CASE WHEN i %% 3 = 0 THEN w[1 + (i / 49) %% cardinality(w)] END,"
            " CASE WHEN i > 2000 THEN (i %% 997)::text END) AS q"
            " FROM generate_series(1, %s) i, (SELECT %s::text[] AS w) words",
            [options.queries, list(WORDS)],
        )
        cursor.execute("CREATE INDEX ON bench_queries (id)")
        cursor.execute(
            "INSERT INTO insights_searchlog (jurisdiction_id, query, normalized, language, channel,"
            " result_count, visitor, at, day)"
            " SELECT %s, q.q, q.q, CASE WHEN g.r2 < 0.12 THEN 'es' ELSE 'en' END,"
            " CASE WHEN g.r2 < 0.8 THEN 'web' ELSE 'console' END,"
            " CASE WHEN q.id %% 9 = 0 THEN 0 ELSE 1 + (q.id %% 12) END, '',"
            " g.at, (g.at AT TIME ZONE %s)::date"
            " FROM (SELECT 1 + floor(%s * power(random(), 3))::int AS qid, random() AS r2,"
            "        now() - random() * make_interval(days => %s) AS at FROM generate_series(1, %s)) g"
            " JOIN bench_queries q ON q.id = g.qid",
            [city.pk, city.time_zone, options.queries, options.days, options.searches],
        )


def fill_python(connection, city, options) -> None:
    from civic311.insights.services import local_day

    rng = random.Random(options.seed)
    queries = [
        " ".join(rng.sample(WORDS, rng.choice((2, 3)))) + (f" {number % 997}" if number > 2000 else "")
        for number in range(1, options.queries + 1)
    ]
    now = dt.datetime.now(dt.UTC)
    sql = (
        "INSERT INTO insights_searchlog (jurisdiction_id, query, normalized, language, channel,"
        " result_count, visitor, at, day) VALUES (%s, %s, %s, %s, %s, %s, '', %s, %s)"
    )
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for _ in range(options.searches):
            number = int(options.queries * rng.random() ** 3)
            text = queries[number]
            at = now - dt.timedelta(seconds=rng.random() * options.days * 86400)
            spare = rng.random()
            batch.append(
                (
                    city.pk,
                    text,
                    text,
                    "es" if spare < 0.12 else "en",
                    "web" if spare < 0.8 else "console",
                    0 if (number + 1) % 9 == 0 else 1 + (number + 1) % 12,
                    at.isoformat(),
                    local_day(city, at).isoformat(),
                )
            )
            if len(batch) == 50_000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def fill_article_stats(connection, city, articles: list[int], options) -> None:
    from django.utils import timezone

    rng = random.Random(options.seed)
    today = timezone.localdate(timezone=city.zone)  # the city's day, as the nightly roll-up counts them
    rows = []
    for rank, article in enumerate(articles, start=1):
        weight = 1 / rank
        for back in range(options.days):
            views = int(rng.random() * 400 * weight)
            if not views:
                continue
            answers = int(views * 0.1)
            yes = int(answers * (0.3 + 0.6 * ((article * 37) % 100) / 100))
            sessions = int(views * 0.6)
            rows.append(
                (
                    city.pk,
                    (today - dt.timedelta(days=back)).isoformat(),
                    article,
                    views,
                    yes,
                    answers - yes,
                    sessions,
                    int(sessions * 0.7),
                )
            )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 50_000):
            cursor.executemany(
                "INSERT INTO insights_dailyarticlestat (jurisdiction_id, day, article_id, views, helpful_yes,"
                " helpful_no, sessions, deflected_sessions) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                rows[start : start + 50_000],
            )


def analyze(connection) -> None:
    """Fresh statistics (and, on PostgreSQL, the visibility map) after the bulk load, as autovacuum would."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- the timings ---------------------------------------------------------------------------------------


def time_selectors(city, runs: int) -> None:
    from civic311.insights import selectors

    print(f"\nselectors ({runs} runs each after a warm-up):")
    for days in selectors.PERIODS:
        span = selectors.period(city, days)
        for name, call in (
            ("top queries", lambda span=span: selectors.top_queries(city, span)),
            ("found nothing", lambda span=span: selectors.zero_result_queries(city, span)),
            ("totals", lambda span=span: selectors.search_totals(city, span)),
            (
                "articles",
                lambda span=span: (
                    selectors.unhelpful_articles(city, span),
                    selectors.most_read_articles(city, span),
                    selectors.deflection(city, span),
                ),
            ),
            ("whole page", lambda days=days: selectors.search_analytics(city, days)),
        ):

            def in_page_transaction(call=call):
                with selectors.roomy_reads():  # as the page runs them
                    call()

            print(f"  {days:>2} days  {name:<14} {percentiles(timed(in_page_transaction, runs))}", flush=True)


def time_page(city, runs: int) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-analytics", defaults={"is_staff": True, "is_superuser": True}
    )
    host = city.host or "127.0.0.1"
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    print(f"\nthe page through the test client (GET /insights/search/, {runs} runs each after a warm-up):")
    for days in (7, 30, 90):

        def get(days=days):
            response = client.get("/insights/search/", {"days": days}, secure=True)
            assert response.status_code == 200, response.status_code

        print(f"  {days:>2} days  {'page':<14} {percentiles(timed(get, runs))}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
