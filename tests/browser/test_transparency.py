"""A resident opens the city's transparency dashboard from the home page (issue 20): the tables are there
with and without JavaScript, and nothing is wider than a phone."""

from __future__ import annotations

import re

import pytest

from civic311.community.services import rollups
from civic311.service_requests import services
from tests.factories import filed_request

from .conftest import recording_page

pytestmark = pytest.mark.browser


def test_the_dashboard_from_the_home_page_with_and_without_javascript(
    live_server, transactional_db, service, center_city, staff, chromium, phone_page, screenshot
):
    closed = filed_request(service, address="1400 John F Kennedy Blvd")
    services.change_status(closed, "closed", actor=staff, public_reason="Cleaned up.")
    filed_request(service, lat="39.9500", long="-75.1600")
    filed_request(service, lat="40.1000", long="-75.0000")  # in no neighborhood
    filed_request(service, is_private=True)
    rollups.rebuild(service.jurisdiction)
    page = phone_page

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="City performance").click()
    page.wait_for_url(re.compile(r"/transparency/$"))
    assert page.locator("h1").inner_text() == "How the city is doing"
    assert page.locator('[data-figure="filed"]').inner_text() == "3"
    assert page.locator('[data-figure="open"]').inner_text() == "2"
    assert page.locator("table[data-table=months] tbody tr").count() == 1
    assert page.locator("table[data-table=services] tbody tr").first.locator("th").inner_text() == "Illegal Dumping"
    place_rows = page.locator("table[data-table=neighborhoods] tbody tr")
    assert place_rows.count() == 2 and place_rows.last.inner_text().startswith("Outside any neighborhood")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.csp_violations == []
    screenshot("transparency-phone")

    page.get_by_role("link", name="Center City").click()
    page.wait_for_url(re.compile(r"/neighborhoods/center-city/$"))

    with recording_page(chromium, java_script_enabled=False, viewport={"width": 390, "height": 844}) as bare:
        bare.goto(f"{live_server.url}/transparency/")
        for table in ("months", "services", "neighborhoods", "ages"):
            assert bare.locator(f"table[data-table={table}]").is_visible()
        assert bare.evaluate("document.documentElement.scrollWidth") <= 390
        bare.locator("#id_transparency_neighborhood").select_option("center-city")
        bare.get_by_role("button", name="Show the figures").click()
        bare.wait_for_url(re.compile(r"neighborhood=center-city"))
        assert bare.locator('[data-figure="filed"]').inner_text() == "2"
