"""Time the public open-data export (CSV and GeoJSON) of a whole city on the configured database.

    .venv/bin/python manage.py migrate && CIVIC311_DEMO=1 .venv/bin/python manage.py seed_demo_city --requests 20000
    .venv/bin/python benchmarks/open_data_export.py

    # on PostgreSQL (a throw-away database):
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE civic311_bench_export"
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench_export
    .venv/bin/python manage.py migrate && CIVIC311_DEMO=1 .venv/bin/python manage.py seed_demo_city --requests 20000
    .venv/bin/python benchmarks/open_data_export.py --runs 3

Uses DATABASE_URL like the app (SQLite in ./var by default) and exports the whole demo city (or
`--city <slug>`), every public request, `--runs` times after a warm-up, through:

- `view`: the real view function (a RequestFactory request, as the middleware would leave it), consuming
  the response's `streaming_content` as a WSGI server would: COPY on PostgreSQL, keyset pages elsewhere;
- `copy`: `selectors.copy_chunks` alone (PostgreSQL only): the bytes straight from COPY;
- `orm`: `selectors.chunks` with the writers of `export.py`, the path SQLite takes (on PostgreSQL too,
  for comparison).

Prints, for each: rows, megabytes, seconds (best and median), rows/s, and memory: the process's peak RSS
so far (getrusage's maxrss, which includes start-up) and the highest VmRSS sampled every 20 ms during the
run against the RSS before it (what the export itself held). Then the data size and the machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")

from seed_demo import cpu_model, data_size, database_description

MEGABYTE = 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city", help="The jurisdiction's slug (default: the demo city).")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="csv,geojson")
    parser.add_argument("--paths", default="view,copy,orm")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import RequestFactory

    from civic311.demo import services as demo
    from civic311.jurisdictions.models import Jurisdiction
    from civic311.opendata import export, selectors, views
    from civic311.opendata.selectors import Export
    from civic311.service_requests.models import Photo, ServiceRequest

    city = Jurisdiction.objects.filter(slug=options.city).first() if options.city else demo.demo_city()
    if city is None:
        print(
            "No such city here: seed one with `CIVIC311_DEMO=1 manage.py seed_demo_city` or pass --city.",
            file=sys.stderr,
        )
        return 1
    rows = selectors.public_requests(city).count()
    photo_base = "http://localhost/media/"
    chosen = Export(city, photo_base=photo_base)
    is_postgres = connection.vendor == "postgresql"
    factory = RequestFactory()

    def through_view(fmt: str) -> Iterable[bytes]:
        request = factory.get(f"/open-data/service-requests.{fmt}", HTTP_HOST="localhost")
        request.jurisdiction = city  # type: ignore[attr-defined]  (what JurisdictionMiddleware sets)
        view = views.service_requests_csv if fmt == export.CSV else views.service_requests_geojson
        response = view(request)
        assert response.status_code == 200 and response.streaming, response
        return response.streaming_content  # type: ignore[attr-defined]

    def through_orm(fmt: str) -> Iterable[bytes]:
        write = export.csv_lines if fmt == export.CSV else export.geojson_lines
        for page in selectors.chunks(chosen, using="default"):
            yield write(page, chosen)

    paths: dict[str, Callable[[str], Iterable[bytes]]] = {
        "view": through_view,
        "copy": lambda fmt: selectors.copy_chunks(chosen, fmt, using="default"),
        "orm": through_orm,
    }
    print(
        f"city:      {city.name} ({city.slug}), {rows:,} public requests, "
        f"{Photo.objects.filter(service_request__jurisdiction=city, is_public=True).count():,} public photos"
    )
    for fmt in options.formats.split(","):
        for name in options.paths.split(","):
            if name == "copy" and not is_postgres:
                continue
            result = measure(functools.partial(paths[name], fmt), options.runs)
            print(
                f"{fmt:8} {name:5} {result.megabytes:8,.1f} MB  best {result.best:7.2f} s  "
                f"median {result.median:7.2f} s  {rows / result.best:10,.0f} rows/s  "
                f"RSS +{result.rss_growth_mb:,.0f} MB during (peak {result.peak_rss_mb:,.0f} MB sampled, "
                f"maxrss {result.maxrss_mb:,.0f} MB)"
            )
    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"database:  {database_description(connection)}")
    print(f"data size: {data_size(connection, [ServiceRequest])}")
    return 0


class Result:
    def __init__(self, seconds: list[float], size: int, peak_rss: int, rss_before: int) -> None:
        self.best = min(seconds)
        self.median = statistics.median(seconds)
        self.megabytes = size / MEGABYTE
        self.peak_rss_mb = peak_rss / MEGABYTE
        self.rss_growth_mb = max(0, peak_rss - rss_before) / MEGABYTE
        # ru_maxrss is in kilobytes on Linux.
        self.maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(make: Callable[[], Iterable[bytes]], runs: int) -> Result:
    """Consume the export `runs` times after a warm-up, sampling the RSS meanwhile."""
    for _ in make():
        pass
    rss_before = vm_rss()
    sampler = RssSampler()
    sampler.start()
    seconds, size = [], 0
    try:
        for _ in range(runs):
            started = time.perf_counter()
            size = 0
            for piece in make():
                size += len(piece)
            seconds.append(time.perf_counter() - started)
    finally:
        sampler.stop()
    return Result(seconds, size, sampler.peak, rss_before)


def vm_rss() -> int:
    """This process's resident memory now, in bytes (Linux's /proc/self/status)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """Samples VmRSS every 20 ms (no tracemalloc: it would slow the export and miss C allocations)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = vm_rss()
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(0.02):
            self.peak = max(self.peak, vm_rss())

    def stop(self) -> None:
        self._stopped.set()
        self.join()
        self.peak = max(self.peak, vm_rss())


if __name__ == "__main__":
    sys.exit(main())
