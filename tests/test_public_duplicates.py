"""The report form's "Already reported?" panel: live (htmx posts the place and the words) and without
JavaScript ("Check for existing reports" brings the form back with it, nothing filed); follow instead (the
notifications app's public follow) or report anyway. The public sees no one's words and no private request."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from civic311.notifications.models import Subscription
from civic311.public import duplicate_panel
from civic311.service_requests.models import ServiceRequest

from .factories import ServiceFactory, filed_request

CITY_HALL: dict[str, Any] = {"lat": "39.9526", "long": "-75.1635"}
FORTY_METRES_NORTH: dict[str, Any] = {"lat": "39.95296", "long": "-75.1635"}
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
SECRET_WORDS = "Mr Smith at number 12 left his mattress again"


@pytest.fixture(autouse=True)
def _english_between_requests():
    with translation.override("en"):
        yield


@pytest.fixture
def existing(service):
    """An open request at City Hall, with words and an address the public must never see here."""
    return filed_request(service, description=SECRET_WORDS, address="1400 JFK Blvd", **CITY_HALL)


def report_url(service) -> str:
    return reverse("public:report", args=[service.code])


def panel_url(service) -> str:
    return reverse("public:possible_duplicates", args=[service.code])


def check(client, service, **fields):
    """ "Check for existing reports" without JavaScript: the whole form posted with the button's value."""
    data = {"action": "check_duplicates", "description": "A mattress on the sidewalk", **fields}
    return client.post(report_url(service), data)


def panel_html(response) -> str:
    html = response.content.decode()
    start = html.index('id="possible-duplicates"')
    return html[start : html.index("</fieldset>", start)]


# --- the form ------------------------------------------------------------------------------------------------------


def test_the_form_has_the_button_and_the_live_panel(client, service):
    html = client.get(report_url(service)).content.decode()
    assert 'name="action" value="check_duplicates"' in html and "Check for existing reports" in html
    assert f'hx-post="{panel_url(service)}"' in html
    assert 'hx-params="csrfmiddlewaretoken,lat,long,address,description"' in html
    assert "vendor/htmx/htmx.min.js" in html and "public/possible_duplicates.js" in html
    assert '"allowEval": false' in html  # htmx never evaluates (the CSP forbids it)
    # Enter in a field still sends the report: the first submit button is a (hidden) "Send report".
    start = html.index('<form class="report-form"')
    form = html[start : html.index("</form>", start)]
    found = re.search(r"<button[^>]*type=\"submit\"[^>]*>", form)
    assert found is not None
    first_submit = found.group(0)
    assert 'name="action"' not in first_submit and "visually-hidden" in first_submit


# --- without JavaScript ---------------------------------------------------------------------------------------------


def test_check_shows_the_nearby_request_and_files_nothing(client, service, existing):
    before = ServiceRequest.objects.count()
    response = check(client, service, email="pat@example.org", **FORTY_METRES_NORTH)
    assert response.status_code == 200
    assert ServiceRequest.objects.count() == before  # nothing filed
    panel = panel_html(response)
    assert "Already reported? An open request like yours is nearby" in panel
    assert "Illegal Dumping" in panel and "New" in panel
    assert "Someone reported this 40 m away, today." in panel
    track = reverse("public:track_request", args=[existing.tracking_number])
    assert f'href="{track}"' in panel and f"See request {existing.tracking_number}" in panel
    assert "Report anyway" in panel and 'href="#report-photos"' in panel
    # Follow instead: the panel's e-mail field and button belong to a follow form after the report form.
    number = existing.tracking_number
    assert f'form="follow-form-{number}"' in panel and 'value="pat@example.org"' in panel
    html = response.content.decode()
    follow = reverse("notifications:subscribe", args=[number])
    assert re.search(
        rf'</form>\s*<div id="duplicate-follow-forms"><form id="follow-form-{number}" method="post" '
        rf'action="{re.escape(follow)}"><input type="hidden" name="csrfmiddlewaretoken"',
        html,
    )
    # What the resident typed stays; nobody else's words, address or person appear.
    assert "A mattress on the sidewalk" in html
    assert "Mr Smith" not in html and "1400 JFK Blvd" not in html


def test_follow_instead_is_the_public_follow(client, service, existing, mailoutbox):
    check(client, service, **FORTY_METRES_NORTH)
    response = client.post(
        reverse("notifications:subscribe", args=[existing.tracking_number]), {"email": "pat@example.org"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("public:track_request", args=[existing.tracking_number]) + "#follow")
    subscription = Subscription.objects.get(service_request=existing)
    assert subscription.email == "pat@example.org" and subscription.state == Subscription.State.PENDING
    assert ServiceRequest.objects.count() == 1  # following files nothing


def test_check_without_a_place_asks_for_one(client, service, existing):
    panel = panel_html(check(client, service))
    assert "Give the street address or the point first, then check again." in panel


def test_check_with_nothing_near_says_so(client, service, existing):
    panel = panel_html(check(client, service, lat="40.0500", long="-75.0500"))
    assert "No open report like this nearby." in panel


def test_a_private_request_is_never_offered(client, service):
    filed_request(service, is_private=True, **CITY_HALL)
    assert "No open report like this nearby." in panel_html(check(client, service, **CITY_HALL))


def test_another_services_request_is_not_offered(client, service, jurisdiction):
    filed_request(ServiceFactory(jurisdiction=jurisdiction), **CITY_HALL)
    assert "No open report like this nearby." in panel_html(check(client, service, **CITY_HALL))


@pytest.mark.parametrize(
    "fields",
    [
        {"lat": "not a number", "long": "-75.1635"},
        {"lat": "48.8566", "long": "2.3522"},  # Paris: not in the city
        {"lat": "nan", "long": "inf"},
        {"address": "x" * 5000},
        {"description": "😡🗑️" * 500, **CITY_HALL},
        {"description": "m" * 10_000, **CITY_HALL},
        {"description": "Матрас на тротуаре", **CITY_HALL},
        {"description": "\x00", **CITY_HALL},
    ],
)
def test_any_input_is_answered(client, service, existing, fields):
    response = check(client, service, **fields)
    assert response.status_code == 200
    assert ServiceRequest.objects.count() == 1


def test_sending_still_files(client, service, existing):
    response = client.post(report_url(service), {"description": "Mattress", **CITY_HALL})
    assert response.status_code == 302 and ServiceRequest.objects.count() == 2


# --- live (htmx) ------------------------------------------------------------------------------------------------------


def test_the_live_panel_is_the_fragment_with_its_follow_forms(client, service, existing):
    response = client.post(panel_url(service), {"description": "mattress on the sidewalk", **CITY_HALL}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Someone reported this less than 10 m away, today." in html
    assert '<div id="duplicate-follow-forms" hx-swap-oob="true"><form id="follow-form-' in html
    assert "Mr Smith" not in html and "1400 JFK Blvd" not in html


def test_the_live_panel_says_nothing_until_there_is_a_place(client, service, existing):
    html = client.post(panel_url(service), {"description": "mattress"}, **HTMX).content.decode()
    assert "Give the street address" not in html and "Already reported" not in html


def test_the_live_panel_by_address_alone(client, service):
    by_address = filed_request(service, lat="", long="", address="1400 North Broad Street", description="x")
    html = client.post(panel_url(service), {"address": "1400 n broad st"}, **HTMX).content.decode()
    assert by_address.tracking_number in html and "Someone reported this at the same address, today." in html


def test_the_live_panel_needs_the_forms_csrf_token(service, existing):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(panel_url(service), CITY_HALL, **HTMX).status_code == 403
    page = strict.get(report_url(service)).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    token = found.group(1)
    response = strict.post(panel_url(service), {"csrfmiddlewaretoken": token, **CITY_HALL}, **HTMX)
    assert response.status_code == 200 and existing.tracking_number in response.content.decode()


def test_the_live_panel_only_posts(client, service):
    assert client.get(panel_url(service), CITY_HALL).status_code == 405


def test_an_unknown_service_is_not_found(client, service):
    assert client.post(reverse("public:possible_duplicates", args=["NO-SUCH"]), CITY_HALL, **HTMX).status_code == 404


def test_too_many_checks_from_one_connection(client, service, existing, monkeypatch):
    monkeypatch.setattr(duplicate_panel, "CHECKS_PER_HOUR", 2)
    for _ in range(2):
        assert existing.tracking_number in client.post(panel_url(service), CITY_HALL, **HTMX).content.decode()
    refused = client.post(panel_url(service), CITY_HALL, **HTMX).content.decode()
    assert "We could not check for existing reports just now. You can still send yours." in refused
    assert existing.tracking_number not in refused
    # Sending a report is another limit: the resident can still send theirs.
    assert client.post(report_url(service), {"description": "Mattress", **CITY_HALL}).status_code == 302


def test_the_panel_in_spanish(client, service, existing):
    service.translations = {"es": {"name": "Vertido ilegal"}}
    service.save()
    html = client.post(panel_url(service), CITY_HALL, HTTP_ACCEPT_LANGUAGE="es", **HTMX).content.decode()
    assert "Vertido ilegal" in html and "Nueva" in html, html  # the service's and the status' Spanish names
