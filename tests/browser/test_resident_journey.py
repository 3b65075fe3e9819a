"""A resident reports illegal dumping on a phone, then follows it until the city closes it."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from civic311.service_requests import services
from civic311.service_requests.models import ServiceRequest

from .conftest import PHONE, ask_about_dumping

pytestmark = pytest.mark.browser


@pytest.fixture
def dumping(transactional_db, service, center_city, settings, live_server):
    # Tiles that cannot load: the map must still take a pin (and no test reaches the internet).
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    service.keywords = "dumping, trash, debris"
    service.description = "Trash or debris dumped on a street, sidewalk or lot."
    service.save()
    return ask_about_dumping(service)


def test_a_resident_reports_dumping_and_sees_it_closed(live_server, dumping, staff, phone_page, screenshot, tmp_path):
    page = phone_page
    photo = tmp_path / "pile.jpg"
    Image.new("RGB", (640, 480), (120, 90, 60)).save(photo, format="JPEG")

    # Home: search for the problem.
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text().startswith("Philadelphia 311")
    screenshot("home")
    page.get_by_label("What do you want to report?").fill("dumping")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/report/\?q=dumping"))
    page.get_by_role("link", name="Illegal Dumping").click()
    page.wait_for_url(re.compile(r"/report/SR-ST02/$"))

    # The form: the map is there with JavaScript and a tap fills in the point, even without tiles.
    map_element = page.locator("#report-map.leaflet-container")
    map_element.wait_for(state="visible")
    page.locator(".leaflet-interactive").first.wait_for(state="attached")  # the neighborhoods are drawn
    map_element.click(position={"x": 150, "y": 120})
    assert re.fullmatch(r"-?\d+\.\d{6}", page.locator("#id_lat").input_value())
    assert re.fullmatch(r"-?\d+\.\d{6}", page.locator("#id_long").input_value())
    assert "Pin placed" in page.locator("#map-status").inner_text()
    screenshot("report-form")

    page.get_by_label("What was dumped?").fill("Old tires and a sofa")
    page.get_by_label("Large").check()
    page.get_by_label("Describe the problem").fill("A pile of tires on the sidewalk by the bus stop.")
    assert "Characters left: 3,952" in page.locator("#id_description-counter").inner_text()
    page.get_by_label("Street address").fill("1400 John F Kennedy Blvd")
    page.get_by_label("Latitude").fill("39.9526")
    page.get_by_label("Longitude").fill("-75.1635")
    page.get_by_label("Add photos of the problem").set_input_files(str(photo))
    page.get_by_label("E-mail address").fill("pat@example.org")
    page.get_by_role("button", name="Send report").click()

    # The confirmation, with the tracking number.
    page.wait_for_url(re.compile(r"/report/done/\d+/$"))
    panel = page.locator(".confirmation-panel").inner_text()
    found = re.search(r"Your tracking number is\s+(\d+)", panel)
    assert found, panel
    number = found.group(1)
    service_request = ServiceRequest.objects.get(tracking_number=number)
    assert service_request.attributes == {"what": "Old tires and a sofa", "size": "large"}
    assert (service_request.lat, service_request.long) == (39.9526, -75.1635)
    assert service_request.photos.count() == 1
    assert "pat@example.org" not in page.content()
    screenshot("confirmation")

    # The city fixes it.
    services.change_status(service_request, "closed", actor=staff, public_reason="Repair Completed")

    # The resident comes back and tracks it from the home page.
    page.goto(f"{live_server.url}/")
    page.get_by_label("Tracking number").fill(number)
    page.get_by_role("button", name="Track", exact=True).click()
    page.wait_for_url(re.compile(rf"/track/{number}/$"))
    status = page.locator(".status-panel").inner_text()
    assert "Closed" in status and "Repair Completed" in status
    assert page.locator(".photo-list img").count() == 1
    history = page.locator(".history").inner_text()
    assert "Status changed to Closed" in history and "City staff" in history
    assert staff.get_full_name() not in page.content()
    screenshot("track")

    assert page.csp_violations == []


def test_the_report_form_works_without_javascript(live_server, dumping, chromium):
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/report/SR-ST02/")
        assert page.locator("[data-map]").is_hidden()
        page.get_by_label("What was dumped?").fill("Tires")
        page.get_by_label("Small").check()
        page.get_by_label("Street address").fill("1400 John F Kennedy Blvd")
        page.get_by_label("Neighborhood").select_option("center-city")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(re.compile(r"/report/done/\d+/$"))
        assert "Your tracking number is" in page.locator("main").inner_text()

        # An error comes back in the page, next to its field, without any script.
        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.get_by_role("button", name="Send report").click()
        assert page.locator("#error-summary").is_visible()
        assert "is required" in page.locator("#id_attribute_what-error").inner_text()
        assert "Tell us where the problem is" in page.locator("#id_location-error").inner_text()
    finally:
        context.close()
