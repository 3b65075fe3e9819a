"""A department worker works their queue in Chromium, under the site's content security policy: filters,
bulk-assigns to themself, answers from a response template, closes a request with a reason, and sees the
queue change live when a colleague changes a request."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest
from civic311.work.models import ResponseTemplate

from ..work_helpers import build_world
from .conftest import recording_page, sign_in

pytestmark = pytest.mark.browser


def _look(page, name: str) -> None:
    """A screenshot for a person to look at, when CIVIC311_SCREENSHOTS names a folder."""
    folder = os.environ.get("CIVIC311_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_department_worker_works_the_queue(live_server, transactional_db, chromium):
    world = build_world()
    first = world.file(world.pothole, description="Hole on Market St")
    second = world.file(world.pothole, description="Hole on Chestnut St")
    dumping = world.file(world.dumping, description="Sofa on the curb")
    world.file(world.leak, description="Not ours")
    ResponseTemplate.objects.create(
        jurisdiction=world.jurisdiction,
        department=world.streets,
        title="Crew scheduled",
        body="A crew is scheduled for #{tracking_number}.",
    )
    worker = world.streets_worker

    with recording_page(chromium, viewport={"width": 1280, "height": 1000}) as page:
        sign_in(page, live_server, "/work/", worker)
        assert page.get_by_role("heading", name="Department queues").is_visible()
        rows = page.locator("#queue-results tbody tr")
        assert rows.count() == 3  # the streets department's open requests, not the water leak
        _look(page, "work-queue")

        # Filter to potholes.
        page.locator("#id_service").select_option(label="Pothole")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"service="))
        assert rows.count() == 2

        # Tick both and assign them to me.
        page.get_by_label(f"Select request {first.tracking_number}").check()
        page.get_by_label(f"Select request {second.tracking_number}").check()
        page.locator("#id_bulk-action").select_option("assign")
        page.locator("#id_bulk-assignee").select_option(str(worker.pk))
        page.get_by_role("button", name="Apply to ticked requests").click()
        page.get_by_text("2 requests changed.").wait_for()
        assert set(ServiceRequest.objects.filter(assignee=worker).values_list("pk", flat=True)) == {first.pk, second.pk}
        assert "service=" in page.url  # back to the same filtered view

        # Open one and answer from the template.
        page.get_by_role("link", name=f"#{first.tracking_number}").click()
        page.wait_for_url(re.compile(rf"/work/request/{first.tracking_number}/"))
        page.locator("#id_template").select_option(label="Crew scheduled")
        expected = f"A crew is scheduled for #{first.tracking_number}."
        assert page.locator("#id_note-text").input_value() == expected
        assert page.locator("#id_note-public").is_checked()
        _look(page, "work-request")
        page.get_by_role("button", name="Add note").click()
        page.get_by_text("Note added.").wait_for()
        note = HistoryEntry.objects.get(service_request=first, kind=HistoryEntry.Kind.NOTE)
        assert note.is_public and note.text == expected
        assert page.locator("#request-live .work-history-text").get_by_text(expected, exact=True).is_visible()

        # Close it with a reason.
        page.locator("#id_status-to_status").select_option("closed")
        page.locator("#id_status-public_reason").fill("Repair Completed")
        page.get_by_role("button", name="Change status").click()
        page.get_by_text("Status changed.").wait_for()
        first.refresh_from_db()
        assert (first.status, first.status_notes) == (Status.CLOSED, "Repair Completed")

        # Back to the queue; a colleague puts the dumping request on hold and the list follows.
        page.get_by_role("link", name="Back to the queue").click()
        page.wait_for_url(re.compile(r"/work/$"))
        row = page.locator(f"tr[data-request='{dumping.tracking_number}'] .work-status")
        assert row.inner_text() == "New"
        requests.change_status(dumping, Status.ON_HOLD, actor=world.streets_colleague)
        page.wait_for_function(
            "number => document.querySelector(`tr[data-request='${number}'] .work-status`).textContent === 'On hold'",
            arg=dumping.tracking_number,
            timeout=25_000,
        )
        assert page.locator(f"tr[data-request='{first.tracking_number}']").count() == 0  # closed: not open work
    assert page.csp_violations == []
