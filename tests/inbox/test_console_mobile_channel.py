"""The public report form records `mobile` when it is sent from the installed app (its script saw
display-mode standalone) or from a phone that says so (Sec-CH-UA-Mobile: ?1), else `web`; nothing else the
form posts decides the channel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civic311.service_requests.models import ServiceRequest

REPORT = {"description": "A sofa on the sidewalk.", "lat": "39.9526", "long": "-75.1635"}


@pytest.mark.parametrize(
    ("posted", "headers", "channel"),
    [
        ({}, {}, "web"),
        ({"display_mode": "standalone"}, {}, "mobile"),
        ({}, {"HTTP_SEC_CH_UA_MOBILE": "?1"}, "mobile"),
        ({}, {"HTTP_SEC_CH_UA_MOBILE": "?0"}, "web"),
        ({"display_mode": "browser"}, {}, "web"),
        # A channel the form says itself is never believed.
        ({"channel": "open311", "display_mode": "phone"}, {}, "web"),
    ],
)
def test_the_public_form_records_web_or_mobile(client, service, posted, headers, channel):
    response = client.post(reverse("public:report", args=[service.code]), {**REPORT, **posted}, **headers)
    assert response.status_code == 302
    assert ServiceRequest.objects.get().channel == channel


def test_the_form_carries_the_display_mode_field(client, service):
    page = client.get(reverse("public:report", args=[service.code])).content.decode()
    assert 'name="display_mode"' in page and "data-display-mode" in page
