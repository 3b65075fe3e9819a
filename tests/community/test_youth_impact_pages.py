"""The impact report's page, PDF and CSV: the hand-counted figures shown, no participant's name, age,
guardian or the site's address anywhere (the report may be shared with partners), the CSV safe against
formulas; open to community staff, leadership and admins (figures only), refused to everyone else."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from civic311.people.models import StaffRole
from tests.factories import StaffFactory, staff_in_role

from .helpers import engagement_staff, youth_impact_cohort
from .test_certificates import _drawn_text

NAMES = ("Maria", "Jamal", "Kevin", "Guardian1", "Rivera", "guardian1@example.org", "11 to 13", "11-13")
ADDRESS = "600 E Thompson St"


@pytest.fixture
def cohort(jurisdiction):
    return youth_impact_cohort(jurisdiction)[0]


def _urls(cohort):
    return {
        name: reverse(f"community:{name}", args=[cohort.slug])
        for name in ("youth_impact", "youth_impact_pdf", "youth_impact_csv")
    }


def test_the_page_shows_the_figures_and_no_names(client, cohort):
    client.force_login(engagement_staff())
    response = client.get(_urls(cohort)["youth_impact"])
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="impact-yes-no"' in html and "Do you know the Junior Block Captains?" in html
    # 2 of 7 (29 %) before, 5 of 6 (83 %) after, +55 points; paired 4 better, 1 worse of 6.
    for shown in ("29 %", "2 of 7", "83 %", "5 of 6", "55 points", "4 better, 1 worse of 6 pairs"):
        assert shown in html, shown
    assert 'width="29"' in html and 'width="83"' in html  # the bars
    assert "2.86" in html and "3.67" in html and "1.17 ± 0.98" in html  # the scale
    assert 'id="figure-participants">7<' in html and "5 of 5" in html and "3.4" in html
    assert "How to fix my block" in html  # an anonymous comment
    for absent in (*NAMES, ADDRESS):
        assert absent not in html, absent
    assert "style=" not in html.split('id="main"', 1)[-1]  # CSP: no inline styles (bars are SVG attributes)
    assert "<script>" not in html


def test_the_page_in_spanish(client, cohort):
    client.force_login(engagement_staff())
    response = client.get(_urls(cohort)["youth_impact"], HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200 and 'lang="es"' in response.content.decode()


def test_the_pdf(client, cohort):
    client.force_login(engagement_staff())
    response = client.get(_urls(cohort)["youth_impact_pdf"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="impact-{cohort.slug}.pdf"' in response["Content-Disposition"]
    drawn = "\n".join(_drawn_text(response.content))
    assert "Spring 2026 at Penn Treaty" in drawn and "Junior Block Captains" in drawn
    for absent in ("Maria", "Guardian1", ADDRESS):
        assert absent not in drawn


def test_the_csv_is_safe_and_has_no_names(client, cohort):
    client.force_login(staff_in_role(StaffRole.LEADERSHIP, username="boss"))
    response = client.get(_urls(cohort)["youth_impact_csv"])
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["section", "question", "text", "measure"]
    assert [
        "survey",
        "knows_jbc",
        "Do you know the Junior Block Captains?",
        "yes_percent",
        "28.6",
        "83.3",
        "54.8",
        "7",
        "6",
        "6",
        "",
    ] in rows
    [formula] = [row for row in rows if row[0] == "comment" and "HYPERLINK" in row[-1]]
    assert formula[-1].startswith("'=")  # defused: a spreadsheet shows it as text
    for absent in (*NAMES, ADDRESS):
        assert absent not in body, absent


def test_leadership_sees_the_report_but_not_the_certificates(client, cohort):
    client.force_login(staff_in_role(StaffRole.LEADERSHIP, username="boss"))
    page = client.get(_urls(cohort)["youth_impact"])
    assert page.status_code == 200
    assert reverse("community:youth_certificates", args=[cohort.slug]) not in page.content.decode()
    assert client.get(reverse("community:youth_certificates", args=[cohort.slug])).status_code == 403


def test_an_unknown_cohort_or_another_citys(client, cohort):
    from tests.factories import JurisdictionFactory

    client.force_login(engagement_staff())
    assert client.get(reverse("community:youth_impact", args=["nope"])).status_code == 404
    elsewhere = youth_impact_cohort(
        JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False),
        slug="elsewhere",
    )[0]
    assert client.get(reverse("community:youth_impact", args=[elsewhere.slug])).status_code == 404


@pytest.mark.parametrize("name", ["youth_impact", "youth_impact_pdf", "youth_impact_csv"])
def test_refused_to_everyone_else(client, cohort, name):
    url = _urls(cohort)[name]
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for user in (
        StaffFactory(username="resident", is_staff=False),
        staff_in_role(StaffRole.AGENT, username="agent"),
        staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew"),
        staff_in_role(StaffRole.SURVEYOR, username="surveyor"),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 403, user.username
