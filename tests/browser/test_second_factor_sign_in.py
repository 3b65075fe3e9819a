"""A staff member sets up an authenticator app, signs out, and signs in again with password and code,
under the site's content security policy."""

from __future__ import annotations

import re
import time

import pytest

from civic311.people import totp
from civic311.people.models import StaffTOTPDevice

from .conftest import fill_sign_in, recording_page

pytestmark = pytest.mark.browser


def test_a_staff_member_enrols_signs_out_and_signs_in_with_a_code(live_server, transactional_db, staff, chromium):
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        # Password only, as today.
        page.goto(f"{live_server.url}/admin/login/?next=/account/second-factor/")
        fill_sign_in(page, staff.username)
        page.wait_for_url(re.compile(r"/account/second-factor/$"))

        page.get_by_role("button", name="Set up an authenticator").click()
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        assert "otpauth://totp/civic311" in page.locator("#totp-uri").inner_text()
        assert page.get_by_role("img", name="QR code of the key for your authenticator app").is_visible()
        page.get_by_label("Code from the app").fill(totp.code_at(secret))
        page.get_by_role("button", name="Confirm").click()
        page.get_by_text("Your authenticator is set up").wait_for()
        assert StaffTOTPDevice.objects.get(user=staff).confirmed_at is not None

        page.goto(f"{live_server.url}/admin/")
        page.get_by_role("button", name="Log out").click()
        page.get_by_text("Logged out").first.wait_for()

        page.goto(f"{live_server.url}/admin/login/")
        fill_sign_in(page, staff.username)
        page.wait_for_url(re.compile(r"/admin/login/code/$"))
        # The code of the next step: the current one was used to confirm, and is never accepted twice.
        page.get_by_label("Code").fill(totp.code_at(secret, time.time() + 30))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(re.compile(r"/admin/$"))
        assert page.get_by_role("button", name="Log out").is_visible()
    assert page.csp_violations == []
