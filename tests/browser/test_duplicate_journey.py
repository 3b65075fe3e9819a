"""A resident about to report a pile already reported nearby: the form says so as they give the place and
the words, and they follow the existing request instead, or report anyway; without JavaScript, a button
asks the same."""

from __future__ import annotations

import re

import pytest

from civic311.notifications.models import Subscription
from civic311.service_requests.models import ServiceRequest
from tests.factories import filed_request

from .conftest import PHONE, recording_page

pytestmark = pytest.mark.browser

CITY_HALL = (39.9526, -75.1635)
FORTY_METRES_NORTH = ("39.952960", "-75.163500")


@pytest.fixture
def pile(transactional_db, service, center_city, settings, live_server):
    """An open dumping request at City Hall (and a private one beside it the public must never see)."""
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    filed_request(service, lat="39.9526", long="-75.1635", is_private=True, description="Private: at my house")
    return filed_request(service, lat="39.9526", long="-75.1635", description="Mattress and tires by the bus stop")


def panel_of(page):
    return page.locator("#possible-duplicates")


def test_the_form_offers_the_existing_request_and_the_resident_follows_it(live_server, pile, chromium, tmp_path):
    with recording_page(
        chromium,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 39.95296, "longitude": -75.1635},
        permissions=["geolocation"],
    ) as page:
        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.locator("#report-map.leaflet-container").wait_for(state="visible")
        # With JavaScript the check is live: the button that does it without is put away.
        assert page.get_by_role("button", name="Check for existing reports").is_hidden()
        assert panel_of(page).inner_text().strip() == ""

        # "Use my location" fills in the point by script: the panel comes.
        page.get_by_role("button", name="Use my location").click()
        card = page.locator(".duplicate-card")
        card.wait_for(state="visible")
        text = panel_of(page).inner_text()
        assert "Already reported? An open request like yours is nearby" in text
        assert "Someone reported this 40 m away, today." in text
        assert f"See request {pile.tracking_number}" in text
        assert "Mattress and tires" not in page.content() and "Private" not in page.content()
        assert page.locator(".duplicate-card").count() == 1  # the private one is never offered
        assert page.csp_violations == []
        page.screenshot(path=str(tmp_path / "duplicate-panel-phone.png"), full_page=True)

        # Words as they type keep it (the same problem).
        page.get_by_label("Describe the problem").fill("Old mattress and tires next to the bus stop")
        page.wait_for_timeout(1500)
        card.wait_for(state="visible")
        page.get_by_text("Follow it instead", exact=True).click()
        assert page.csp_violations == []

        # Follow it instead: the public follow, and nothing filed.
        page.get_by_label("Your e-mail address").fill("pat@example.org")
        page.get_by_role("button", name=f"Follow request {pile.tracking_number}").click()
        page.wait_for_url(re.compile(rf"/track/{pile.tracking_number}/#follow$"))
        assert "Check your e-mail" in page.locator("main").inner_text()
        assert Subscription.objects.get(service_request=pile).email == "pat@example.org"
        assert ServiceRequest.objects.count() == 2
        assert page.csp_violations == []


def test_report_anyway_puts_the_panel_away_and_sends(live_server, pile, chromium, tmp_path):
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.get_by_label("Latitude").fill(FORTY_METRES_NORTH[0])
        page.get_by_label("Longitude").fill(FORTY_METRES_NORTH[1])
        page.get_by_label("Longitude").press("Tab")  # the change asks
        page.locator(".duplicate-card").wait_for(state="visible")
        page.screenshot(path=str(tmp_path / "duplicate-panel-desktop.png"), full_page=True)

        page.get_by_role("link", name="Report anyway").click()
        page.locator("[data-duplicates-panel]").wait_for(state="hidden")
        assert page.evaluate("document.activeElement.id") == "id_photos"  # on to the photos, the next part
        assert page.url.endswith("/report/SR-ST02/")
        # Asked again (a new address): the request put away stays away.
        page.get_by_label("Street address").fill("1400 JFK Blvd")
        page.get_by_label("Street address").press("Tab")
        page.wait_for_timeout(1500)
        assert page.locator("[data-duplicates-panel]").is_hidden()

        page.get_by_label("Describe the problem").fill("Another pile, on the other corner")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(re.compile(r"/report/done/\d+/$"))
        assert ServiceRequest.objects.count() == 3
        assert page.csp_violations == []


def test_without_javascript_the_button_checks_and_files_nothing(live_server, pile, chromium):
    with recording_page(chromium, java_script_enabled=False, viewport=PHONE) as page:
        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.get_by_label("Describe the problem").fill("A mattress")
        page.get_by_label("Latitude").fill(FORTY_METRES_NORTH[0])
        page.get_by_label("Longitude").fill(FORTY_METRES_NORTH[1])
        page.get_by_role("button", name="Check for existing reports").click()
        page.wait_for_url(re.compile(r"/report/SR-ST02/#possible-duplicates$"))
        assert "Someone reported this 40 m away, today." in panel_of(page).inner_text()
        assert page.get_by_label("Describe the problem").input_value() == "A mattress"
        assert ServiceRequest.objects.count() == 2

        # Follow works without a script too (the follow form sits after the report form).
        page.get_by_text("Follow it instead", exact=True).click()
        page.get_by_label("Your e-mail address").fill("lee@example.org")
        page.get_by_label("Your e-mail address").press("Enter")
        page.wait_for_url(re.compile(rf"/track/{pile.tracking_number}/#follow$"))
        assert Subscription.objects.filter(email="lee@example.org").exists()

        # Report anyway: the form, sent as it is.
        page.go_back()
        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.get_by_label("Latitude").fill(FORTY_METRES_NORTH[0])
        page.get_by_label("Longitude").fill(FORTY_METRES_NORTH[1])
        page.get_by_role("button", name="Check for existing reports").click()
        page.get_by_role("link", name="Report anyway").click()
        page.wait_for_url(re.compile(r"#report-photos$"))
        page.get_by_label("Latitude").press("Enter")  # Enter sends the report, not the check
        page.wait_for_url(re.compile(r"/report/done/\d+/(#report-photos)?$"))
        assert ServiceRequest.objects.count() == 3
