"""Time the bulk importer on Philadelphia's public_cases_fc format, on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench python benchmarks/open_data_import.py --rows 1000000

Uses DATABASE_URL like the app (SQLite in ./var by default); migrate that database first. It writes N rows
of the format to a temporary file (valid rows for the demo catalogue's services at points inside the
city, plus a small share of bad ones: unknown service, bad date, outside the city, no id, a repeated id),
then imports the file into a throw-away city ("bench-import", its requests deleted first) and prints rows,
seconds, rows/s, rejects, the file and data size and the machine. The same file is then imported again to
show the re-run speed (every row unchanged); --changed also re-imports it with a tenth of the statuses
changed (updates).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")
os.environ.setdefault("CIVIC311_DEMO", "1")  # the demo app (installed only when asked) seeds the city

from cpu_meter import postgres_cpu
from seed_demo import bench_city, cpu_model, data_size, database_description

PHILADELPHIA = ZoneInfo("America/New_York")
FIRST_ID = 50_000_001
BAD_SHARE = 0.004
CLOSE_REASONS = ("Issue Resolved", "Repair Completed", "Unable to find issue at location", "Service Not Needed")
STREETS = ("MARKET ST", "BROAD ST", "CHESTNUT ST", "SPRUCE ST", "GIRARD AVE", "LEHIGH AVE", "COTTMAN AVE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument(
        "--writers", type=int, default=None, help="Batches written at once (default: the importer's own choice)."
    )
    parser.add_argument("--changed", action="store_true", help="A third run with a tenth of the statuses changed.")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from civic311.catalogue.models import Service
    from civic311.demo import services as demo
    from civic311.opendata.columns import PUBLIC_CASES_COLUMNS
    from civic311.service_requests.models import HistoryEntry, ServiceRequest

    city = bench_city("bench-import", "Import benchmark")
    if not Service.objects.filter(jurisdiction=city).exists():
        demo.load_neighborhoods(city)
        demo.load_catalogue(city)
    forget(city, connection)
    services = list(
        Service.objects.filter(jurisdiction=city, kind=Service.Kind.REQUEST, is_active=True)
        .select_related("department")
        .order_by("code")
    )

    with tempfile.TemporaryDirectory(prefix="civic311-import-bench-") as folder:
        path = Path(folder) / "public_cases_fc.csv"
        started = time.monotonic()
        bad = write_file(path, options.rows, services, city, random.Random(options.seed), PUBLIC_CASES_COLUMNS)
        print(
            f"file:      {options.rows:,} rows ({bad:,} made bad on purpose), {path.stat().st_size / 2**20:,.0f} MB,"
            f" written in {time.monotonic() - started:,.1f} s",
            flush=True,
        )
        print(f"machine:   {cpu_model()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(f"database:  {database_description(connection)}", flush=True)

        first = run(city, path, options, "first run (inserts)")
        again = run(city, path, options, "second run, same file (nothing changes)")
        if options.changed:
            changed = Path(folder) / "changed.csv"
            change_statuses(path, changed, random.Random(options.seed + 1))
            run(city, changed, options, "third run, a tenth of the statuses changed (updates)")
        print(f"data size: {data_size(connection, [ServiceRequest, HistoryEntry])}")
        print(f"memory:    peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB (this process)")
        if first.failure or again.failure:
            return 1
    return 0


def forget(city, connection) -> None:
    """Delete the throw-away city's requests (and their history) so the first run inserts."""
    from civic311.service_requests.models import HistoryEntry, ServiceRequest

    requests, history = ServiceRequest._meta.db_table, HistoryEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {history} WHERE service_request_id IN "  # noqa: S608
            f"(SELECT id FROM {requests} WHERE jurisdiction_id = %s)",
            [city.pk],
        )
        cursor.execute(f"DELETE FROM {requests} WHERE jurisdiction_id = %s", [city.pk])  # noqa: S608
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {requests}")
            cursor.execute(f"VACUUM ANALYZE {history}")


def write_file(path: Path, rows: int, services, city, rng: random.Random, columns) -> int:
    """Write `rows` rows of the public_cases_fc format; returns how many are bad on purpose."""
    weights = [max(service.typical_volume, 1_000) for service in services]
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = end - dt.timedelta(days=730)
    span = int((end - start).total_seconds())
    lat_low, lat_high = city.min_lat + 0.005, city.max_lat - 0.005
    long_low, long_high = city.min_long + 0.005, city.max_long - 0.005
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        chosen = rng.choices(services, weights=weights, k=rows)
        for index in range(rows):
            service = chosen[index]
            requested = start + dt.timedelta(seconds=rng.randrange(span))
            updated = requested + dt.timedelta(hours=rng.randrange(1, 400))
            closed = rng.random() < 0.8 and updated < end
            expected = requested + dt.timedelta(days=5)
            row = [
                str(index + 1),
                str(FIRST_ID + index),
                service.name,
                "Closed" if closed else "Open",
                rng.choice(CLOSE_REASONS) if closed else "",
                service.name,
                service.code,
                service.department.name,
                service.service_notice,
                local(requested),
                local(min(updated, end)),
                local(expected),
                local(updated) if closed else "",
                f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}",
                str(rng.choice((19102, 19103, 19104, 19106, 19107, 19121, 19122, 19125, 19134, 19148))),
                f"https://example.org/photos/{index}.jpg" if rng.random() < 0.2 else "",
                f"{rng.uniform(lat_low, lat_high):.6f}",
                f"{rng.uniform(long_low, long_high):.6f}",
            ]
            if rng.random() < BAD_SHARE:
                bad += 1
                spoil(row, rng, index)
            writer.writerow(row)
    return bad


def spoil(row: list[str], rng: random.Random, index: int) -> None:
    kind = rng.randrange(5)
    if kind == 0:
        row[6], row[5] = "SR-XX99", "Nothing we do"  # unknown service
    elif kind == 1:
        row[9] = "31/31/2016 25:00"  # bad date
    elif kind == 2:
        row[16], row[17] = "40.7128", "-74.0060"  # New York
    elif kind == 3:
        row[1] = ""  # no id
    else:
        row[1] = str(FIRST_ID + max(index - 1, 0))  # the row before's id


def change_statuses(source: Path, target: Path, rng: random.Random) -> None:
    with source.open(newline="", encoding="utf-8") as inp, target.open("w", newline="", encoding="utf-8") as out:
        reader, writer = csv.reader(inp), csv.writer(out)
        writer.writerow(next(reader))
        for row in reader:
            if row[3] == "Open" and rng.random() < 0.5:
                row[3], row[4], row[12] = "Closed", "Issue Resolved", row[10]
            elif rng.random() < 0.08:
                row[4] = "Repair Completed" if row[3] == "Closed" else "Crew scheduled"
            writer.writerow(row)


def local(moment: dt.datetime) -> str:
    return moment.astimezone(PHILADELPHIA).isoformat()


def run(city, path: Path, options, title: str):
    from civic311.opendata.services import import_requests

    def progress(step) -> None:
        if step.batch is not None:
            print(
                f"  batch {step.batch.number}: {step.batch.read:,} rows in {step.batch.seconds:,.1f} s, "
                f"{step.read:,} read, {step.rows_per_second:,.0f} rows/s",
                file=sys.stderr,
                flush=True,
            )

    backend_before, own_before = backend_cpu(), time.process_time()
    with open(os.devnull, "w", newline="") as rejects:
        result = import_requests(
            city, path, batch_size=options.batch_size, rejects=rejects, progress=progress, writers=options.writers
        )
    own, backend = time.process_time() - own_before, backend_cpu()
    print(f"{title}:")
    print(
        f"  rows:    {result.read:,} read, {result.inserted:,} new, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged, {result.rejected:,} rejected "
        f"({', '.join(f'{reason} {count:,}' for reason, count in result.reasons.most_common())})"
    )
    print(f"  time:    {result.seconds:,.1f} s, {result.rows_per_second:,.0f} rows/s", flush=True)
    # On a shared machine the wall time depends on its load; the CPU each side used does much less.
    database = f", PostgreSQL {backend - backend_before:,.1f} s" if backend is not None else ""
    print(f"  CPU:     importer {own:,.1f} s (reading and checking overlap the database's work){database}")
    if result.failure:
        print(f"  FAILED:  batch {result.failure.number}: {result.failure.error}")
    return result


def backend_cpu() -> float | None:
    """CPU seconds of every PostgreSQL process on this machine (the import's writers have connections of
    their own, which end with their batch); None on SQLite or when the server is elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    return postgres_cpu()


if __name__ == "__main__":
    sys.exit(main())
