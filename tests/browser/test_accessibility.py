"""WCAG 2.1 AA on the public pages (issue 21): axe-core, every rule at every impact, under the site's real
content-security policy, on each page a resident reaches."""

from __future__ import annotations

import pytest

from civic311.community.services import rollups
from tests.factories import StaffFactory, filed_request

from .conftest import axe_violations, recording_page, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def city(transactional_db, jurisdiction, service, center_city, settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    made = filed_request(service)
    rollups.rebuild(jurisdiction)
    return {"request": made, "service": service, "neighborhood": center_city}


def violations_on(page, live_server, paths: list[str]) -> dict[str, list[dict]]:
    """axe's violations on each of `paths` that has any (every page must open)."""
    found = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status < 400, path
        violations = axe_violations(page)
        if violations:
            found[path] = violations
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
        "/sign-in/",
    ]


def test_the_public_pages_have_no_accessibility_violations(live_server, city, chromium):
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        assert violations_on(page, live_server, public_pages(city)) == {}
        assert page.csp_violations == []


STAFF_PAGES = [
    "/console/",
    "/work/",
    "/console/inbox/",
    "/insights/operations/",
    "/insights/leadership/",
    "/insights/forecast/",
    "/insights/search/",
    "/insights/social/",
    "/insights/board/",
    "/console/journeys/",
    "/surveys/",
    "/surveys/reports/",
    "/emergencies/",
    "/community/",
    "/translations/review/",
    "/translations/review/fr/",
]


def test_the_staff_pages_have_no_accessibility_violations(live_server, city, chromium):
    admin = StaffFactory(username="ada", is_superuser=True)
    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        sign_in(page, live_server, STAFF_PAGES[0], admin)
        assert violations_on(page, live_server, STAFF_PAGES) == {}
        assert page.csp_violations == []
