"""Leadership, a supervisor and an agent read the satisfaction results in Chromium, under the site's CSP:
the month's report and its PDF for leadership (no agent named), the supervisor's team's agents, an
agent's own results from the staff menu."""

from __future__ import annotations

import re

import pytest

from civic311.people.models import StaffRole

from ..factories import StaffFactory, with_role
from ..survey_helpers import Month
from .conftest import recording_page, sign_in

pytestmark = pytest.mark.browser

NOVEMBER = "/surveys/reports/month/2026-11/"


def test_leadership_reads_the_month_and_downloads_the_pdf(live_server, transactional_db, jurisdiction, chromium):
    Month(jurisdiction)
    leader = with_role(StaffFactory(username="lee"), StaffRole.LEADERSHIP)
    with recording_page(chromium, viewport={"width": 1280, "height": 1000}, accept_downloads=True) as page:
        sign_in(page, live_server, "/surveys/reports/", leader)
        assert page.get_by_role("link", name="Satisfaction reports").get_attribute("aria-current") == "page"
        assert page.get_by_role("heading", name="Monthly").is_visible()
        page.goto(f"{live_server.url}{NOVEMBER}")
        assert page.get_by_role("heading", name="Customer satisfaction, November 2026").is_visible()
        assert page.locator("#figure-completed").inner_text() == "6"
        assert page.locator("#figure-satisfied").inner_text() == "66.7 %"
        assert page.locator('#by-team tr[data-key=""] th').inner_text() == "No team"
        assert page.locator("#by-agent").count() == 0  # leadership coaches nobody
        assert "4 agents' results are not shown to you." in page.locator("main").inner_text()
        assert page.locator("#comments li").count() == 3
        with page.expect_download() as download:
            page.get_by_role("link", name="Download PDF").click()
        assert download.value.suggested_filename == "satisfaction-2026-11.pdf"
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        page.get_by_role("link", name="October 2026").click()
        page.wait_for_url(re.compile(r"/month/2026-10/$"))
        assert page.locator("#figure-completed").inner_text() == "1"
        assert page.csp_violations == []


def test_a_supervisor_coaches_their_team_and_an_agent_sees_their_own(
    live_server, transactional_db, jurisdiction, chromium
):
    month = Month(jurisdiction)
    with recording_page(chromium, viewport={"width": 1280, "height": 1000}) as page:
        sign_in(page, live_server, NOVEMBER, month.sue)
        rows = page.locator("#by-agent tbody th")
        assert rows.all_inner_texts() == ["Ann Agent", "Bob Agent"]
        page.goto(f"{live_server.url}/surveys/reports/")
        page.get_by_role("link", name="Ann Agent").click()
        page.wait_for_url(re.compile(r"/surveys/results/\d+/$"))
        assert page.get_by_role("heading", name=re.compile("Survey results of Ann Agent")).is_visible()
        assert page.csp_violations == []
    with recording_page(chromium, viewport={"width": 1280, "height": 1000}) as page:
        sign_in(page, live_server, "/console/", month.ann)
        page.get_by_role("link", name="My survey results").click()
        page.wait_for_url(re.compile(r"/surveys/results/\d+/$"))
        assert page.get_by_role("heading", name=re.compile("My survey results")).is_visible()
        assert page.get_by_role("link", name="Satisfaction reports").count() == 0  # not an agent's page
        refused = page.goto(f"{live_server.url}/surveys/results/{month.bob.pk}/")
        assert refused.status == 403 and "Great help" not in page.content()
        assert page.csp_violations == []
