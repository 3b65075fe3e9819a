"""A resident gives the address on the report form: the city's addresses are offered as they type (an ARIA
combobox, used here with the keyboard), the one picked fills in its point, and the report is filed in its
neighborhood; a pin dropped with the address still empty names the nearest address; all under the site's
content security policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civic311.jurisdictions import geocoding
from civic311.service_requests.models import ServiceRequest

from .conftest import PHONE, recording_page

pytestmark = pytest.mark.browser

POINTS = [
    ("1400 John F Kennedy Blvd", 39.95360, -75.16360),
    ("1401 John F Kennedy Blvd", 39.95380, -75.16370),
    ("1500 Market St", 39.95290, -75.16540),
]


@pytest.fixture
def city(transactional_db, service, center_city, settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    geocoding.forget_cached_addresses()
    jurisdiction = service.jurisdiction
    geocoding.replace_address_points(jurisdiction, [geocoding.address_point(jurisdiction, *row) for row in POINTS])
    return jurisdiction


def test_a_resident_picks_a_suggested_address_with_the_keyboard_and_files(live_server, city, center_city, chromium):
    with recording_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        page.goto(f"{live_server.url}/report/SR-ST02/")
        address = page.get_by_role("combobox", name="Street address")
        assert address.get_attribute("aria-expanded") == "false"
        address.click()
        address.press_sequentially("1400 john", delay=40)
        listbox = page.get_by_role("listbox", name="Addresses that match")
        listbox.wait_for(state="visible")
        assert address.get_attribute("aria-expanded") == "true"
        assert address.get_attribute("aria-controls") == listbox.get_attribute("id")
        assert [option.inner_text() for option in listbox.get_by_role("option").all()] == ["1400 John F Kennedy Blvd"]

        page.keyboard.press("ArrowDown")
        option = listbox.get_by_role("option", name="1400 John F Kennedy Blvd")
        assert option.get_attribute("aria-selected") == "true"
        assert address.get_attribute("aria-activedescendant") == option.get_attribute("id")
        page.keyboard.press("Enter")  # picks the address; the report is not sent yet
        listbox.wait_for(state="hidden")
        assert address.get_attribute("aria-expanded") == "false"
        assert address.input_value() == "1400 John F Kennedy Blvd"
        assert page.get_by_label("Latitude").input_value() == "39.953600"
        assert page.get_by_label("Longitude").input_value() == "-75.163600"
        assert page.url.endswith("/report/SR-ST02/")

        # Escape closes a list that is open; the field keeps what was typed.
        address.fill("")
        address.press_sequentially("1500 mar", delay=40)
        listbox.wait_for(state="visible")
        page.keyboard.press("Escape")
        listbox.wait_for(state="hidden")
        assert address.input_value() == "1500 mar"
        address.fill("1400 John F Kennedy Blvd")

        page.get_by_label("Describe the problem").fill("Boxes of rubbish by the subway entrance")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(re.compile(r"/report/done/\d+/$"))
        filed = ServiceRequest.objects.get()
        assert (filed.address, filed.lat, filed.long) == ("1400 John F Kennedy Blvd", 39.9536, -75.1636)
        assert filed.neighborhood == center_city
        assert "could not place" not in page.content()
        assert page.csp_violations == []


def test_a_pin_dropped_with_no_address_names_the_nearest_one(live_server, city, chromium):
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.locator("#report-map.leaflet-container").wait_for(state="visible")
        # The map's script fills in the point without an event, as a tap on the map does.
        page.evaluate(
            "document.getElementById('id_lat').value = '39.952920';"
            "document.getElementById('id_long').value = '-75.165550';"
        )
        expect(page.get_by_label("Street address")).to_have_value("1500 Market St")
        # Never over what the resident wrote: a new pin leaves the address alone.
        page.evaluate("document.getElementById('id_lat').value = '39.953600';")
        page.wait_for_timeout(1500)
        assert page.get_by_label("Street address").input_value() == "1500 Market St"
        assert page.csp_violations == []


def test_without_javascript_a_typed_address_is_placed_or_taken_as_it_is(live_server, city, center_city, chromium):
    with recording_page(chromium, java_script_enabled=False, viewport=PHONE) as page:
        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.get_by_label("Street address").fill("1500 Market Street")
        page.get_by_label("Describe the problem").fill("A fridge on the corner")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(re.compile(r"/report/done/\d+/$"))
        assert ServiceRequest.objects.get().neighborhood == center_city

        page.goto(f"{live_server.url}/report/SR-ST02/")
        page.get_by_label("Street address").fill("99 Nowhere Lane")
        page.get_by_label("Describe the problem").fill("A fridge on another corner")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(re.compile(r"/report/done/\d+/$"))
        assert "We could not place this address on the map; the city will find it." in page.content()
        assert ServiceRequest.objects.filter(address="99 Nowhere Lane", lat__isnull=True).count() == 1
