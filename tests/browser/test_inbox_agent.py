"""An agent works the inbox in Chromium: an e-mail becomes a request (a knowledge-base answer inserted into
the reply on the way), and a social media post becomes a request whose requester is the author's handle
only; under the site's content security policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civic311.inbox import services as inbox
from civic311.inbox.models import InboxItem, PostSource
from civic311.inbox.services import Incoming
from civic311.people.models import StaffRole
from civic311.service_requests.models import ServiceRequest

from ..factories import StaffFactory, with_role
from ..knowledge_helpers import editor, write_article
from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser
WIDE = {"width": 1400, "height": 1000}


@pytest.fixture
def agent(transactional_db):
    return with_role(StaffFactory(username="alex", first_name="Alex", last_name="Agent"), StaffRole.AGENT)


def _sign_in_to_inbox(page, live_server, agent) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/console/inbox/")
    fill_sign_in(page, agent.username)
    arrive_at(page, live_server, "/console/inbox/")


def _file_and_wrap_up(page) -> None:
    page.get_by_role("button", name=re.compile("^File the request")).click()
    page.get_by_text(re.compile(r"Request \S+ filed\.")).wait_for()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Finish the contact").click()
    page.locator("#finished").wait_for()
    page.get_by_text(re.compile(r"Contact finished\. Handle time")).wait_for()


def test_an_agent_works_an_email_into_a_request(live_server, agent, jurisdiction, center_city, service, chromium):
    write_article(
        jurisdiction,
        "bulk-trash",
        title="Dumped furniture",
        summary="Dumped furniture is collected within five business days of a report.",
        body="Dumped furniture is collected within five business days of a report.",
        actor=editor(),
        tags=["dumping"],
    )
    item = inbox.receive(
        jurisdiction,
        Incoming(
            channel="email",
            external_id="<sofa-1@example.org>",
            sender="rosa@example.org",
            sender_name="Rosa Marquez",
            subject="Sofa dumped on my corner",
            body="Someone left a sofa and two mattresses at 15th and Market.",
        ),
    ).item
    with recording_page(chromium, viewport=WIDE) as page:
        _sign_in_to_inbox(page, live_server, agent)
        page.get_by_role("link", name="Sofa dumped on my corner").click()
        page.get_by_role("button", name="Take this item").click()
        page.get_by_text("The item is yours").wait_for()

        # A knowledge-base answer goes into the reply with one click, and is sent.
        page.locator("#answer-search").fill("dumped furniture")
        insert = page.locator("#answer-results").get_by_role("button", name="Insert into reply").first
        insert.click()
        expect(page.locator("#reply-text")).to_have_value(re.compile("collected within five business days"))
        expect(page.locator("#reply-text")).to_be_focused()
        page.get_by_role("button", name="Send the reply").click()
        page.get_by_text("Reply queued to be sent.").wait_for()

        # File the request: the form starts from the e-mail.
        page.locator("#answer-search").fill("dumping")
        page.locator("#answer-results").get_by_role("link", name="File a request: Illegal Dumping").click()
        expect(page.locator("#id_description")).to_have_value(re.compile("a sofa and two mattresses"))
        expect(page.locator("#report-form #id_email")).to_have_value("rosa@example.org")
        page.get_by_label("Latitude").fill("39.95265")
        page.get_by_label("Longitude").fill("-75.16355")
        _file_and_wrap_up(page)
        expect(page.get_by_role("link", name="Back to the inbox").first).to_be_visible()
    assert page.csp_violations == []

    item.refresh_from_db()
    filed = ServiceRequest.objects.get()
    assert (item.status, item.service_request, item.first_response_at is not None) == ("done", filed, True)
    assert filed.channel == "email" and filed.requester is not None and filed.requester.email == "rosa@example.org"
    assert item.contact is not None
    contact = item.contact
    assert (contact.outcome, contact.ended_at is not None) == ("service_request", True)
    assert item.messages.filter(direction="out", automatic=False).count() == 1


def test_an_agent_works_a_post_into_a_request(live_server, agent, jurisdiction, center_city, service, chromium):
    source = PostSource.objects.create(
        jurisdiction=jurisdiction, name="City mentions", kind=PostSource.Kind.WEBHOOK, network="mastodon"
    )
    item = inbox.receive(
        jurisdiction,
        Incoming(
            channel="social",
            external_id="https://example.social/@ana/42",
            sender="@ana@example.social",
            sender_name="Ana",
            body="Illegal dumping again outside City Hall, a whole pile of tires",
            network="mastodon",
            link="https://example.social/@ana/42",
            lat=39.9526,
            long=-75.1635,
            source=source,
        ),
    ).item
    with recording_page(chromium, viewport=WIDE) as page:
        _sign_in_to_inbox(page, live_server, agent)
        row = page.locator(f'tr[data-item="{item.pk}"]')
        expect(row).to_contain_text("Social media")
        row.get_by_role("link").click()
        page.get_by_role("button", name="Take this item").click()
        page.get_by_text("The item is yours").wait_for()
        page.locator("#answer-search").fill("dumping")
        page.locator("#answer-results").get_by_role("link", name="File a request: Illegal Dumping").click()
        expect(page.locator("#id_lat")).to_have_value("39.9526")
        expect(page.locator("#id_long")).to_have_value("-75.1635")
        expect(page.locator("#report-requester")).to_contain_text("handle only")
        expect(page.locator("#report-form #id_email")).to_have_count(0)
        _file_and_wrap_up(page)
    assert page.csp_violations == []

    filed = ServiceRequest.objects.get()
    assert filed.channel == "social"
    requester = filed.requester
    assert requester is not None
    assert requester.handle == "mastodon:@ana@example.social"
    assert (requester.first_name, requester.last_name, requester.email, requester.phone) == ("", "", "", "")
    assert InboxItem.objects.get(pk=item.pk).service_request == filed
