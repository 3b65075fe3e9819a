"""A supervisor reads the operations dashboard: the charts (Chart.js, vendored) drawn under the site's CSP,
the same figures as tables, a filter applied through the form and kept by the CSV link, and the page no
wider than a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civic311.insights import operations_rollups
from civic311.people.models import StaffRole
from civic311.service_requests import services as requests

from ..factories import DepartmentFactory, ServiceFactory, StaffFactory, filed_request, with_role
from .conftest import recording_page, sign_in

pytestmark = [pytest.mark.browser]


def test_a_supervisor_reads_the_dashboard_and_filters_it(live_server, transactional_db, jurisdiction, chromium):
    supervisor = with_role(StaffFactory(username="sonia"), StaffRole.SUPERVISOR)
    streets = DepartmentFactory(jurisdiction=jurisdiction, name="Streets Department")
    water = DepartmentFactory(jurisdiction=jurisdiction, name="Water Department")
    pothole = ServiceFactory(jurisdiction=jurisdiction, department=streets, name="Pothole")
    leak = ServiceFactory(jurisdiction=jurisdiction, department=water, name="Water leak")
    now = timezone.now()
    for days_ago in range(1, 11):
        done = filed_request(pothole, now=now - dt.timedelta(days=days_ago, hours=2))
        if days_ago % 2:
            requests.change_status(
                done,
                "closed",
                actor=None,
                actor_label="crew",
                public_reason="Filled.",
                now=now - dt.timedelta(days=days_ago),
            )
    for days_ago in (3, 4, 5):
        filed_request(leak, now=now - dt.timedelta(days=days_ago))
    operations_rollups.rebuild(jurisdiction)

    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        sign_in(page, live_server, "/insights/operations/", supervisor)
        assert page.get_by_role("heading", name="Operations", exact=True).is_visible()
        assert page.locator('[data-figure="filed"]').inner_text() == "13"
        page.locator('#operations-time-chart[data-drawn="true"]').wait_for()
        page.locator('#operations-department-chart[data-drawn="true"]').wait_for()
        departments = page.locator("#operations-by-department tbody th").all_inner_texts()
        assert departments == ["Streets Department", "Water Department"]

        page.get_by_label("Department", exact=True).select_option(label="Water Department")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**department=*")
        assert page.locator('[data-figure="filed"]').inner_text() == "3"
        assert page.locator("#operations-by-service tbody th").all_inner_texts() == ["Water leak"]
        assert f"department={water.pk}" in (page.locator("#operations-csv").get_attribute("href") or "")
        assert page.csp_violations == []

    with recording_page(chromium, viewport={"width": 390, "height": 800}) as phone:
        sign_in(phone, live_server, "/insights/operations/", supervisor)
        phone.locator('#operations-time-chart[data-drawn="true"]').wait_for()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
