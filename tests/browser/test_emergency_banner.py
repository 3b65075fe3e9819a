"""A supervisor declares a snow emergency on the staff page; a resident's home page then shows its banner
and pinned answer, in English and in Spanish; both under the site's content security policy."""

from __future__ import annotations

import re

import pytest

from civic311.emergencies.models import Emergency
from civic311.people.models import StaffRole
from civic311.social.models import OutboundPost

from ..factories import StaffFactory, with_role
from ..knowledge_helpers import make_article
from .conftest import PHONE, arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser


@pytest.fixture
def city(transactional_db, jurisdiction, settings, tmp_path):
    settings.CIVIC311_SOCIAL_FILE = str(tmp_path / "social-outbox.jsonl")
    settings.CIVIC311_SOCIAL_ACCOUNTS = {"x": "@philly311"}
    supervisor = with_role(StaffFactory(username="sam", first_name="Sam", last_name="Supervisor"), StaffRole.SUPERVISOR)
    make_article(
        jurisdiction,
        "snow-emergency-parking",
        "Where to park in a snow emergency",
        "Dónde estacionar en una emergencia de nieve",
    )
    return supervisor


def test_a_supervisor_declares_a_snow_emergency_and_residents_see_it(live_server, city, chromium):
    with recording_page(chromium, viewport={"width": 1280, "height": 1000}) as page:
        page.goto(f"{live_server.url}/admin/login/?next=/emergencies/")
        fill_sign_in(page, city.username)
        arrive_at(page, live_server, "/emergencies/")
        assert page.get_by_text("No emergency is running or coming.").is_visible()

        page.get_by_label("Kind").select_option("snow")
        page.get_by_label("Title (English)").fill("Snow emergency")
        page.get_by_label("Banner text (English)").fill("Move your car off snow emergency routes by 6 pm.")
        page.get_by_label("Title (Spanish)").fill("Emergencia de nieve")
        page.get_by_label("Banner text (Spanish)").fill("Retire su auto de las rutas de nieve antes de las 6 pm.")
        page.get_by_label("Agent script (English)").fill("Ask where the caller parked.")
        page.get_by_label("Coordinated message").fill("Snow emergency: move cars off snow routes by 6 pm.")
        page.get_by_label("Where to park in a snow emergency").check()
        page.get_by_label(re.compile("^Surge")).check()
        page.get_by_role("button", name="Declare the emergency").click()
        arrive_at(page, live_server, "/emergencies/")
        page.get_by_text("Emergency “Snow emergency” declared.").wait_for()
        assert page.locator("#current-emergencies").get_by_text("Running").is_visible()
        staff_violations = list(page.csp_violations)

    emergency = Emergency.objects.get()
    assert emergency.surge and emergency.message_queued_at is not None
    assert OutboundPost.objects.filter(network="x").count() == 1

    with recording_page(chromium, viewport=PHONE, is_mobile=True) as page:
        page.goto(f"{live_server.url}/")
        banner = page.get_by_role("alert")
        assert "Move your car off snow emergency routes by 6 pm." in banner.inner_text()
        link = banner.get_by_role("link", name="Where to park in a snow emergency")
        assert link.get_attribute("href") == "/help/snow-emergency-parking/"

        page.locator("#language-select").select_option("es")
        page.get_by_role("button", name="Change language").click()
        page.wait_for_load_state("load")
        banner = page.get_by_role("alert")
        assert "Emergencia de nieve" in banner.inner_text()
        assert "Retire su auto de las rutas de nieve" in banner.inner_text()
        assert banner.get_by_role("link", name="Dónde estacionar en una emergencia de nieve").is_visible()
        assert page.csp_violations == [] and staff_violations == []
