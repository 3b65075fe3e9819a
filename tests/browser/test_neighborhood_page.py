"""A resident opens their neighborhood's page from a request's track page, in English and in Spanish: the
figures, the list of requests (each to its track page) and the map drawn from map.json (issue 16)."""

from __future__ import annotations

import re

import pytest

from civic311.community.selectors import neighborhoods as selectors
from civic311.community.services import rollups
from civic311.service_requests import services
from tests.factories import filed_request

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_neighborhood_page_from_the_track_page(
    live_server, transactional_db, settings, service, center_city, staff, phone_page, screenshot, language
):
    # Tiles that cannot load (no test reaches the internet): the outline and the points still show.
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    selectors.forget_cached_figures()
    closed = filed_request(service, address="1400 John F Kennedy Blvd")
    services.change_status(closed, "closed", actor=staff, public_reason="Cleaned up.")
    still_open = filed_request(service, lat="39.9500", long="-75.1600")
    private = filed_request(service, is_private=True)
    rollups.rebuild(service.jurisdiction)
    page = phone_page

    page.goto(f"{live_server.url}/track/{still_open.tracking_number}/")
    if language == "es":
        page.locator("#language-select").select_option("es")
        page.get_by_role("button", name="Change language").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("link", name="Center City").click()
    page.wait_for_url(re.compile(r"/neighborhoods/center-city/$"))
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == "Center City"

    # The figures, from the rollups: two public requests this month, one of them open.
    assert page.locator('[data-figure="this-month"]').inner_text() == "2"
    assert page.locator('[data-figure="open"]').inner_text() == "1"
    # The list works on its own; each item leads to its track page; the private one is not there.
    items = page.locator("[data-request-list] li")
    assert items.count() == 2
    main = page.locator("main").inner_text()
    assert private.tracking_number not in main
    assert ("Cerrada" if language == "es" else "Closed") in main
    # The map appears (the script found Leaflet and map.json) with a point for each request with one.
    page.locator("#neighborhood-map .leaflet-interactive").first.wait_for()
    assert page.locator("#neighborhood-map path.leaflet-interactive").count() >= 3  # the outline and 2 points
    assert page.csp_violations == []
    screenshot(f"neighborhood-{language}")

    page.locator("[data-request-list] a").first.click()
    page.wait_for_url(re.compile(r"/track/\d+/$"))
