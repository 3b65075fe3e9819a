"""An agent takes a phone call end to end, mostly with the keyboard: finds the caller, sees their history,
picks a service, sees that a neighbour already reported the problem, adds the caller to that request with
e-mail updates, and wraps up with survey consent; under the site's content security policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civic311.notifications.models import Subscription
from civic311.people import services as people
from civic311.people.models import PersonalDataAccess, StaffRole
from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

from ..factories import StaffFactory, filed_request, with_role
from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser


@pytest.fixture
def call_centre(transactional_db, jurisdiction, center_city, service):
    agent = with_role(StaffFactory(username="alex", first_name="Alex", last_name="Agent"), StaffRole.AGENT)
    caller = people.create_customer(
        jurisdiction,
        first_name="Rosa",
        last_name="Marquez",
        phones=["215-555-0100"],
        emails=["rosa@example.org"],
        addresses=["1400 John F Kennedy Blvd"],
        actor=None,
    )
    # Last month Rosa reported dumping elsewhere: her history.
    earlier = filed_request(service, lat="39.9600", long="-75.1500", first_name="Rosa", email="rosa@example.org")
    assert earlier.requester is not None
    people.link_requester(earlier.requester, caller, actor=None)
    # This morning a neighbour reported the pile at City Hall.
    reported = filed_request(service, lat="39.9526", long="-75.1635", description="A sofa and mattresses.")
    return agent, caller, earlier, reported


def test_an_agent_takes_a_phone_call_with_the_keyboard(live_server, call_centre, chromium):
    agent, caller, earlier, reported = call_centre
    with recording_page(chromium, viewport={"width": 1400, "height": 1000}) as page:
        page.goto(f"{live_server.url}/admin/login/?next=/console/")
        fill_sign_in(page, agent.username)
        arrive_at(page, live_server, "/console/")

        # The phone button has the focus: Enter starts the call.
        expect(page.get_by_role("button", name=re.compile("^Phone"))).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/console/contact/\d+/"), wait_until="load")
        expect(page.locator("[data-console-timer]")).to_have_text(re.compile(r"^\d+:\d\d$"))

        # The caller search has the focus; results arrive as the agent types.
        expect(page.locator("#caller-search")).to_be_focused()
        page.keyboard.type("215 555 0100")
        result = page.locator("#caller-results button", has_text="Rosa Marquez")
        result.wait_for()
        page.keyboard.press("Tab")  # the Find button
        page.keyboard.press("Tab")  # the first result
        assert "Rosa Marquez" in page.evaluate("document.activeElement.textContent")
        page.keyboard.press("Enter")
        page.locator("#customer-card").get_by_text("Rosa Marquez").wait_for()
        assert earlier.tracking_number in page.locator("#customer-history").inner_text()

        # The answer search has the focus now.
        expect(page.locator("#answer-search")).to_be_focused()
        page.keyboard.type("dumping")
        page.locator("#answer-results").get_by_role("link", name="File a request: Illegal Dumping").focus()
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=re.compile("File a request: Illegal Dumping")).wait_for()
        assert page.locator("#report-form #id_email").input_value() == "rosa@example.org"
        assert page.locator("#report-form #id_address").input_value() == "1400 John F Kennedy Blvd"

        # Where: a point at City Hall. Leaving the field refreshes the duplicate suggestions.
        page.get_by_label("Latitude").focus()
        page.keyboard.type("39.95265")
        page.keyboard.press("Tab")
        page.keyboard.type("-75.16355")
        page.keyboard.press("Tab")
        page.locator("#duplicates").get_by_text(reported.tracking_number, exact=True).wait_for()
        assert "m away" in page.locator("#duplicates").inner_text()

        # Rosa means that pile: add her to it, with e-mail updates.
        page.locator(f"#subscribe-{reported.pk}").focus()
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.value") == "rosa@example.org"
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.get_by_text(f"The caller was added to request {reported.tracking_number}.").wait_for()

        # Wrap-up: the consent question has the focus; the callback number is Rosa's.
        expect(page.get_by_label("Yes, they agree")).to_be_focused()
        page.keyboard.press("Space")
        page.keyboard.press("Tab")  # a radio group is one stop: on to the callback number
        assert page.evaluate("document.activeElement.value") == "(215) 555-0100"  # national format
        page.keyboard.press("Enter")
        page.locator("#handle-time").wait_for()
        assert page.get_by_text("Agreed to a survey call.").is_visible()
    assert page.csp_violations == []

    contact = Contact.objects.get(agent=agent)
    assert contact.ended_at is not None and contact.handle_seconds is not None
    assert (contact.channel, contact.outcome, contact.service_request_id, contact.customer_id) == (
        "phone",
        Contact.Outcome.EXISTING_REQUEST,
        reported.pk,
        caller.pk,
    )
    assert (contact.survey_consent, contact.callback_phone) == (True, "+12155550100")  # E.164
    assert ServiceRequest.objects.count() == 2  # nothing new filed
    assert reported.history.filter(kind=HistoryEntry.Kind.NOTE, text__contains="Another caller").exists()
    assert Subscription.objects.get(service_request=reported).email == "rosa@example.org"
    caller.refresh_from_db()
    assert caller.consent_survey
    assert PersonalDataAccess.objects.filter(user=agent, customer=caller, purpose="view", where="console").exists()


def test_a_call_that_drops_is_ended_as_hung_up(live_server, call_centre, chromium):
    agent, _caller, _earlier, _reported = call_centre
    with recording_page(chromium, viewport={"width": 1400, "height": 1000}) as page:
        page.goto(f"{live_server.url}/admin/login/?next=/console/")
        fill_sign_in(page, agent.username)
        arrive_at(page, live_server, "/console/")
        page.get_by_role("button", name=re.compile("^Phone")).click()
        page.wait_for_url(re.compile(r"/console/contact/\d+/"), wait_until="domcontentloaded")
        # The line goes dead before anything was decided: one click ends the contact, no fake outcome.
        page.get_by_role("button", name="Caller hung up").click()
        page.get_by_text("Contact ended: the caller hung up.").wait_for()
        page.locator("#handle-time").wait_for()
        expect(page.get_by_role("button", name="Caller hung up")).to_have_count(0)
        page.get_by_role("link", name="Console home").click()
        page.get_by_text("Of these, 1 caller hung up.").wait_for()
        assert page.locator("table").get_by_text("Caller hung up").is_visible()
    assert page.csp_violations == []
    contact = Contact.objects.get(agent=agent)
    assert (contact.outcome, contact.survey_consent) == (Contact.Outcome.HUNG_UP, None)
    assert contact.ended_at is not None
