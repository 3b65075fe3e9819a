"""The "was it fixed?" e-mail survey in Chromium: residents open the link from the e-mail that was queued
when their request closed, answer "No" (the request reopens and the department is told) or "Yes" (a
response, once), with and without JavaScript; a tampered link gets the clear "bad link" page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from civic311.notifications.models import OutboundMessage
from civic311.people.models import StaffRole
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry
from civic311.surveys import fixed
from civic311.surveys.models import Response

from ..factories import StaffFactory, filed_request, with_role
from .conftest import PHONE, recording_page

pytestmark = pytest.mark.browser

COMMENT_LABEL = re.compile(r"^Your comment")
THANKS_REOPENED = "Thank you. The request is open again and the department has been told."


@pytest.fixture
def close_with_email(live_server, transactional_db, service, department):
    """Files a request with an e-mail address, closes it as department staff would, and returns the request
    with the survey link from the e-mail that the close queued, pointed at the live server."""
    worker = with_role(StaffFactory(username="worker"), StaffRole.DEPARTMENT_STAFF, department)

    def close(email: str):
        service_request = filed_request(service, email=email)
        requests_services.change_status(service_request, Status.CLOSED, actor=worker, public_reason="Issue Resolved")
        service_request.refresh_from_db()
        [message] = OutboundMessage.objects.filter(service_request=service_request, dedup_key__startswith="fixed:")
        assert message.recipient == email
        link = re.search(r"\S+/surveys/fixed/[^/\s]+/", message.body)
        assert link, message.body
        return service_request, live_server.url + urlsplit(link.group(0)).path

    return close


def told_the_department(service_request, department) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(
            service_request=service_request,
            recipient=department.contact_email,
            dedup_key__startswith="staff:not-fixed:",
        )
    )


def test_a_resident_answers_no_on_a_phone_and_the_request_reopens(close_with_email, department, phone_page):
    service_request, link = close_with_email("pat@example.org")
    page = phone_page

    page.goto(link)
    assert page.get_by_role("heading", name="Illegal Dumping", level=1).is_visible()
    assert page.get_by_text(f"Request {service_request.tracking_number}").is_visible()
    assert page.get_by_role("heading", name="Was the problem fixed?").is_visible()
    assert "Issue Resolved" in page.locator("main").inner_text()
    assert "pat@example.org" not in page.content()
    page.get_by_label(COMMENT_LABEL).fill("The mattresses are still on the sidewalk.")
    page.get_by_role("button", name="No, it was not fixed").click()

    page.get_by_role("status").filter(has_text=THANKS_REOPENED).wait_for()
    assert page.get_by_role("button", name="Yes, it was fixed").count() == 0

    service_request.refresh_from_db()
    assert service_request.status == Status.REOPENED and service_request.closed_at is None
    reopened = service_request.history.filter(kind=HistoryEntry.Kind.STATUS).last()
    assert reopened.to_status == Status.REOPENED and reopened.actor_label == "Resident"
    note = service_request.history.filter(kind=HistoryEntry.Kind.NOTE).last()
    assert not note.is_public and "The mattresses are still on the sidewalk." in note.text
    [response] = Response.objects.filter(service_request=service_request)
    assert {a.question.code: a.value for a in response.answers.all()} == {
        "fixed": False,
        "comment": "The mattresses are still on the sidewalk.",
    }
    [to_department] = told_the_department(service_request, department)
    assert service_request.tracking_number in to_department.subject
    assert "still on the sidewalk" in to_department.body

    assert page.csp_violations == []


def test_a_resident_answers_yes_once(close_with_email, department, phone_page):
    service_request, link = close_with_email("lee@example.org")
    page = phone_page

    page.goto(link)
    page.get_by_role("button", name="Yes, it was fixed").click()
    page.get_by_role("status").filter(has_text="Thank you for telling us.").wait_for()
    [response] = Response.objects.filter(service_request=service_request)
    assert response.channel == "email" and response.version.instrument.slug == fixed.SLUG
    assert {a.question.code: a.value for a in response.answers.all()} == {"fixed": True}
    service_request.refresh_from_db()
    assert service_request.status == Status.CLOSED and told_the_department(service_request, department) == []

    # The same link again (from the e-mail, later): already answered, nothing to submit.
    page.goto(link)
    page.get_by_role("status").filter(has_text="You have already answered this survey. Thank you.").wait_for()
    assert page.locator("form#fixed-survey").count() == 0
    assert page.get_by_role("button", name=re.compile("fixed")).count() == 0
    assert page.get_by_label(COMMENT_LABEL).count() == 0
    assert Response.objects.filter(service_request=service_request).count() == 1

    assert page.csp_violations == []


def test_the_survey_works_without_javascript(close_with_email, chromium):
    service_request, link = close_with_email("kim@example.org")
    with recording_page(chromium, java_script_enabled=False, viewport=PHONE) as page:
        page.goto(link)
        page.get_by_label(COMMENT_LABEL).fill("Half of the pile is still there.")
        page.get_by_role("button", name="No, it was not fixed").click()
        page.get_by_role("status").filter(has_text=THANKS_REOPENED).wait_for()
        assert page.csp_violations == []

    service_request.refresh_from_db()
    assert service_request.status == Status.REOPENED
    assert "Half of the pile is still there." in service_request.history.filter(kind=HistoryEntry.Kind.NOTE).last().text


def test_a_tampered_link_shows_the_bad_link_page(close_with_email, live_server, chromium):
    service_request, link = close_with_email("sam@example.org")
    token = link.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    with recording_page(chromium, viewport=PHONE) as page:
        answer = page.goto(f"{live_server.url}/surveys/fixed/{tampered}/")
        assert answer.status == 404
        assert page.get_by_role("heading", name="Was it fixed?").is_visible()
        assert "This link is not valid or has expired" in page.get_by_role("main").get_by_role("alert").inner_text()
        assert page.get_by_role("main").get_by_role("link", name="Report a problem").is_visible()
        assert page.locator("form#fixed-survey").count() == 0
        assert service_request.tracking_number not in page.content()
        assert page.csp_violations == []

    service_request.refresh_from_db()
    assert service_request.status == Status.CLOSED and not Response.objects.exists()
