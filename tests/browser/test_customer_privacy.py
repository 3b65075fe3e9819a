"""A supervisor hands a resident their data and then erases them, from the customer's page in the admin."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from civic311.people.models import Customer, PersonalDataAccess, StaffRole

from ..factories import staff_in_role
from ..test_privacy import customer_for, file_and_close
from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser


def test_a_supervisor_exports_then_erases_a_customer(
    live_server, transactional_db, service, jurisdiction, chromium, tmp_path
):
    person = customer_for(file_and_close(service), jurisdiction)
    supervisor = staff_in_role(StaffRole.SUPERVISOR, username="sue")
    path = f"/admin/people/customer/{person.pk}/change/"
    folder = Path(os.environ.get("CIVIC311_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    with recording_page(chromium, viewport={"width": 1280, "height": 900}, accept_downloads=True) as page:
        page.goto(f"{live_server.url}/admin/login/?next={path}")
        fill_sign_in(page, supervisor.username)
        arrive_at(page, live_server, path)
        page.screenshot(path=str(folder / "customer-page-privacy.png"), full_page=True)

        with page.expect_download() as downloading:
            page.get_by_role("link", name="Export personal data").click()
        download = downloading.value
        assert download.suggested_filename.startswith(f"personal-data-customer-{person.pk}-")
        data = json.loads(Path(download.path()).read_text())
        assert data["customer"]["last_name"] == "Quartermaine" and len(data["requests"]) == 1

        page.get_by_role("link", name="Erase personal data…").click()
        page.wait_for_url(re.compile(rf"/privacy/customers/{person.pk}/erase/$"))
        page.screenshot(path=str(folder / "customer-erase-confirm.png"), full_page=True)
        page.get_by_role("button", name="Erase personal data").click()
        page.wait_for_url(re.compile(re.escape(path) + "$"))
        assert page.get_by_text("The customer's personal data was erased.").is_visible()
        assert page.get_by_role("link", name="Erase personal data…").count() == 0
        page.screenshot(path=str(folder / "customer-erased.png"), full_page=True)
    assert Customer.objects.get(pk=person.pk).anonymised_at is not None
    assert list(
        PersonalDataAccess.objects.filter(purpose__in=["export", "erase"])
        .order_by("at", "pk")
        .values_list("purpose", flat=True)
    ) == ["export", "erase"]
    assert page.csp_violations == []
