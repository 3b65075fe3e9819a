"""Open311 calls go through the short middleware chain of settings.MACHINE_API_MIDDLEWARE (civic311/machine_api.py),
with the same security headers as a page and the caller's language, and nothing of a browser's session."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from civic311.machine_api import MachineApiMiddleware
from civic311.people.models import StaffRole

from .csp_policy import directives, is_the_policy
from .factories import StaffFactory, with_role

pytestmark = pytest.mark.django_db

CHAIN_HEADER = "X-Test-Chain"


def tagging_middleware(get_response):
    """Marks every answer of the chain it is in (for the tests below)."""

    def middleware(request):
        response = get_response(request)
        response[CHAIN_HEADER] = "machine"
        return response

    return middleware


def site_page_headers(client: Client) -> dict[str, str]:
    response = client.get("/")
    assert response.status_code == 200
    return dict(response.headers)


def test_an_open311_answer_has_the_security_headers_of_a_page(client, jurisdiction):
    page = site_page_headers(client)
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    for header in ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy", "X-Frame-Options"):
        assert response[header] == page[header], header
    assert is_the_policy(response["Content-Security-Policy"])
    assert response["Access-Control-Allow-Origin"] == "*"


def test_an_open311_error_is_in_the_callers_language(client, jurisdiction):
    english = client.get("/open311/v2/requests/999999999.json", HTTP_ACCEPT_LANGUAGE="en").json()
    spanish = client.get("/open311/v2/requests/999999999.json", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 404
    assert spanish["Content-Language"] == "es"
    assert spanish.json()[0]["description"] != english[0]["description"]


CALLS = [
    ("get", "/open311/v2/services.json", {}),
    ("get", "/open311/v2/services.xml", {"HTTP_ACCEPT_LANGUAGE": "es"}),
    ("get", "/open311/v2/discovery.json", {}),
    ("get", "/open311/v2/requests/999999999.json", {"HTTP_ACCEPT_LANGUAGE": "es"}),
    ("get", "/open311/v2/no-such-method.json", {}),
    ("get", "/open311/v2/services.yaml", {}),
    ("post", "/open311/v2/requests.json", {"data": {"service_code": "nope"}, "HTTP_ACCEPT_LANGUAGE": "es"}),
]


@pytest.mark.parametrize(("method", "path", "extra"), CALLS)
def test_the_short_chain_answers_exactly_what_the_sites_whole_chain_answered(method, path, extra, jurisdiction):
    """Byte for byte, headers included, for a signed-in browser's call (whose session the short chain never
    loads): only the work is left out, never a header."""
    staff = with_role(StaffFactory(username="ada"), StaffRole.AGENT)
    answers = []
    for middleware in (settings.MIDDLEWARE, [m for m in settings.MIDDLEWARE if not m.endswith("MachineApiMiddleware")]):
        with override_settings(MIDDLEWARE=middleware):
            client = Client()
            client.force_login(staff)
            response = getattr(client, method)(path, **extra)
            headers = dict(response.headers)
            # django-csp writes the policy's directives in no fixed order: compared as directives.
            headers["Content-Security-Policy"] = directives(headers["Content-Security-Policy"])
            answers.append((response.status_code, headers, response.cookies.output(), response.content))
    assert answers[0] == answers[1]


@override_settings(
    MACHINE_API_MIDDLEWARE=[*settings.MACHINE_API_MIDDLEWARE, "tests.test_machine_api.tagging_middleware"]
)
def test_calls_under_the_prefix_go_through_the_machine_chain_and_nothing_else_does(jurisdiction):
    client = Client()  # a new client loads the middleware as it stands now
    assert client.get("/open311/v2/services.json")[CHAIN_HEADER] == "machine"
    assert client.post("/open311/v2/requests.json", {"service_code": "nope"})[CHAIN_HEADER] == "machine"
    assert client.get("/open311/v2/no-such-method.json")[CHAIN_HEADER] == "machine"
    for path in ("/", "/open311", "/api/docs/", "/track/1/"):
        assert CHAIN_HEADER not in client.get(path), path


def test_building_the_chain_leaves_the_sites_middleware_setting_as_it_was():
    before = list(settings.MIDDLEWARE)
    middleware = MachineApiMiddleware(lambda request: HttpResponse("site"))
    assert before == settings.MIDDLEWARE
    response = middleware(RequestFactory().get("/track/1/"))
    assert isinstance(response, HttpResponse) and response.content == b"site"
