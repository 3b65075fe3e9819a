"""A resident loses signal in the middle of a report: it is kept on the phone and sent, once, when the signal
comes back."""

from __future__ import annotations

import re

import pytest

from civic311.service_requests.models import Channel, ServiceRequest

from .conftest import PHONE, recording_page

pytestmark = pytest.mark.browser


@pytest.fixture
def offline_page(chromium):
    with recording_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True, service_workers="allow") as page:
        yield page


@pytest.fixture
def report_service(transactional_db, service, center_city, settings, live_server):
    # Tiles that cannot load: no test reaches the internet.
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    return service


def _worker_in_control(page) -> None:
    page.wait_for_function("() => Boolean(navigator.serviceWorker && navigator.serviceWorker.controller)")


def test_a_report_sent_without_signal_is_kept_and_sent_once_back_online(live_server, report_service, offline_page):
    page = offline_page
    report_url = f"{live_server.url}/report/{report_service.code}/"

    # Opened from the installed app; the service worker installs and takes control (clients.claim()).
    page.goto(f"{live_server.url}/?source=app")
    _worker_in_control(page)
    page.goto(report_url)
    _worker_in_control(page)
    key = page.locator("input[name=idempotency_key]").input_value()
    assert re.fullmatch(r"[0-9a-f-]{36}", key)
    assert page.locator("input[name=source]").input_value() == "app"

    # The signal goes in the middle of the report.
    page.get_by_label("Describe the problem").fill("A pile of tires on the sidewalk by the bus stop.")
    page.context.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false")
    page.get_by_label("Street address").fill("1400 John F Kennedy Blvd")
    page.get_by_label("Latitude").fill("39.9526")
    page.get_by_label("Longitude").fill("-75.1635")
    page.get_by_role("button", name="Send report").last.click()

    status = page.get_by_role("status").filter(has_text="Saved on this device")
    status.wait_for(state="visible")
    assert "we will send it when you are back online" in status.inner_text()
    assert page.url == report_url  # nothing was sent: the resident is still on the form
    assert ServiceRequest.objects.count() == 0

    # Offline, a page the worker kept still opens; one it did not keep shows the offline page.
    page.goto(f"{live_server.url}/report/")
    assert page.locator("h1").inner_text() == "Report a problem"
    page.goto(f"{live_server.url}/help/")
    assert page.locator("h1").inner_text() == "You are offline"
    assert "Reports kept on this device, waiting to be sent: 1" in page.locator("[data-offline-drafts]").inner_text()
    assert ServiceRequest.objects.count() == 0

    # The signal comes back: the draft is sent with its key, and the resident sees the tracking number.
    page.context.set_offline(False)
    sent = page.get_by_role("status").filter(has_text="has been sent")
    sent.wait_for(state="visible", timeout=20_000)
    filed = ServiceRequest.objects.get()
    assert f"Its tracking number is {filed.tracking_number}" in sent.inner_text()
    assert filed.idempotency_key == key
    assert filed.channel == Channel.MOBILE
    assert filed.description == "A pile of tires on the sidewalk by the bus stop."

    # Every later page load finds no draft left: nothing is filed twice.
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert (
        page.evaluate(
            """() => new Promise((resolve) => {
            const opening = indexedDB.open("civic311-app", 1);
            opening.onsuccess = () => {
                const request = opening.result.transaction("drafts").objectStore("drafts").count();
                request.onsuccess = () => resolve(request.result);
            };
        })"""
        )
        == 0
    )
    assert ServiceRequest.objects.count() == 1
    assert page.csp_violations == []
