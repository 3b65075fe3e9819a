"""The operations dashboard (/insights/operations/): the figures on the page and in the CSV against hand counts
(the city of tests/community/helpers.py), the filters, a department manager's departments only, the roles
refused, bad input, Spanish, and a cost that does not grow with the requests."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine

from civic311.insights import operations_rollups as rollups
from civic311.people.models import StaffRole
from tests.community.helpers import CENTER, NOW, neighborhood_city  # noqa: F401
from tests.factories import filed_request, staff_in_role
from tests.roles_helpers import STAFF_ROLES

PAGE, CSV = "/insights/operations/", "/insights/operations/operations.csv"
PERIOD = {"start": "2026-01-01", "end": "2026-04-15"}
SEE = {StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN, StaffRole.DEPARTMENT_MANAGER}


@pytest.fixture
def city(jurisdiction, neighborhood_city):  # noqa: F811
    rollups.rebuild(jurisdiction, now=NOW)
    return neighborhood_city


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_supervisor_reads_the_figures(client, city, travel):
    client.force_login(staff_in_role(StaffRole.SUPERVISOR))
    response = client.get(PAGE, PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    board = response.context["board"]
    assert (board.totals.filed, board.totals.closed, board.backlog.open_requests) == (7, 3, 4)
    assert 'data-figure="filed">7<' in page
    assert 'data-figure="on-time">66.7 %<' in page
    assert 'data-figure="median">2.5 days<' in page  # 60 hours
    assert 'data-figure="open">4<' in page and 'data-figure="overdue">2<' in page
    assert 'id="operations-centre"' in page  # a supervisor sees the centre's figures
    assert "Pothole" in page and "Dumping" in page and "Fishtown" in page
    assert 'id="operations-chart-data"' in page and "chart.umd.min.js" in page
    assert response.context["chart"]["filed"] == [point.cohort.filed for point in board.series]


def test_the_csv_keeps_the_filters(client, city, travel):
    client.force_login(staff_in_role(StaffRole.LEADERSHIP))
    rows = _csv(client.get(CSV, {**PERIOD, "service": city["dumping"].pk}))
    total = next(row for row in rows if row["Table"] == "Total")
    assert (total["Filed"], total["Closed"], total["Open now"], total["Overdue now"]) == ("3", "2", "1", "1")
    services = [row["Name"] for row in rows if row["Table"] == "By service"]
    assert services == ["Dumping"]
    by_place = {row["Name"]: row["Filed"] for row in rows if row["Table"] == "By neighborhood"}
    assert by_place == {city["center"].name: "2", "Outside any neighborhood": "1"}  # c, d; g


def test_a_department_manager_sees_their_departments_only(client, city, travel):
    dumping = city["dumping"]
    manager = staff_in_role(StaffRole.DEPARTMENT_MANAGER, dumping.department)
    client.force_login(manager)
    response = client.get(PAGE, PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["board"].totals.filed == 3  # c, d, g
    assert "Pothole" not in page and 'id="operations-scope"' in page
    assert 'id="operations-centre"' not in page
    # Another department is not among the choices: asking for it is refused, never shown.
    other = client.get(PAGE, {**PERIOD, "department": city["pothole"].department_id})
    assert other.status_code == 400 and other.context["board"].filters.department is None
    assert "Pothole" not in other.content.decode()
    assert client.get(CSV, {**PERIOD, "department": city["pothole"].department_id}).status_code == 400
    rows = _csv(client.get(CSV, PERIOD))
    assert {row["Name"] for row in rows if row["Table"] == "By service"} == {"Dumping"}


def test_a_neighborhood_reads_whole_months(client, city, travel):
    client.force_login(staff_in_role(StaffRole.SUPERVISOR))
    response = client.get(PAGE, {"start": "2026-04-10", "end": "2026-04-15", "neighborhood": city["center"].pk})
    assert response.context["board"].totals.filed == 3  # b, d, e: all of April
    assert 'id="whole-months"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-04-15", "end": "2026-04-01"},
        {"start": "2026-04-15"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "yesterday", "end": "2026-04-01"},
        {"days": "12"},
        {"grain": "hour"},
        {"channel": "pigeon"},
        {"service": "not-a-number"},
    ],
)
def test_bad_filters_get_a_clear_error(client, city, travel, query):
    client.force_login(staff_in_role(StaffRole.SUPERVISOR))
    response = client.get(PAGE, query)
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode() or "text-danger" in response.content.decode()
    assert client.get(CSV, query).status_code == 400


def test_the_default_period_is_the_last_30_days(client, city, travel):
    client.force_login(staff_in_role(StaffRole.SUPERVISOR))
    board = client.get(PAGE).context["board"]
    assert (board.filters.start.isoformat(), board.filters.end.isoformat()) == ("2026-03-17", "2026-04-15")
    assert board.filters.grain == "day" and board.totals.filed == 5  # a, b, d, e, f


@pytest.mark.parametrize("role", sorted(set(STAFF_ROLES) - SEE))
def test_the_roles_refused(client, city, travel, role):
    client.force_login(staff_in_role(role))
    assert client.get(PAGE).status_code == 403
    assert client.get(CSV).status_code == 403


def test_a_visitor_is_sent_to_sign_in(client, city, travel):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_in_spanish(client, city, travel):
    client.force_login(staff_in_role(StaffRole.SUPERVISOR))
    client.cookies["django_language"] = "es"
    page = client.get(PAGE, PERIOD, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Operaciones" in page and "Por departamento" in page
    assert "66,7 %" in page


def test_the_cost_does_not_grow_with_the_requests(client, city, travel, django_assert_max_num_queries):
    client.force_login(staff_in_role(StaffRole.SUPERVISOR))
    client.get(PAGE, PERIOD)  # warm the session and the site caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(PAGE, PERIOD)
    for hour in range(30):
        filed_request(city["pothole"], now=NOW.replace(hour=hour % 12), **CENTER)
    rollups.sweep(city["pothole"].jurisdiction, now=NOW + rollups.LAG)
    with CaptureQueriesContext(connection) as after:
        client.get(PAGE, PERIOD)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert not [q for q in after.captured_queries if "requests_servicerequest" in q["sql"]]
