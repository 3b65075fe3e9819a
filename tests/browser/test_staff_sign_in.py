"""Staff sign in on civic311's own page (not "Django administration"), land where they were going, and the
staff menu marks the page they are on, under the site's content security policy."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civic311.people.models import StaffRole

from ..factories import StaffFactory, with_role
from .conftest import fill_sign_in, recording_page

pytestmark = pytest.mark.browser


def test_a_supervisor_signs_in_on_civic311s_page_and_the_menu_follows(
    live_server, transactional_db, chromium, jurisdiction, tmp_path
):
    supervisor = with_role(StaffFactory(username="rosa"), StaffRole.SUPERVISOR)
    shots = Path(os.environ.get("CIVIC311_SCREENSHOTS") or tmp_path)
    with recording_page(chromium, viewport={"width": 1280, "height": 800}) as page:
        page.goto(f"{live_server.url}/surveys/reports/")
        page.wait_for_url(re.compile(r"/admin/login/\?next="))
        expect(page).to_have_title("Staff sign-in | civic311 staff")
        expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")
        assert "Django" not in page.content()
        page.screenshot(path=str(shots / "staff-sign-in.png"))

        fill_sign_in(page, supervisor.username, password="not the password")
        expect(page.locator("#sign-in-errors")).to_be_visible()
        expect(page.get_by_label("Username")).to_have_value("rosa")

        fill_sign_in(page, supervisor.username)
        page.wait_for_url(re.compile(r"/surveys/reports/$"))
        menu = page.get_by_role("navigation", name="Staff")
        expect(menu.locator("[aria-current=page]")).to_have_count(1)
        expect(menu.locator("[aria-current=page]")).to_have_text("Satisfaction reports")
        page.screenshot(path=str(shots / "staff-menu-reports.png"))

        menu.get_by_role("link", name="Surveys").click()
        page.wait_for_url(re.compile(r"/surveys/$"))
        expect(menu.locator("[aria-current=page]")).to_have_text("Surveys")

        menu.get_by_role("link", name="Reader board").click()
        page.wait_for_url(re.compile(r"/insights/board/$"))
        expect(menu.locator("[aria-current=page]")).to_have_text("Reader board")

        menu.get_by_role("link", name="Admin").click()
        page.wait_for_url(re.compile(r"/admin/$"))
        assert "Django" not in page.content()
        expect(page.locator("#site-name")).to_have_text("civic311 administration")
    assert page.csp_violations == []
