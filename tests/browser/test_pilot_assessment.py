"""A pilot assessment in Chromium, end to end: community staff create a pilot with the default feedback form,
add the staff who use the technology, send the before phase; a participant answers from the link in the
e-mail (read from the outbox); the after phase is sent and answered; a focus group is recorded; the report
compares the phases, dimension by dimension."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from civic311.community.models import PilotAssessment, PilotInvitation
from civic311.notifications.models import OutboundMessage

from ..community.helpers import community_staff
from ..factories import StaffFactory
from .conftest import PHONE, recording_page, sign_in

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 1000}
DIMENSIONS = ("Productivity", "Processes and procedures", "Internal and external communication")


def _link_in_email(live_server, recipient: str, phase: str) -> str:
    """The participant's link from the invitation e-mail queued in the outbox, on the live server."""
    messages = [
        message
        for message in OutboundMessage.objects.filter(recipient=recipient).order_by("pk")
        if "/community/pilots/answer/" in message.body
    ]
    assert messages, f"no {phase} invitation for {recipient}"
    found = re.search(r"\S+/community/pilots/answer/[^/\s]+/", messages[-1].body)
    assert found, messages[-1].body
    return live_server.url + urlsplit(found.group(0)).path


def _answer(page, link: str, rating: str, comment: str) -> None:
    """Rate every dimension `rating` and comment on the first; send."""
    page.goto(link)
    for group in page.locator("#pilot-answer-form fieldset").all():
        radios = group.locator(".pilot-scale")
        if radios.count():
            radios.get_by_text(rating, exact=True).click()
    page.locator("#pilot-answer-form textarea").first.fill(comment)
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert page.locator("#pilot-answer-form").count() == 0  # answered: the form is gone


def test_a_pilot_from_creation_to_its_report(live_server, transactional_db, jurisdiction, department, chromium):
    staff = community_staff()
    rosa = StaffFactory(username="rosa", first_name="Rosa", last_name="Agent", department=department)
    kevin = StaffFactory(username="kevin", first_name="Kevin", last_name="Agent", department=department)
    today = dt.datetime.now(jurisdiction.zone).date()

    with recording_page(chromium, viewport=WIDE) as page:
        sign_in(page, live_server, "/community/", staff)
        page.get_by_role("link", name="Pilot assessments").first.click()
        page.get_by_role("link", name="New pilot assessment").click()
        page.get_by_label("Name", exact=True).fill("Knowledge base search in the agent console")
        page.get_by_label("Short name").fill("kb-search")
        page.get_by_label("Technology").fill("Knowledge base search")
        page.get_by_label("Goals").fill("Answers found during the call, fewer transfers.")
        page.get_by_label("First day").fill(today.isoformat())
        page.get_by_label("Last day").fill((today + dt.timedelta(days=60)).isoformat())
        page.get_by_role("button", name=re.compile("^Create the pilot")).click()
        page.wait_for_url(re.compile(r"/community/pilots/kb-search/$"))
        pilot = PilotAssessment.objects.get(slug="kb-search")
        assert pilot.form is not None

        page.goto(f"{live_server.url}/community/pilots/kb-search/participants/")
        page.get_by_label(re.compile("Rosa Agent")).check()
        page.get_by_label(re.compile("Kevin Agent")).check()
        page.get_by_role("button", name="Add the chosen").click()
        assert pilot.participants.count() == 2

        page.goto(f"{live_server.url}/community/pilots/kb-search/")
        page.locator("#send-before").click()
        page.wait_for_load_state()
        assert PilotInvitation.objects.filter(participant__assessment=pilot, phase="before").count() == 2
        assert page.csp_violations == []

    # Rosa answers from the e-mailed link on her phone.
    with recording_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as phone:
        _answer(phone, _link_in_email(live_server, rosa.email, "before"), "2", "Searching takes three screens.")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert phone.csp_violations == []

    with recording_page(chromium, viewport=WIDE) as page:
        sign_in(page, live_server, "/community/pilots/kb-search/", staff)
        page.locator("#send-after").click()
        page.wait_for_load_state()
        assert PilotInvitation.objects.filter(participant__assessment=pilot, phase="after").count() == 2
        answering = page.context.new_page()
        _answer(answering, _link_in_email(live_server, rosa.email, "after"), "4", "I find answers during the call.")
        answering.close()

        page.goto(f"{live_server.url}/community/pilots/kb-search/focus-groups/new/")
        page.get_by_label("Held on").fill(today.isoformat())
        page.get_by_label("After", exact=True).check()
        page.get_by_label("Facilitator").fill("Renee Castillo")
        page.get_by_label(re.compile("Rosa Agent")).check()
        page.get_by_label("Notes").fill("Search saves time; the results need better titles.")
        page.get_by_role("button", name="Record the focus group").click()
        page.wait_for_load_state()
        assert pilot.focus_groups.count() == 1

        page.goto(f"{live_server.url}/community/pilots/kb-search/report/")
        rates = page.locator("#report-rates").inner_text()
        assert re.search(r"Before\s+2\s+2\s+1\s+50\s*%", rates) and re.search(r"After\s+2\s+2\s+1\s+50\s*%", rates)
        dimensions = page.locator("#report-dimensions").inner_text()
        for name in DIMENSIONS:
            row = next(line for line in dimensions.splitlines() if line.startswith(name))
            assert re.search(r"2\.00\s+4\.00\s+1\s+1 \(100\s*%\)", row), row
        main = page.locator("main").inner_text()
        assert "Searching takes three screens." in main and "I find answers during the call." in main
        assert "Search saves time; the results need better titles." in main
        assert page.csp_violations == []
    assert not PilotInvitation.objects.filter(participant__user=kevin, response__isnull=False).exists()
