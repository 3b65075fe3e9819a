"""A department worker reads a request (its answers, its point on a map, before/after photos) and files a
follow-on for another department, whose questions appear when the service is picked; in Chromium, under
the site's content security policy (issue 14)."""

from __future__ import annotations

import re

import pytest

from civic311.catalogue.models import ServiceAttribute
from civic311.service_requests.models import ServiceRequest

from ..factories import ServiceAttributeFactory, select_attribute
from ..work_helpers import build_world
from .conftest import recording_page, sign_in

pytestmark = pytest.mark.browser


def test_a_worker_reads_the_request_and_files_a_follow_on_with_its_questions(
    live_server, transactional_db, chromium, settings, tmp_path
):
    settings.MAP_TILE_URL = ""  # no network in tests: the map without a base layer still shows the pin
    world = build_world()
    select_attribute(world.pothole, "surface", ["asphalt", "brick"], required=True)
    select_attribute(world.leak, "where_water", ["street", "sidewalk"], required=True)
    ServiceAttributeFactory(
        service=world.leak,
        code="gallons",
        datatype=ServiceAttribute.Datatype.NUMBER,
        description="Roughly how many gallons a minute?",
    )
    filed = world.file(world.pothole, answers={"surface": "brick"}, lat="39.9526", long="-75.1635")

    with recording_page(chromium, viewport={"width": 1280, "height": 1100}) as page:
        sign_in(page, live_server, f"/work/request/{filed.tracking_number}/", world.streets_worker)
        # The answer, by its choice's name; the point on a map with its marker.
        assert page.locator(".work-answer").inner_text() == "Brick"
        page.locator("#request-map .leaflet-marker-icon").wait_for()
        assert page.locator(".work-map-section").is_visible()

        # A follow-on for the Water Department: its questions appear when the service is picked.
        page.get_by_text("Follow-on request for another department").click()
        assert not page.locator(".work-follow-on-show").is_visible()  # htmx does it
        page.locator("#id_follow-service").select_option(label="Water Leak — Water Department")
        page.locator("#id_attribute_gallons").wait_for()
        page.screenshot(path=str(tmp_path / "request-page.png"), full_page=True)
        page.get_by_role("button", name="File follow-on request").click()
        # Nothing answered: the required question says so, next to itself.
        page.locator("#id_attribute_where_water-error").wait_for()
        assert not ServiceRequest.objects.filter(parent=filed).exists()
        page.get_by_label("Sidewalk").check()
        page.locator("#id_attribute_gallons").fill("2")
        page.locator("#id_follow-description").fill("Water bubbling up next to the hole.")
        page.get_by_role("button", name="File follow-on request").click()
        page.get_by_text(re.compile(r"Follow-on request #\d+ filed\.")).first.wait_for()
    assert page.csp_violations == []
    child = ServiceRequest.objects.get(parent=filed)
    assert (child.service, child.attributes) == (world.leak, {"where_water": "sidewalk", "gallons": "2"})
