"""A supervisor hands an inbox item to an agent, and the agent's open inbox list shows it as theirs without a
reload (the list polls for a new version) while the keyboard stays where it was; under the site's content
security policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civic311.inbox import services as inbox
from civic311.inbox.services import Incoming
from civic311.people.models import StaffRole

from ..factories import StaffFactory, with_role
from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser
WIDE = {"width": 1400, "height": 1000}


def _sign_in(page, live_server, user, path: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    fill_sign_in(page, user.username)
    arrive_at(page, live_server, path)


def test_a_supervisor_hands_an_item_to_an_agent_and_the_agents_list_updates(
    live_server, transactional_db, jurisdiction, chromium
):
    agent = with_role(StaffFactory(username="alex", first_name="Alex", last_name="Agent"), StaffRole.AGENT)
    supervisor = with_role(StaffFactory(username="sam", first_name="Sam", last_name="Supervisor"), StaffRole.SUPERVISOR)
    item = inbox.receive(
        jurisdiction,
        Incoming(
            channel="email",
            external_id="<lamp-1@example.org>",
            sender="lee@example.org",
            sender_name="Lee Park",
            subject="Street light out on Pine St",
            body="The street light in front of 400 Pine St has been out for a week.",
        ),
    ).item

    with recording_page(chromium, viewport=WIDE) as agent_page, recording_page(chromium, viewport=WIDE) as page:
        # The agent watches their inbox: the item is nobody's, and none is theirs.
        _sign_in(agent_page, live_server, agent, "/console/inbox/")
        row = agent_page.locator(f'tr[data-item="{item.pk}"]')
        expect(row.locator(".inbox-assignee")).to_contain_text("Nobody")
        expect(agent_page.locator('[data-count="mine"]')).to_have_text("0")
        link = agent_page.locator(f"#inbox-link-{item.pk}")
        link.focus()

        # The supervisor hands it to the agent from the item's page.
        _sign_in(page, live_server, supervisor, f"/console/inbox/{item.pk}/")
        page.get_by_label("Agent", exact=True).select_option(label="Alex Agent")
        page.get_by_role("button", name="Hand on").click()
        page.get_by_text("The item was handed on.").wait_for()
        expect(page.locator("#handling").get_by_label("Agent", exact=True)).to_have_value(str(agent.pk))

        # Without a reload, the agent's list shows it as theirs (and says so to a screen reader).
        expect(row.locator(".inbox-assignee")).to_contain_text("Alex Agent", timeout=20_000)
        expect(agent_page.locator('[data-count="mine"]')).to_have_text("1")
        expect(agent_page.locator("#inbox-results [role=status]")).to_have_text("The inbox was updated.")
        expect(link).to_be_focused()  # the update did not throw the keyboard back to the top of the page

        # The agent opens it: theirs, so the Take button is gone and they can give it back.
        agent_page.keyboard.press("Enter")
        expect(agent_page.get_by_text("Agent: Alex Agent")).to_be_visible()
        expect(agent_page.get_by_role("button", name="Give it back")).to_be_visible()
    assert page.csp_violations == [] and agent_page.csp_violations == []

    item.refresh_from_db()
    assert item.assigned_to == agent
