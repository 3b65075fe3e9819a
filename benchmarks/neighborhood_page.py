"""Time the public neighborhood pages (page, JSON, map points, Atom feed) and the rollups behind them,
in-process, on the configured database (the demo city; seed it first with
`CIVIC311_DEMO=1 manage.py seed_demo_city`, then `manage.py rebuild_neighborhood_figures`).

    python benchmarks/neighborhood_page.py --repeat 30
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench python benchmarks/neighborhood_page.py

Each page is fetched through Django's test client as an anonymous visitor, --repeat times after one
warm-up; it prints p50/p95 in milliseconds and the queries per page for the busiest neighborhood and a few
others, then the time of a sweep with nothing to do, with the last five minutes and the last day of
changes (each in a transaction that is rolled back: the database is left as it was). In-process: no web
server, so the figures are the application's own cost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")

from seed_demo import cpu_model, database_description, p50_p95, timed


class RolledBack(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--others", type=int, default=3, help="How many other neighborhoods to time too.")
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Max, Sum
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civic311.community.models import NeighborhoodMonth, RollupWatermark
    from civic311.community.services import rollups
    from civic311.demo import services as demo
    from civic311.jurisdictions.models import Neighborhood
    from civic311.service_requests.models import ServiceRequest

    settings.ALLOWED_HOSTS = ["*"]
    city = demo.demo_city()
    if city is None or not ServiceRequest.objects.filter(jurisdiction=city).exists():
        print("Seed the demo city first: CIVIC311_DEMO=1 python manage.py seed_demo_city", file=sys.stderr)
        return 1
    if not RollupWatermark.objects.filter(jurisdiction=city).exists():
        print("Count the figures first: python manage.py rebuild_neighborhood_figures", file=sys.stderr)
        return 1
    sizes = dict(
        NeighborhoodMonth.objects.filter(jurisdiction=city, neighborhood__isnull=False)
        .values("neighborhood_id")
        .annotate(n=Sum("filed"))
        .values_list("neighborhood_id", "n")
    )
    ordered = sorted(sizes, key=lambda pk: -sizes[pk])
    places = Neighborhood.objects.in_bulk(ordered)
    busiest = places[ordered[0]]
    others = [places[pk] for pk in ordered[1 :: max(1, len(ordered) // (options.others + 1))][: options.others]]

    total = sum(sizes.values())
    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores")
    print(f"database:  {database_description(connection)}")
    print(
        f"data:      {ServiceRequest.objects.filter(jurisdiction=city).count():,} requests; {total:,} public in "
        f"{len(sizes)} neighborhoods; busiest {busiest.name} with {sizes[busiest.pk]:,}"
    )
    print(f"{'page':52} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    client = Client(HTTP_HOST=city.host or "testserver")
    pages = [("neighborhood index", "/neighborhoods/")]
    for place in [busiest, *others]:
        label = f"{place.name} ({sizes[place.pk]:,})"
        base = f"/neighborhoods/{place.slug}/"
        pages.append((f"page: {label}", base))
        if place is busiest:
            pages += [
                (f"page 2, open only: {label}", f"{base}?state=open&page=2"),
                (f"page 40, closed only: {label}", f"{base}?state=closed&page=40"),
                (f"figures.json: {label}", f"{base}figures.json"),
                (f"map.json: {label}", f"{base}map.json"),
                (f"feed.atom: {label}", f"{base}feed.atom"),
            ]
    for label, path in pages:
        client.get(path)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            query_count = len(queries.captured_queries)
        assert response.status_code == 200, (path, response.status_code)
        p50, p95 = p50_p95(timed(lambda path=path: client.get(path), options.repeat))
        print(f"{label[:52]:52} {p50:8.1f} {p95:8.1f} {query_count:8d}")

    latest = ServiceRequest.objects.filter(jurisdiction=city).aggregate(m=Max("updated_at"))["m"]
    print(f"{'sweep (rolled back)':52} {'seconds':>8} {'months':>8} {'backlogs':>8}")
    for label, since in [
        ("nothing changed", None),
        ("the last 5 minutes of changes", latest - dt.timedelta(minutes=5)),
        ("the last hour of changes", latest - dt.timedelta(hours=1)),
        ("the last day of changes", latest - dt.timedelta(days=1)),
    ]:
        started = time.monotonic()
        try:
            with transaction.atomic():
                now = max(latest, RollupWatermark.objects.get(jurisdiction=city).counted_through)
                if since is not None:
                    RollupWatermark.objects.filter(jurisdiction=city).update(counted_through=since)
                else:
                    RollupWatermark.objects.filter(jurisdiction=city).update(counted_through=now)
                counted = rollups.sweep(city, now=now + rollups.LAG)
                seconds = time.monotonic() - started
                raise RolledBack
        except RolledBack:
            pass
        print(f"{label:52} {seconds:8.2f} {counted.months:8d} {counted.backlogs:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
