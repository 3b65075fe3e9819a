"""A wall screen opens its display link: the board shows without a sign-in, under the site's CSP, and
swaps in fresh figures at its next refresh."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from civic311.insights import board_services
from civic311.people.models import StaffRole
from civic311.service_requests.models import Channel, Contact

from ..factories import StaffFactory, with_role
from .conftest import recording_page

pytestmark = [pytest.mark.browser]


def test_a_wall_screen_shows_and_refreshes_the_board(live_server, transactional_db, jurisdiction, chromium):
    cache.clear()
    admin = with_role(StaffFactory(username="ada"), StaffRole.ADMIN)
    _screen, token = board_services.create_display_screen(jurisdiction, "Call floor", actor=admin)
    now = timezone.now()
    Contact.objects.create(
        jurisdiction=jurisdiction,
        channel=Channel.PHONE,
        outcome=Contact.Outcome.INFORMATION,
        started_at=now - dt.timedelta(seconds=30),
        ended_at=now,
    )
    with recording_page(chromium, viewport={"width": 1920, "height": 1080}) as page:
        page.clock.install()
        page.goto(f"{live_server.url}/insights/board/screen/{token}/")
        assert page.locator('[data-figure="contacts"]').inner_text() == "1"
        assert "/admin/login" not in page.url
        Contact.objects.create(
            jurisdiction=jurisdiction,
            channel=Channel.EMAIL,
            outcome=Contact.Outcome.INFORMATION,
            started_at=timezone.now(),
            ended_at=timezone.now(),
        )
        cache.clear()
        page.clock.fast_forward(61_000)
        page.locator('[data-figure="contacts"]', has_text="2").wait_for(timeout=10_000)
        assert page.locator('[data-channel="email"]').count() == 1
        assert page.csp_violations == []
