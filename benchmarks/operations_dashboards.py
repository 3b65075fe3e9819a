"""Time every dashboard of issue 20 (the operations dashboard and its CSV, the leadership report's page, PDF
and CSV, the public transparency page) and the operations rollups' sweep, in-process, on the configured
database (the demo city: seed it first with `CIVIC311_DEMO=1 manage.py seed_demo_city`, which counts the
figures too, or run `manage.py rebuild_operations_figures` on an older database).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench python benchmarks/operations_dashboards.py

Each page is fetched through Django's test client, signed in as a supervisor of the demo city (a department
manager for the pages marked so; anonymous for the public page), --repeat times after one warm-up; it prints
p50/p95 in milliseconds and the queries per page. Then the time of a sweep with nothing to do, with the last
five minutes, hour and day of changes (each rolled back: the database is left as it was). In-process: no web
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
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from civic311.demo import services as demo
    from civic311.insights import operations_rollups as rollups
    from civic311.insights.models import OperationsWatermark, RequestDay, RequestMonth
    from civic311.people import roles
    from civic311.people.models import StaffRole, User
    from civic311.service_requests.models import ServiceRequest

    settings.ALLOWED_HOSTS = ["*"]
    city = demo.demo_city()
    if city is None or not ServiceRequest.objects.filter(jurisdiction=city).exists():
        print("Seed the demo city first: CIVIC311_DEMO=1 python manage.py seed_demo_city", file=sys.stderr)
        return 1
    if not OperationsWatermark.objects.filter(jurisdiction=city).exists():
        print("Count the figures first: python manage.py rebuild_operations_figures", file=sys.stderr)
        return 1
    staff = list(User.objects.filter(is_active=True, is_staff=True).order_by("pk"))
    supervisor = next(user for user in staff if StaffRole.SUPERVISOR in roles.roles_of(user))
    manager = next((user for user in staff if roles.managed_departments(user)), None)

    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores")
    print(f"database:  {database_description(connection)}")
    print(
        f"data:      {ServiceRequest.objects.filter(jurisdiction=city).count():,} requests; rollups: "
        f"{RequestDay.objects.filter(jurisdiction=city).count():,} day rows, "
        f"{RequestMonth.objects.filter(jurisdiction=city).count():,} month rows"
    )
    today = timezone.localtime(timezone.now(), city.zone).date()
    year_ago = (today - dt.timedelta(days=364)).isoformat()
    busiest_department = (
        RequestDay.objects.filter(jurisdiction=city).values("department_id").annotate(n=Max("filed")).order_by("-n")
    )[0]["department_id"]
    neighborhood = RequestMonth.objects.filter(jurisdiction=city, neighborhood__isnull=False).values_list(
        "neighborhood_id", flat=True
    )[0]
    service = RequestDay.objects.filter(jurisdiction=city).values_list("service_id", flat=True)[0]
    ops, ops_csv = "/insights/operations/", "/insights/operations/operations.csv"
    pages: list[tuple[str, str, object]] = [
        ("operations: last 30 days (default)", ops, supervisor),
        ("operations: last 90 days by week", f"{ops}?days=90&grain=week", supervisor),
        ("operations: last 365 days by day", f"{ops}?days=365&grain=day", supervisor),
        ("operations: 365 days, busiest department", f"{ops}?days=365&department={busiest_department}", supervisor),
        ("operations: 365 days, one neighborhood", f"{ops}?days=365&neighborhood={neighborhood}", supervisor),
        ("operations: 365 days, a service by phone", f"{ops}?days=365&service={service}&channel=phone", supervisor),
        (
            "operations: 2 years by month",
            f"{ops}?start={today.replace(year=today.year - 2) + dt.timedelta(days=1)}&end={today}&grain=month",
            supervisor,
        ),
        ("operations CSV: last 365 days", f"{ops_csv}?start={year_ago}&end={today}", supervisor),
    ]
    if manager is not None:
        pages.append(("operations: a department manager, 90 days", f"{ops}?days=90", manager))
    try:
        month = today.replace(day=1) - dt.timedelta(days=1)
        quarter = f"{month.year}-Q{(month.month - 1) // 3 + 1}"
        for kind, slug in (("month", month.strftime("%Y-%m")), ("quarter", quarter)):
            page = reverse("insights:leadership_report", args=[kind, slug])
            pages.append((f"leadership report: {kind} {slug}", page, supervisor))
            pages.append(
                (
                    f"leadership report CSV: {kind} {slug}",
                    reverse("insights:leadership_csv", args=[kind, slug]),
                    supervisor,
                )
            )
        pages.append(
            (
                f"leadership report PDF: month {month:%Y-%m}",
                reverse("insights:leadership_pdf", args=["month", month.strftime("%Y-%m")]),
                supervisor,
            )
        )
    except NoReverseMatch:
        print("(no leadership report in this version)")
    try:
        pages.append(("transparency page (public, cached)", reverse("transparency:dashboard"), None))
    except NoReverseMatch:
        print("(no transparency page in this version)")

    print(f"{'page':52} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    clients: dict[object, Client] = {}
    for label, path, user in pages:
        client = clients.get(user)
        if client is None:
            client = clients[user] = Client(HTTP_HOST=city.host or "testserver")
            if user is not None:
                client.force_login(user)
        client.get(path)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            query_count = len(queries.captured_queries)
        assert response.status_code == 200, (path, response.status_code)
        p50, p95 = p50_p95(timed(lambda path=path, client=client: client.get(path), options.repeat))
        print(f"{label[:52]:52} {p50:8.1f} {p95:8.1f} {query_count:8d}")

    latest = ServiceRequest.objects.filter(jurisdiction=city).aggregate(m=Max("updated_at"))["m"]
    print(f"{'sweep (rolled back)':52} {'seconds':>8} {'days':>8} {'months':>8}")
    for label, since in [
        ("nothing changed", None),
        ("the last 5 minutes of changes", latest - dt.timedelta(minutes=5)),
        ("the last hour of changes", latest - dt.timedelta(hours=1)),
        ("the last day of changes", latest - dt.timedelta(days=1)),
    ]:
        started = time.monotonic()
        try:
            with transaction.atomic():
                now = max(latest, OperationsWatermark.objects.get(jurisdiction=city).counted_through)
                OperationsWatermark.objects.filter(jurisdiction=city).update(counted_through=since or now)
                counted = rollups.sweep(city, now=now + rollups.LAG)
                seconds = time.monotonic() - started
                raise RolledBack
        except RolledBack:
            pass
        print(f"{label:52} {seconds:8.2f} {counted.days:8d} {counted.months:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
