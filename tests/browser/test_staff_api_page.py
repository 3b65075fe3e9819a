"""A developer of a staff tool signs in and tries the staff API on its interactive page, under the site's
content security policy (everything served from our own origin: no CDN, no inline script)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser


def test_a_developer_tries_the_staff_api_on_its_interactive_page(
    live_server, transactional_db, department, staff, chromium
):
    staff.user_permissions.add(Permission.objects.get(codename="view_department"))
    fetched_elsewhere: list[str] = []
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        page.on(
            "request",
            lambda request: (
                fetched_elsewhere.append(request.url) if not request.url.startswith(live_server.url) else None
            ),
        )
        page.goto(f"{live_server.url}/admin/login/?next=/api/docs/")
        fill_sign_in(page, staff.username)
        arrive_at(page, live_server, "/api/docs/")

        page.locator(".swagger-ui .info .title").wait_for()
        assert "civic311 staff API" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".opblock").count() >= 8

        departments = page.locator(".opblock", has=page.locator("[data-path='/api/v1/departments/']")).first
        departments.locator(".opblock-summary").click()
        departments.get_by_role("button", name="Try it out").click()
        departments.get_by_role("button", name="Execute").click()
        response = departments.locator(".live-responses-table .response .response-col_status").first
        response.wait_for()
        assert response.inner_text().strip().startswith("200")
        assert "Streets Department" in departments.locator(".live-responses-table .microlight").first.inner_text()
    assert page.csp_violations == []
    assert fetched_elsewhere == []
