"""WCAG 2.1 AA (issue 21): axe-core, every rule at every impact, under the site's real content-security policy,
on each page a resident reaches and each staff page, in English and in Arabic (right to left). The language is
chosen as a person chooses it: the language cookie the language form sets."""

from __future__ import annotations

import datetime as dt
from pprint import pformat

import pytest
from django.conf import settings
from django.utils import timezone

from civic311.community.services import rollups
from civic311.knowledge.models import Category
from civic311.service_requests.models import Channel, Contact
from tests.factories import StaffFactory, filed_request
from tests.knowledge_helpers import write_article

from .conftest import axe_violations, recording_page, sign_in

pytestmark = pytest.mark.browser

LANGUAGES = {"en": "ltr", "ar": "rtl"}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def city(transactional_db, jurisdiction, service, center_city, dana, settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    made = filed_request(service)
    rollups.rebuild(jurisdiction)
    sanitation = Category.objects.create(jurisdiction=jurisdiction, slug="sanitation", name="Sanitation")
    write_article(
        jurisdiction,
        "illegal-dumping",
        actor=dana,
        category=sanitation,
        title="How to report illegal dumping",
        summary="Tell us where it was dumped.",
        body="Give the **address**.",
        service_list=[service],
    )
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return {
        "request": made,
        "service": service,
        "neighborhood": center_city,
        "last_month": f"{last_month:%Y-%m}",
    }


def choose_language(page, live_server, code: str) -> None:
    """What the language form does: it sets the language cookie."""
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": live_server.url}])


def violations_on(page, live_server, paths: list[str]) -> dict[str, list[dict]]:
    """axe's violations on each of `paths`, in English and in Arabic, that has any (every page must open, in
    the language chosen, laid out in its direction)."""
    found = {}
    for code, direction in LANGUAGES.items():
        choose_language(page, live_server, code)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status < 400, path
            assert page.url == f"{live_server.url}{path}", f"{path} went to {page.url}"  # no redirect elsewhere
            shown = page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
            assert shown == [code, direction], (path, shown)
            violations = axe_violations(page)
            if violations:
                found[f"{code} {path}"] = violations
    return found


def public_pages(city) -> list[str]:
    return [
        "/",
        "/report/",
        f"/report/{city['service'].code}/",
        "/track/",
        f"/track/{city['request'].tracking_number}/",
        "/neighborhoods/",
        f"/neighborhoods/{city['neighborhood'].slug}/",
        "/transparency/",
        "/help/",
        "/help/search/?q=pothole",
        "/help/category/sanitation/",
        "/help/illegal-dumping/",
        f"/report/done/{city['request'].tracking_number}/",
        "/community/apply/",
        "/community/youth/certificates/",
        "/open-data/",
        "/offline/",
        "/sign-in/",
    ]


def test_the_public_pages_have_no_accessibility_violations(live_server, city, chromium):
    with recording_page(chromium, viewport=DESKTOP) as page:
        found = violations_on(page, live_server, public_pages(city))
        assert found == {}, pformat(found)
        assert page.csp_violations == []


def staff_pages(city, admin) -> list[str]:
    call = Contact.objects.create(
        jurisdiction=city["service"].jurisdiction,
        channel=Channel.PHONE,
        outcome=Contact.Outcome.PENDING,
        agent=admin,
        started_at=timezone.now(),
    )
    return [
        "/console/",
        f"/console/contact/{call.pk}/",
        f"/console/contact/{call.pk}/?service={city['service'].code}",  # with the report form and its map
        "/work/",
        f"/work/request/{city['request'].tracking_number}/",
        "/console/inbox/",
        "/insights/operations/",
        "/insights/leadership/",
        f"/insights/leadership/month/{city['last_month']}/",
        "/insights/forecast/",
        "/insights/search/",
        "/insights/social/",
        "/insights/board/",
        "/console/journeys/",
        "/surveys/",
        "/surveys/follow-ups/",
        "/surveys/reports/",
        f"/surveys/reports/month/{city['last_month']}/",
        f"/surveys/results/{admin.pk}/",
        "/emergencies/",
        "/community/",
        "/community/applications/",
        "/community/trainings/",
        "/community/liaisons/",
        "/community/meetings/",
        "/community/messages/",
        "/community/figures/",
        "/community/pilots/",
        "/community/youth/",
        "/community/youth/partners/",
        "/community/forms/",
        "/account/second-factor/",
        "/help/translations/",
        "/translations/review/",
        "/translations/review/fr/",
    ]


def test_the_staff_pages_have_no_accessibility_violations(live_server, city, chromium):
    admin = StaffFactory(username="ada", is_superuser=True)
    pages = staff_pages(city, admin)
    with recording_page(chromium, viewport=DESKTOP) as page:
        sign_in(page, live_server, pages[0], admin)
        found = violations_on(page, live_server, pages)
        assert found == {}, pformat(found)
        assert page.csp_violations == []
