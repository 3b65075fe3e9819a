"""An agent gives the place on the console's report form: the city's addresses are offered as they type (the
public form's ARIA combobox, used here with the keyboard), the one picked fills in its point and the map's pin
shows it, and the request is filed in its neighborhood; a pin dropped on the map with the address empty names
the nearest address. All under the site's content security policy, with no accessibility violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civic311.console import services
from civic311.jurisdictions import geocoding
from civic311.people.models import StaffRole
from civic311.service_requests.models import Contact, ServiceRequest

from ..factories import StaffFactory, with_role
from .conftest import axe_violations, recording_page, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1400, "height": 1000}
POINTS = [
    ("1400 John F Kennedy Blvd", 39.95360, -75.16360),
    ("1401 John F Kennedy Blvd", 39.95380, -75.16370),
    ("1500 Market St", 39.95290, -75.16540),
]


@pytest.fixture
def call(transactional_db, service, center_city, settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    geocoding.forget_cached_addresses()
    jurisdiction = service.jurisdiction
    geocoding.replace_address_points(jurisdiction, [geocoding.address_point(jurisdiction, *row) for row in POINTS])
    agent = with_role(StaffFactory(username="alex", first_name="Alex", last_name="Agent"), StaffRole.AGENT)
    contact = services.start_contact(jurisdiction, agent, "phone")
    yield agent, contact, f"/console/contact/{contact.pk}/?service={service.code}"
    geocoding.forget_cached_addresses()


def service_city(contact: Contact):
    return Contact.objects.select_related("jurisdiction").get(pk=contact.pk).jurisdiction


def test_an_agent_picks_a_suggested_address_with_the_keyboard_and_files(live_server, call, center_city, chromium):
    agent, contact, path = call
    with recording_page(chromium, viewport=DESKTOP) as page:
        sign_in(page, live_server, path, agent)
        page.get_by_role("heading", name=re.compile("File a request: Illegal Dumping")).wait_for()
        page.locator("#report-map.leaflet-container").wait_for(state="visible")

        address = page.get_by_role("combobox", name="Address")
        assert address.get_attribute("aria-expanded") == "false"
        address.focus()
        page.keyboard.type("1400 john", delay=40)
        listbox = page.get_by_role("listbox", name="Addresses that match")
        listbox.wait_for(state="visible")
        assert address.get_attribute("aria-expanded") == "true"
        assert address.get_attribute("aria-controls") == listbox.get_attribute("id")
        shown = [option.inner_text() for option in listbox.get_by_role("option").all()]
        assert shown == [row["address"] for row in geocoding.suggestion_rows(service_city(contact), "1400 john")]
        assert shown == ["1400 John F Kennedy Blvd"]
        # The list open, the page has no accessibility violation (a combobox with its listbox).
        assert axe_violations(page) == []

        page.keyboard.press("ArrowDown")
        option = listbox.get_by_role("option", name="1400 John F Kennedy Blvd")
        assert option.get_attribute("aria-selected") == "true"
        assert address.get_attribute("aria-activedescendant") == option.get_attribute("id")
        page.keyboard.press("Enter")  # picks the address; nothing is filed yet
        listbox.wait_for(state="hidden")
        assert address.input_value() == "1400 John F Kennedy Blvd"
        form = page.locator("#report-form")
        assert form.get_by_label("Latitude").input_value() == "39.953600"
        assert form.get_by_label("Longitude").input_value() == "-75.163600"
        expect(page.get_by_role("status").filter(has_text="Address chosen: 1400 John F Kennedy Blvd")).to_have_count(1)
        assert not ServiceRequest.objects.exists()

        # The map's pin stands on the chosen point.
        marker = page.locator("#report-map .leaflet-marker-icon")
        expect(marker).to_have_count(1)
        expect(marker).to_be_visible()
        map_box = page.locator("#report-map").bounding_box()
        pin_box = marker.bounding_box()
        assert map_box is not None and pin_box is not None
        pin_x = pin_box["x"] + pin_box["width"] / 2
        assert abs(pin_x - (map_box["x"] + map_box["width"] / 2)) < 3  # the map centred on the pin

        assert axe_violations(page) == []

        page.get_by_label("Description").fill("Boxes of rubbish by the subway entrance")
        page.get_by_role("button", name=re.compile("^File the request")).click()
        page.get_by_text(re.compile(r"Request \S+ filed\. Give the caller this tracking number\.")).wait_for()
        filed = ServiceRequest.objects.get()
        assert (filed.address, filed.lat, filed.long) == ("1400 John F Kennedy Blvd", 39.9536, -75.1636)
        assert filed.neighborhood == center_city
        assert Contact.objects.get(pk=contact.pk).service_request == filed
        assert page.csp_violations == []


def test_a_pin_dropped_on_the_map_names_the_nearest_address(live_server, call, chromium):
    agent, _contact, path = call
    with recording_page(chromium, viewport=DESKTOP) as page:
        sign_in(page, live_server, path, agent)
        form = page.locator("#report-form")
        page.locator("#report-map.leaflet-container").wait_for(state="visible")
        # Typed coordinates move the map there (as a customer record's point would).
        form.get_by_label("Latitude").fill("39.953600")
        form.get_by_label("Latitude").dispatch_event("change")
        form.get_by_label("Longitude").fill("-75.163600")
        form.get_by_label("Longitude").dispatch_event("change")
        page.get_by_label("Description").focus()
        expect(page.get_by_role("combobox", name="Address")).to_have_value("1400 John F Kennedy Blvd")

        # The agent empties the address and clicks the map a little east of the pin: the pin moves there and
        # the nearest address fills the empty field.
        address = page.get_by_role("combobox", name="Address")
        address.fill("")
        page.get_by_label("Description").focus()
        map_box = page.locator("#report-map").bounding_box()
        assert map_box is not None
        page.mouse.click(map_box["x"] + map_box["width"] / 2 + 30, map_box["y"] + map_box["height"] / 2)
        expect(address).to_have_value("1400 John F Kennedy Blvd")
        lat = float(form.get_by_label("Latitude").input_value())
        long = float(form.get_by_label("Longitude").input_value())
        assert abs(lat - 39.9536) < 0.0005 and -75.1636 < long < -75.1625
        expect(page.locator("#map-status")).to_contain_text("Pin placed")
        assert axe_violations(page) == []
        assert page.csp_violations == []


def test_without_javascript_the_plain_field_files_the_address(live_server, call, center_city, chromium):
    agent, _contact, path = call
    with recording_page(chromium, viewport=DESKTOP, java_script_enabled=False) as page:
        sign_in(page, live_server, path, agent)
        assert page.locator("#report-map").is_hidden()  # the map is only a help
        page.locator("#report-form").get_by_label("Address").fill("1500 Market Street")
        page.get_by_label("Description").fill("A fridge on the corner")
        page.get_by_role("button", name=re.compile("^File the request")).click()
        page.get_by_text(re.compile(r"Request \S+ filed\.")).wait_for()
        filed = ServiceRequest.objects.get()
        assert (filed.address, filed.lat, filed.long) == ("1500 Market St", 39.9529, -75.1654)
        assert filed.neighborhood == center_city
