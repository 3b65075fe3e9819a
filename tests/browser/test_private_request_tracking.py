"""Someone tracks the number of a private request: they learn only that it exists and is private (issue 14)."""

from __future__ import annotations

import re

import pytest

from civic311.service_requests import services
from tests.factories import filed_request

pytestmark = pytest.mark.browser


def test_tracking_a_private_request_shows_only_that_it_is_private(
    live_server, transactional_db, service, staff, phone_page, screenshot
):
    private = filed_request(service, is_private=True, address="1234 Hidden Lane")
    services.change_status(private, "closed", actor=staff, public_reason="Spoke with the owner.")
    page = phone_page

    page.goto(f"{live_server.url}/track/")
    page.get_by_label("Tracking number").fill(private.tracking_number)
    page.get_by_role("button", name="Track").click()
    page.wait_for_url(re.compile(rf"/track/{private.tracking_number}/$"))

    assert page.locator("h1").inner_text() == "This request is private"
    main = page.locator("main").inner_text()
    assert private.tracking_number in main
    for secret in ("Illegal Dumping", "Spoke with the owner", "Closed", "1234 Hidden Lane", "History"):
        assert secret not in main, secret
    screenshot("track-private")
    page.get_by_role("link", name="Track another request").click()
    page.wait_for_url(re.compile(r"/track/$"))
