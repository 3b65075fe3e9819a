"""An administrator adds a choice to a question on the service's own admin page (nested inlines), under
the admin's content security policy."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from civic311.people.models import StaffRole

from ..factories import StaffFactory, select_attribute, with_role
from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser


def test_an_administrator_adds_a_choice_on_the_services_page(
    live_server, transactional_db, service, chromium, tmp_path
):
    attribute = select_attribute(service, "size", ["small", "large"])
    admin = with_role(StaffFactory(username="ada", is_superuser=True), StaffRole.ADMIN)
    path = f"/admin/catalogue/service/{service.pk}/change/"
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        page.goto(f"{live_server.url}/admin/login/?next={path}")
        fill_sign_in(page, admin.username)
        arrive_at(page, live_server, path)
        assert page.get_by_role("heading", name="Questions").is_visible()
        assert page.locator('input[name="attributes-0-values-0-key"]').input_value() in {"small", "large"}
        page.get_by_text("Add another Choice").first.click()
        page.locator('input[name="attributes-0-values-2-key"]').fill("huge")
        page.locator('input[name="attributes-0-values-2-name"]').fill("Huge")
        page.locator('input[name="attributes-0-values-2-order"]').fill("3")
        folder = Path(os.environ.get("CIVIC311_SCREENSHOTS") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "admin-service-page.png"), full_page=True)
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(re.compile(r"/admin/catalogue/service/$"))
    assert sorted(attribute.values.values_list("key", flat=True)) == ["huge", "large", "small"]
    assert page.csp_violations == []
