"""Time the knowledge-base search over 10,000 articles on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench python benchmarks/knowledge_search.py

Uses DATABASE_URL like the app (SQLite in ./var by default); migrate that database first. It makes a
throw-away jurisdiction ("bench-knowledge") with --articles published articles (English, half of them also
in Spanish) and a few services, builds the index, then times --searches searches of mixed queries (plain
words, several words, misspelt words, Spanish with and without accents, nonsense, injection-shaped input)
and prints p50/p95, the data size and the machine. The jurisdiction is deleted afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")

from seed_demo import bench_city, cpu_model, data_size, database_description

TOPICS = [
    "trash",
    "recycling",
    "pothole",
    "streetlight",
    "dumping",
    "graffiti",
    "abandoned",
    "vehicle",
    "snow",
    "parking",
    "permit",
    "water",
    "sewer",
    "tree",
    "sidewalk",
    "noise",
    "rodent",
    "vacant",
    "property",
    "curb",
    "alley",
    "leaf",
    "bulk",
    "furniture",
    "hydrant",
    "signal",
    "sign",
    "park",
    "playground",
    "fire",
]
WORDS = [
    "report",
    "schedule",
    "collection",
    "city",
    "street",
    "department",
    "resident",
    "day",
    "week",
    "block",
    "corner",
    "repair",
    "inspection",
    "request",
    "service",
    "address",
    "neighborhood",
    "holiday",
    "fee",
    "license",
    "online",
    "phone",
    "hours",
    "weekend",
    "missed",
    "broken",
    "illegal",
    "overflowing",
    "night",
]
SPANISH = [
    "basura",
    "reciclaje",
    "bache",
    "alumbrado",
    "vertido",
    "ilegal",
    "nieve",
    "estacionamiento",
    "permiso",
    "agua",
    "árbol",
    "acera",
    "ruido",
    "calle",
    "recolección",
    "día",
    "semana",
    "dirección",
]
QUERIES = [
    "trash",
    "illegal dumping",
    "ilegal dumpng",
    "pothole repair",
    "potholw",
    "snow parking",
    "missed trash collection",
    "básura",
    "basura reciclaje",
    "recoleccion",
    "streetlight broken night",
    "zzzzqqq",
    '"foo" OR 1=1 --',
    "!!!",
    "abandoned vehicle",
    "abandonned vehical",
    "tree sidewalk",
    "permit fee online",
    "rodent alley",
    "graffitti",
]


def filler_words(rng: random.Random, count: int = 3_000) -> list[str]:
    """Made-up words, so that a topic word is in a few hundred articles, not in all (as in a real corpus)."""
    letters = "abcdefghijklmnoprstuvwy"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(count)]


def sentence(rng: random.Random, words: list[str], length: int) -> str:
    return " ".join(rng.choice(words) for _ in range(length))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark's jurisdiction afterwards.")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction

    from civic311.catalogue.models import Department, Service, ServiceGroup
    from civic311.jurisdictions.models import Jurisdiction
    from civic311.knowledge import search
    from civic311.knowledge.models import Article, ArticleTranslation, SearchDocument

    def forget(slug: str) -> None:
        with transaction.atomic():
            Article.objects.filter(jurisdiction__slug=slug).delete()
            Service.objects.filter(jurisdiction__slug=slug).delete()
            ServiceGroup.objects.filter(jurisdiction__slug=slug).delete()
            Department.objects.filter(jurisdiction__slug=slug).delete()
            Jurisdiction.objects.filter(slug=slug).delete()

    rng = random.Random(options.seed)
    filler = filler_words(rng)
    forget("bench-knowledge")
    city = bench_city("bench-knowledge", "Benchmark City")
    started = time.perf_counter()
    with transaction.atomic():
        department = Department.objects.create(jurisdiction=city, slug="streets", name="Streets")
        group = ServiceGroup.objects.create(jurisdiction=city, name="Streets")
        for number, topic in enumerate(TOPICS):
            Service.objects.create(
                jurisdiction=city,
                code=f"SR-B{number:02}",
                name=f"{topic.title()} problem",
                keywords=f"{topic}, {rng.choice(WORDS)}",
                group=group,
                department=department,
                description=sentence(rng, WORDS, 12),
            )
        articles = Article.objects.bulk_create(
            [
                Article(
                    jurisdiction=city,
                    slug=f"article-{number}",
                    status=Article.Status.PUBLISHED,
                    tags=[rng.choice(TOPICS)],
                )
                for number in range(options.articles)
            ],
            batch_size=1000,
        )
        texts = []
        for article in articles:
            topic, other = rng.choice(TOPICS), rng.choice(TOPICS)
            texts.append(
                ArticleTranslation(
                    article=article,
                    language="en",
                    title=f"{topic.title()} {sentence(rng, WORDS, 3)} {other}",
                    summary=f"{sentence(rng, WORDS, 4)} {sentence(rng, filler, 10)}",
                    body=f"{sentence(rng, WORDS + TOPICS, 6)} {sentence(rng, filler, 114)}",
                )
            )
            if rng.random() < 0.5:
                texts.append(
                    ArticleTranslation(
                        article=article,
                        language="es",
                        title=sentence(rng, SPANISH, 5),
                        summary=sentence(rng, SPANISH, 5) + " " + sentence(rng, filler, 10),
                        body=sentence(rng, SPANISH, 6) + " " + sentence(rng, filler, 94),
                    )
                )
        ArticleTranslation.objects.bulk_create(texts, batch_size=1000)
        documents = search.rebuild(city)
    built = time.perf_counter() - started
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give a live database
        cursor.execute("ANALYZE")

    timings = []
    for number in range(options.searches):
        query = QUERIES[number % len(QUERIES)]
        language = "es" if number % 3 == 0 else "en"
        begin = time.perf_counter()
        search.search(city, query, language=language, limit=10)
        timings.append((time.perf_counter() - begin) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]

    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores")
    print(f"database:  {database_description(connection)}")
    print(
        f"made:      {options.articles:,} articles, {len(texts):,} texts, {documents:,} search documents "
        f"in {built:,.1f} s (with the index)"
    )
    print(f"searches:  {options.searches:,} of {len(QUERIES)} mixed queries (en and es)")
    print(f"latency:   p50 {p50:,.1f} ms, p95 {p95:,.1f} ms, max {timings[-1]:,.1f} ms")
    print(f"data size: {data_size(connection, [ArticleTranslation, SearchDocument])}")
    if not options.keep:
        forget(city.slug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
