"""A supervisor reads the forecast page: the next weeks by day, a day's agents per half hour, the charts
(Chart.js, vendored) drawn under the site's CSP, and an emergency adjustment applied through the form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civic311.insights import forecast_services
from civic311.people.models import StaffRole
from civic311.service_requests.models import Channel, Contact

from ..factories import StaffFactory, with_role
from .conftest import recording_page, sign_in

pytestmark = [pytest.mark.browser]


def test_a_supervisor_reads_the_forecast_and_adjusts_it(live_server, transactional_db, jurisdiction, chromium):
    supervisor = with_role(StaffFactory(username="sonia"), StaffRole.SUPERVISOR)
    today = timezone.localtime(timezone.now(), jurisdiction.zone).date()
    contacts = []
    for offset in range(1, 43):
        day = today - dt.timedelta(days=offset)
        for index in range(30 if day.weekday() < 5 else 8):
            started = dt.datetime.combine(day, dt.time(9 + index % 8, index % 60), tzinfo=jurisdiction.zone)
            contacts.append(
                Contact(
                    jurisdiction=jurisdiction,
                    channel=Channel.PHONE,
                    outcome=Contact.Outcome.INFORMATION,
                    started_at=started,
                    ended_at=started + dt.timedelta(minutes=4),
                )
            )
    Contact.objects.bulk_create(contacts)
    forecast_services.make_forecast(jurisdiction, weeks=2)

    with recording_page(chromium, viewport={"width": 1280, "height": 900}) as page:
        sign_in(page, live_server, "/insights/forecast/", supervisor)
        assert page.get_by_role("heading", name="Forecast and staffing").is_visible()
        assert page.locator("#forecast-days tbody tr").count() == 14
        assert page.locator("#forecast-half-hours tbody tr").count() == 48
        page.locator('#forecast-days-chart[data-drawn="true"]').wait_for()
        page.locator('#forecast-day-chart[data-drawn="true"]').wait_for()
        before = page.locator("#day-summary").inner_text()

        page.get_by_label("First day").fill(today.isoformat())
        page.get_by_label("Last day").fill(today.isoformat())
        page.get_by_label("Multiply the forecast by").fill("4")
        page.get_by_label("Reason").fill("Snow emergency declared")
        page.get_by_role("button", name="Apply the adjustment").click()
        page.locator("#adjustments-in-force").wait_for()
        assert "Snow emergency declared" in page.locator("#forecast-adjustments").inner_text()
        assert page.locator("#day-summary").inner_text() != before
        assert page.csp_violations == []
