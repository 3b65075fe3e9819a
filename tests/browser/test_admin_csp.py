"""The admin runs under the site's content security policy, and its scripts and styles still work: the
request workflow's layout, a date picker and the two-list permission picker (the service page's nested
inlines are checked by test_service_page_admin.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from civic311.people.models import StaffRole

from ..csp_policy import is_the_policy
from ..factories import StaffFactory, filed_request, jpeg, with_role
from .conftest import recording_page, sign_in

pytestmark = pytest.mark.browser


def test_the_admin_works_under_the_content_security_policy(
    live_server, transactional_db, service, center_city, chromium, tmp_path
):
    admin = with_role(StaffFactory(username="ada", is_superuser=True), StaffRole.ADMIN)
    service_request = filed_request(service, photos=[jpeg()])
    folder = Path(os.environ.get("CIVIC311_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    change = reverse("admin:requests_servicerequest_change", args=[service_request.pk])
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        sign_in(page, live_server, change, admin)
        page.wait_for_load_state("load")
        response = page.request.get(f"{live_server.url}{change}")  # the same page, with the browser's cookies
        assert response.ok and is_the_policy(response.headers["content-security-policy"])
        # The workflow's styles come from a file: the status and note forms sit side by side.
        workflow = page.locator(".civic311-workflow")
        assert workflow.evaluate("element => getComputedStyle(element).display") == "flex"
        thumbnail = page.locator("img.civic311-photo-thumbnail")
        assert thumbnail.evaluate("element => getComputedStyle(element).maxWidth") == "160px"
        page.screenshot(path=str(folder / "admin-request-under-csp.png"), full_page=True)

        # A date field's calendar shortcut and the two-list picker are built by the admin's scripts.
        page.goto(f"{live_server.url}{reverse('admin:jurisdictions_holiday_add')}")
        assert page.get_by_role("link", name="Today").first.is_visible()
        page.goto(f"{live_server.url}{reverse('admin:auth_group_add')}")
        assert page.locator(".selector-chooseall").first.is_visible()
        page.screenshot(path=str(folder / "admin-group-under-csp.png"), full_page=True)
    assert page.csp_violations == []
