"""A staff member who gets the password wrong too often is told, on the sign-in page, that signing in is
paused and for how long; the right password does not get in until then."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from civic311.people.models import SignInEvent

from .conftest import fill_sign_in, recording_page

pytestmark = pytest.mark.browser


def test_too_many_wrong_passwords_pause_signing_in_with_a_clear_message(
    live_server, transactional_db, staff, chromium, tmp_path
):
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        page.goto(f"{live_server.url}/admin/login/")
        for _ in range(5):
            fill_sign_in(page, staff.username, "not the password")
            page.locator("#sign-in-errors").wait_for()
        fill_sign_in(page, staff.username)  # the right one, too late
        alert = page.locator("#sign-in-errors")
        alert.get_by_text("Too many failed sign-in attempts").wait_for()
        assert "Try again in 15 minutes" in alert.inner_text()
        folder = Path(os.environ.get("CIVIC311_SCREENSHOTS") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "sign-in-paused.png"), full_page=True)
        assert "/admin/login/" in page.url
    assert SignInEvent.objects.filter(user=staff, outcome=SignInEvent.Outcome.LOCKED_OUT).count() == 1
    assert page.csp_violations == []
