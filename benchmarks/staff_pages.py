"""Time the staff pages a department worker and an agent load all day, in-process, on the configured
database (the demo city; seed it first with `CIVIC311_DEMO=1 manage.py seed_demo_city`).

    python benchmarks/staff_pages.py --repeat 30
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench python benchmarks/staff_pages.py

Each page is fetched through Django's test client as a signed-in demo user (a Streets Department worker
for the queue and request pages, an agent for the console), --repeat times after one warm-up; it prints
p50/p95 in milliseconds, the queries per page, the data size and the machine. In-process: no web
server, so the figures are the application's own cost (benchmarks/open311_load.py measures through
gunicorn).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")

from seed_demo import cpu_model, database_description, p50_p95, timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civic311.console import services as console
    from civic311.demo import services as demo
    from civic311.people.models import RoleAssignment, StaffRole
    from civic311.service_requests.models import ServiceRequest

    settings.ALLOWED_HOSTS = ["*"]
    city = demo.demo_city()
    if city is None or not ServiceRequest.objects.filter(jurisdiction=city).exists():
        print("Seed the demo city first: CIVIC311_DEMO=1 python manage.py seed_demo_city", file=sys.stderr)
        return 1
    worker = (
        RoleAssignment.objects.filter(role=StaffRole.DEPARTMENT_STAFF, department__slug__startswith="streets")
        .select_related("user", "department")
        .order_by("user__username")
        .first()
    )
    agent = (
        RoleAssignment.objects.filter(role=StaffRole.AGENT).select_related("user").order_by("user__username").first()
    )
    if worker is None or agent is None:
        print("The demo city has no Streets worker or agent.", file=sys.stderr)
        return 1
    request = (
        ServiceRequest.objects.filter(department=worker.department, status__in=["new", "in_progress"])
        .order_by("-requested_at")
        .first()
    )
    contact = console.start_contact(city, agent.user, "phone")

    pages = [
        ("queue (open, SLA risk, counts)", worker.user, "/work/"),
        ("queue filtered (overdue, mine)", worker.user, "/work/?due=overdue&assignee=me"),
        ("request page", worker.user, f"/work/request/{request.tracking_number}/" if request else "/work/"),
        ("console home", agent.user, "/console/"),
        ("console contact screen", agent.user, f"/console/contact/{contact.pk}/"),
    ]
    total = ServiceRequest.objects.filter(jurisdiction=city).count()
    in_department = ServiceRequest.objects.filter(department=worker.department).count()
    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores")
    print(f"database:  {database_description(connection)}")
    print(f"data:      {total:,} requests; {in_department:,} in {worker.department.name}")
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    client = Client(HTTP_HOST=city.host or "testserver")
    for label, user, path in pages:
        client.force_login(user)
        client.get(path)  # warm-up: count a warm request's queries
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            query_count = len(queries.captured_queries)  # inside: the log is a bounded deque
        assert response.status_code == 200, (path, response.status_code)
        p50, p95 = p50_p95(timed(lambda path=path: client.get(path), options.repeat))
        print(f"{label:34} {p50:8.1f} {p95:8.1f} {query_count:8d}")
    contact.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
