"""The operational leadership report (/insights/leadership/): its figures checked against counts made by
hand, the previous period and the same period a year earlier, the CSV, the PDF, a department manager's
scope, the roles refused, bad periods, and the page in Spanish.

The city is the neighborhood figures' (tests/community/helpers.py, "now" is April 15, 2026 at noon), with
two requests of a year earlier added: eight requests in 2025-2026 plus
  r1, Pothole, March 10, 2025, closed 36 hours later (on time), in Center City;
  r2, Dumping, April 7, 2025, still open (overdue, over 90 days old).
Pothole is the Streets department's service, Dumping the Sanitation department's.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from typing import Any

import pytest
import time_machine
from django.test import Client

from civic311.insights import leadership
from civic311.insights import operations_rollups as rollups
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import StaffRole, User
from civic311.surveys.reports import Period
from tests.community.helpers import CENTER, NOW, at, close, neighborhood_city  # noqa: F401
from tests.factories import filed_request, staff_in_role

pytestmark = pytest.mark.django_db

MARCH = "/insights/leadership/month/2026-03/"
Q1 = "/insights/leadership/quarter/2026-Q1/"


@pytest.fixture
def city(jurisdiction: Jurisdiction, neighborhood_city: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    pothole, dumping = neighborhood_city["pothole"], neighborhood_city["dumping"]
    for service, name in ((pothole, "Streets"), (dumping, "Sanitation")):
        service.department.name = name
        service.department.save(update_fields=["name"])
    r1 = filed_request(pothole, now=at(2025, 3, 10, 9, 0), **CENTER)
    close(r1, at(2025, 3, 11, 21, 0))
    filed_request(dumping, now=at(2025, 4, 7, 9, 0), **CENTER)
    rollups.rebuild(jurisdiction, now=NOW)
    return neighborhood_city


@pytest.fixture
def supervisor() -> User:
    user: User = staff_in_role(StaffRole.SUPERVISOR, username="sonia")
    return user


def report_of(jurisdiction: Jurisdiction, kind: str, slug: str, departments: frozenset[int] | None = None) -> Any:
    with time_machine.travel(NOW, tick=False):
        return leadership.leadership_report(
            jurisdiction, Period.parse(kind, slug), departments=departments, language="en"
        )


def by_key(report: leadership.LeadershipReport) -> dict[str, leadership.SummaryRow]:
    return {row.key: row for row in report.summary}


# --- the figures -------------------------------------------------------------------------------------------


def test_march_against_february_and_march_a_year_earlier(jurisdiction, city):
    report = report_of(jurisdiction, "month", "2026-03")
    assert (report.previous_period.slug, report.year_earlier.slug) == ("2026-02", "2025-03")
    # March: a (closed in 10.5 h, on time). February: g (49 h, on time). March 2025: r1 (36 h, on time).
    assert (report.this.filed, report.this.closed, report.this.closed_on_time) == (1, 1, 1)
    assert (report.previous.filed, report.previous.closed, report.previous.closed_on_time) == (1, 1, 1)
    assert (report.last_year.filed, report.last_year.closed, report.last_year.closed_on_time) == (1, 1, 1)
    rows = by_key(report)
    assert rows["filed"].values == (1, 1, 1) and rows["filed"].change == 0
    assert rows["closed"].values == (1, 1, 1) and rows["closed"].rates == (100, 100, 100)
    assert rows["on_time"].values == (100, 100, 100) and rows["on_time"].change == 0
    assert rows["reopened"].values == (0, 0, 0)
    # The median is interpolated between the rollups' thresholds: 10.5 h lies between 4 h and 1 day, so half
    # of one request is 4 + 20 * 0.5 = 14 h; 49 h between 2 and 3 days: 60 h; 36 h between 1 and 2 days: 36 h.
    assert rows["median"].values == pytest.approx((14, 60, 36))
    assert rows["p90"].values == pytest.approx((4 + 20 * 0.9, 48 + 24 * 0.9, 24 + 24 * 0.9))
    assert rows["median"].change == pytest.approx((14 - 60) / 60 * 100)
    assert rows["median"].cells == ("14 h", "2.5 days", "1.5 days")
    assert rows["closed"].cells == ("1 (100.0 %)", "1 (100.0 %)", "1 (100.0 %)")
    assert rows["median"].shown_change == "\u221276.7 %" and rows["on_time"].shown_change == "±0.0 pp"


def test_the_first_quarter_against_the_fourth_and_a_year_earlier(jurisdiction, city):
    report = report_of(jurisdiction, "quarter", "2026-Q1")
    assert (report.previous_period.slug, report.year_earlier.slug) == ("2025-Q4", "2025-Q1")
    # Q1 2026: c (January, 36 days: late), g (February), a (March). Q4 2025: h. Q1 2025: r1.
    assert (report.this.filed, report.this.closed, report.this.closed_with_due_date, report.this.closed_on_time) == (
        3,
        3,
        3,
        2,
    )
    assert (report.previous.filed, report.previous.closed) == (1, 1)
    assert (report.last_year.filed, report.last_year.closed) == (1, 1)
    rows = by_key(report)
    assert rows["filed"].change == pytest.approx(200)  # 3 against 1
    assert rows["on_time"].values[0] == pytest.approx(200 / 3)
    assert rows["on_time"].change == pytest.approx(200 / 3 - 100)  # points
    assert rows["on_time"].change_unit == "points" and rows["filed"].change_unit == "percent"


def test_the_mix_and_the_backlog(jurisdiction, city):
    report = report_of(jurisdiction, "quarter", "2026-Q1")
    assert [(line.key, line.cohort.filed, line.share) for line in report.by_channel] == [("web", 3, 100)]
    departments = {line.name: line for line in report.by_department}
    assert set(departments) == {"Streets", "Sanitation"}
    streets, sanitation = departments["Streets"], departments["Sanitation"]
    # Streets: a filed (and closed on time); open now b, e, f; overdue e. Sanitation: c and g filed and
    # closed, one on time; open now d and r2, both overdue.
    assert (streets.cohort.filed, streets.cohort.completion_rate, streets.cohort.on_time_rate) == (1, 100, 100)
    assert (streets.row.open_now, streets.row.overdue) == (3, 1)
    assert (sanitation.cohort.filed, sanitation.cohort.completion_rate, sanitation.cohort.on_time_rate) == (2, 100, 50)
    assert (sanitation.row.open_now, sanitation.row.overdue) == (2, 2)
    assert [line.name for line in report.by_department] == ["Sanitation", "Streets"]  # most filed first
    # Top services, with the previous quarter's filed beside (h, a pothole, in Q4 2025).
    assert [(line.name, line.cohort.filed, line.previous_filed) for line in report.top_services] == [
        ("Dumping", 2, 0),
        ("Pothole", 1, 1),
    ]
    assert [(line.name, line.cohort.filed, line.previous_filed) for line in report.top_neighborhoods] == [
        (city["center"].name, 2, 1),  # c, a; h
        ("Outside any neighborhood", 1, 0),  # g
    ]
    # Today's backlog: b (1 day old), f (5 days), e (13 days, overdue), d (14 days, overdue), r2 (over a year,
    # overdue).
    assert (report.backlog.open_requests, report.backlog.overdue, report.backlog.by_age) == (5, 3, (2, 2, 0, 1))


def test_a_department_s_report_counts_only_it(jurisdiction, city):
    streets = frozenset({city["pothole"].department_id})
    report = report_of(jurisdiction, "quarter", "2026-Q1", departments=streets)
    assert (report.this.filed, report.previous.filed, report.last_year.filed) == (1, 1, 1)  # a; h; r1
    assert [line.name for line in report.by_department] == ["Streets"]
    assert [line.name for line in report.top_services] == ["Pothole"]
    assert (report.backlog.open_requests, report.backlog.overdue) == (3, 1)
    assert report.department_names == ("Streets",)


# --- the pages -------------------------------------------------------------------------------------------


def get(client: Client, path: str, **extra: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        return client.get(path, **extra)


def test_the_index_lists_months_and_quarters(client, city, supervisor):
    client.force_login(supervisor)
    page = get(client, "/insights/leadership/").content.decode()
    # April so far and the 12 months before; Q2 so far and the 4 quarters before.
    assert len(re.findall(r'href="/insights/leadership/month/\d{4}-\d{2}/"', page)) == 13
    assert len(re.findall(r'href="/insights/leadership/quarter/\d{4}-Q\d/"', page)) == 5
    assert 'href="/insights/leadership/month/2026-03/report.pdf"' in page
    assert 'href="/insights/leadership/quarter/2025-Q2/report.csv"' in page
    assert 'href="/insights/leadership/quarter/2025-Q1/' not in page


def test_the_satisfaction_reports_link_here(client, city, supervisor):
    client.force_login(supervisor)
    assert 'href="/insights/leadership/"' in get(client, "/surveys/reports/").content.decode()


def test_a_supervisor_reads_the_page(client, city, supervisor):
    client.force_login(supervisor)
    response = get(client, MARCH)
    assert response.status_code == 200
    page = response.content.decode()
    for table in (
        "leadership-summary",
        "leadership-channels",
        "leadership-departments",
        "leadership-services",
        "leadership-neighborhoods",
        "leadership-backlog",
    ):
        assert f'id="{table}"' in page
    assert "Operations leadership report, March 2026" in page and jurisdiction_name(city) in page
    assert "Figures as of April 15, 2026" in page  # in the city's zone
    assert 'href="/insights/leadership/month/2026-02/"' in page and 'href="/insights/leadership/month/2026-04/"' in page
    assert 'href="/surveys/reports/month/2026-03/"' in page
    assert 'href="/insights/leadership/month/2026-03/report.pdf"' in page
    assert "Your departments" not in page
    # Sanitation filed nothing in March but has requests open now; its service, Dumping, is no top service.
    assert "Streets" in page and "Sanitation" in page and "Dumping" not in page


def jurisdiction_name(city: dict[str, Any]) -> str:
    return str(city["pothole"].jurisdiction.name)


def test_the_csv(client, city, supervisor):
    client.force_login(supervisor)
    response = get(client, "/insights/leadership/quarter/2026-Q1/report.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="leadership-2026-Q1.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert all(row[0] for row in rows)  # every row names its table
    tables = [row[1:] for row in rows if row[0] == "table"]
    assert len(tables) == 7  # report, summary, channel, department, service, neighborhood, backlog
    section = {(row[0], row[1]): row[2:] for row in rows if row[0] != "table"}
    assert section[("summary", "filed")] == ["3", "1", "1", "200.0", "percent"]
    assert section[("summary", "closed")] == ["3", "1", "1", "200.0", "percent"]
    assert section[("summary", "completion_rate")] == ["100.0", "100.0", "100.0", "0.0", "points"]
    assert section[("summary", "on_time")] == ["66.7", "100.0", "100.0", "-33.3", "points"]
    assert section[("channel", "web")] == ["Web", "3", "100.0"]
    sanitation = str(city["dumping"].department_id)
    assert section[("department", sanitation)] == [
        "Sanitation",
        "2",
        "2",
        "100.0",
        "50.0",
        *section_hours(rows),
        "0",
        "2",
        "2",
    ]
    assert section[("service", str(city["pothole"].pk))][:3] == ["Pothole", "1", "100.0"]
    assert section[("service", str(city["pothole"].pk))][-1] == "1"
    assert [row for row in rows if row[0] == "backlog"] == [["backlog", "5", "3", "2", "2", "0", "1"]]
    [report_row] = [row for row in rows if row[0] == "report"]
    assert report_row[2:8] == ["quarter", "2026-Q1", "2026-01-01", "2026-03-31", "2025-Q4", "2025-Q1"]


def section_hours(rows: list[list[str]]) -> list[str]:
    """Sanitation's median and 90th percentile, in hours: g in 49 h and c in 36 days, so the median (1 of
    2) is at 3 days, the threshold g is within; the 90th percentile (1.8 of 2) between 30 days and 60."""
    return ["72.0", str(round(720 + 720 * 0.8, 1))]


def test_the_pdf(client, city, supervisor):
    client.force_login(supervisor)
    response = get(client, "/insights/leadership/month/2026-03/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="leadership-2026-03.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "March 2026" in text and "Streets" in text


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, read by poppler's pdftotext (bin/test installs it with Chromium)."""
    done = subprocess.run(["/usr/bin/pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def test_a_department_manager_sees_only_their_departments(client, city):
    manager = staff_in_role(StaffRole.DEPARTMENT_MANAGER, city["pothole"].department, username="manny")
    client.force_login(manager)
    response = get(client, Q1)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="leadership-scope"' in page and "Your departments: Streets" in page
    assert "Pothole" in page and "Dumping" not in page and "Sanitation" not in page
    assert response.context["report"].this.filed == 1
    rows = list(csv.reader(io.StringIO(get(client, Q1 + "report.csv").content.decode())))
    assert not any("Dumping" in row or "Sanitation" in row for row in rows)
    assert [row for row in rows if row[0] == "backlog"] == [["backlog", "3", "1", "2", "1", "0", "0"]]


@pytest.mark.parametrize("path", [MARCH, MARCH + "report.pdf", MARCH + "report.csv", "/insights/leadership/"])
def test_an_agent_is_refused(client, city, path):
    client.force_login(staff_in_role(StaffRole.AGENT))
    assert get(client, path).status_code == 403


@pytest.mark.parametrize("role", [StaffRole.DEPARTMENT_STAFF, StaffRole.SURVEYOR, StaffRole.COMMUNITY_STAFF])
def test_other_roles_are_refused(client, city, role):
    client.force_login(staff_in_role(role))
    assert get(client, MARCH).status_code == 403


def test_a_stranger_is_sent_to_sign_in(client, city):
    response = get(client, MARCH)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/insights/leadership/week/2026-03/",
        "/insights/leadership/month/2026-13/",
        "/insights/leadership/month/2026-Q1/",
        "/insights/leadership/quarter/2026-Q5/",
        "/insights/leadership/month/2026-05/",  # not begun
        "/insights/leadership/month/2026-05/report.csv",
        "/insights/leadership/quarter/2026-Q3/report.pdf",
    ],
)
def test_a_bad_period_is_not_found(client, city, supervisor, path):
    client.force_login(supervisor)
    assert get(client, path).status_code == 404


def test_the_page_in_spanish(client, city, supervisor):
    client.force_login(supervisor)
    response = get(client, MARCH, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Resumen" in page and "Por canal" in page and "Descargar PDF" in page
    assert "marzo de 2026" in page


def test_the_same_pdf_is_laid_out_once_until_its_figures_change(client, city, supervisor, monkeypatch):
    from django.core.cache import cache

    from civic311.insights import leadership_views
    from civic311.pdf import render_pdf

    cache.clear()
    laid_out = []

    def counting(html: str) -> bytes:
        laid_out.append(html)
        return render_pdf(html)

    monkeypatch.setattr(leadership_views, "render_pdf", counting)
    client.force_login(supervisor)
    first = get(client, MARCH + "report.pdf").content
    assert get(client, MARCH + "report.pdf").content == first and len(laid_out) == 1
    filed_request(city["pothole"], now=at(2026, 3, 20, 9, 0), **CENTER)
    rollups.rebuild(city["pothole"].jurisdiction, now=NOW)
    get(client, MARCH + "report.pdf")
    assert len(laid_out) == 2  # new figures, a new document
