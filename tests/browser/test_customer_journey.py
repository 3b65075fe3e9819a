"""An agent takes a call from a customer who called twice about the same problem this week: the caller panel
shows the journey with the moment that matters, and the agent opens the full timeline; under the site's
content security policy."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from civic311.people import services as people
from civic311.people.models import PersonalDataAccess, StaffRole
from civic311.service_requests.models import Channel, Contact

from ..factories import StaffFactory, with_role
from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser


@pytest.fixture
def repeat_caller(transactional_db, jurisdiction, service):
    agent = with_role(StaffFactory(username="alex", first_name="Alex", last_name="Agent"), StaffRole.AGENT)
    caller = people.create_customer(
        jurisdiction, first_name="Rosa", last_name="Marquez", phones=["215-555-0100"], actor=None
    )
    now = timezone.now()
    for days_ago in (5, 2):
        started = now - dt.timedelta(days=days_ago)
        Contact.objects.create(
            jurisdiction=jurisdiction,
            channel=Channel.PHONE,
            outcome=Contact.Outcome.INFORMATION,
            service=service,
            customer=caller,
            started_at=started,
            ended_at=started + dt.timedelta(minutes=3),
        )
    return agent, caller


def test_an_agent_sees_the_moments_and_opens_the_timeline(live_server, repeat_caller, chromium):
    agent, caller = repeat_caller
    with recording_page(chromium, viewport={"width": 1400, "height": 1000}) as page:
        page.goto(f"{live_server.url}/admin/login/?next=/console/")
        fill_sign_in(page, agent.username)
        arrive_at(page, live_server, "/console/")
        page.get_by_role("button", name=re.compile("^Phone")).click()
        page.wait_for_url(re.compile(r"/console/contact/\d+/"), wait_until="load")
        page.locator("#caller-search").fill("215 555 0100")
        page.locator("#caller-results button", has_text="Rosa Marquez").click()
        page.locator("#customer-card").get_by_text("Rosa Marquez").wait_for()

        journey = page.locator("#customer-journey")
        journey.get_by_text("Repeat contact within 7 days").first.wait_for()
        journey.get_by_role("link", name="Full timeline").click()
        page.wait_for_url(re.compile(rf"/console/customers/{caller.pk}/journey/$"), wait_until="load")
        page.get_by_role("heading", name="Journey of Rosa Marquez").wait_for()
        rows = page.locator("#journey-timeline tbody tr")
        assert rows.count() == 2
        assert "Repeat contact within 7 days" in rows.nth(1).inner_text()
    assert page.csp_violations == []
    assert PersonalDataAccess.objects.filter(customer=caller, where="journey").count() == 1
