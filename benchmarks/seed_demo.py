"""Time the demo city's history generator on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench python benchmarks/seed_demo.py --requests 200000

Uses DATABASE_URL like the app (SQLite in ./var by default); migrate that database first. It builds the
demo city's catalogue if needed, then times `generate_history` alone and prints rows/s, the seconds it
took, the size of the data it made and the machine it ran on. A demo city that already has a history is
left alone unless --reset is given (which deletes it first: use a throw-away database).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")
os.environ.setdefault("CIVIC311_DEMO", "1")  # the demo app (installed only when asked) seeds the city


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--reset", action="store_true", help="Delete an existing demo city first.")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from civic311.demo import services as demo
    from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

    city = demo.demo_city()
    if city is not None and ServiceRequest.objects.filter(jurisdiction=city).exists():
        if not options.reset:
            print("The demo city already has a history here; use --reset on a throw-away database.", file=sys.stderr)
            return 1
        demo.delete_demo_city(city)
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    demo.load_catalogue(city)
    demo.create_staff(city)

    stats = demo.generate_history(
        city,
        requests=options.requests,
        days=options.days,
        seed=options.seed,
        batch_size=options.batch_size,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )

    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"database:  {database_description(connection)}")
    print(
        f"made:      {stats.requests:,} requests, {stats.contacts:,} contacts, "
        f"{stats.history_entries:,} history entries, {stats.requesters:,} requesters = {stats.rows:,} rows"
    )
    print(
        f"time:      {stats.seconds:,.1f} s, {stats.rows_per_second:,.0f} rows/s, "
        f"{stats.requests / stats.seconds:,.0f} requests/s"
    )
    print(f"data size: {data_size(connection, [ServiceRequest, HistoryEntry, Contact])}")
    return 0


def in_own_folder(options, prefix: str, run) -> int:
    """`run(options, var_dir)` with the app in its own SQLite database in `options.var_dir`, or in a throw-away
    folder (removed after, unless `options.keep`): a benchmark that builds a demo city never touches the app's."""
    import shutil
    import tempfile

    var_dir = options.var_dir or Path(tempfile.mkdtemp(prefix=prefix))
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CIVIC311_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)  # its own SQLite database, never the app's
    os.environ["CIVIC311_DEMO"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")
    try:
        return run(options, var_dir)
    finally:
        if options.var_dir is None and not options.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"kept:      {var_dir}", file=sys.stderr)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def database_description(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]} ({connection.settings_dict['NAME']})"
    return connection.vendor


def bench_city(slug: str, name: str, **fields):
    """A throw-away city shaped like Philadelphia for a benchmark's own data (made once, then reused)."""
    from civic311.jurisdictions.models import Jurisdiction

    city, _created = Jurisdiction.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "jurisdiction_id": f"{slug}.example",
            "time_zone": "America/New_York",
            "min_lat": 39.87,
            "max_lat": 40.14,
            "min_long": -75.28,
            "max_long": -74.96,
            **fields,
        },
    )
    return city


def timed(function, runs: int) -> list[float]:
    """Milliseconds of `runs` calls of `function`, after one warm-up call."""
    function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def percentiles(samples: list[float]) -> str:
    p50, p95 = p50_p95(samples)
    return f"p50 {p50:8.1f} ms   p95 {p95:8.1f} ms"


def data_size(connection, models) -> str:
    megabyte = 1024 * 1024
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            parts = []
            for model in models:
                cursor.execute("SELECT pg_total_relation_size(%s)", [model._meta.db_table])
                parts.append(f"{model._meta.db_table} {cursor.fetchone()[0] / megabyte:,.0f} MB")
            cursor.execute("SELECT pg_database_size(current_database())")
            return f"database {cursor.fetchone()[0] / megabyte:,.0f} MB (with indexes: {', '.join(parts)})"
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            name = Path(connection.settings_dict["NAME"])
            return f"database file {name.stat().st_size / megabyte:,.0f} MB"
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
