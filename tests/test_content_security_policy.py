"""The Content-Security-Policy (django-csp, settings.CONTENT_SECURITY_POLICY): the same policy on a public
page, the admin, the API docs and every other response; nothing report-only, no nonce."""

from __future__ import annotations

import pytest
from django.test import override_settings

from civic311.people.models import StaffRole

from .csp_policy import POLICY, directives, is_the_policy
from .factories import StaffFactory, with_role

pytestmark = pytest.mark.django_db


def assert_the_policy(response) -> None:
    header = response["Content-Security-Policy"]
    assert is_the_policy(header), header
    assert "Content-Security-Policy-Report-Only" not in response
    assert "nonce-" not in header


def test_a_public_page(client, jurisdiction):
    response = client.get("/")
    assert response.status_code == 200
    assert_the_policy(response)


def test_an_admin_page(client, jurisdiction):
    assert_the_policy(client.get("/admin/login/"))
    client.force_login(with_role(StaffFactory(username="ada", is_superuser=True), StaffRole.ADMIN))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_the_policy(response)


def test_the_api_docs_page(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_the_policy(response)


def test_responses_that_are_not_pages_and_errors_get_it_too(client, jurisdiction):
    for url, status in [("/open311/v2/services.json", 200), ("/no-such-page/", 404)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert_the_policy(response)


@override_settings(DEBUG=True)
def test_only_debugs_own_error_pages_go_without(client, jurisdiction):
    # django-csp leaves Django's technical 404 and 500 pages alone (they have inline styles); DEBUG is
    # never on in production (deploy/civic311.env.example sets DEBUG=0).
    assert "Content-Security-Policy" not in client.get("/no-such-page/")
    assert_the_policy(client.get("/"))


def test_the_policy_frames_nothing_and_loads_only_from_this_site():
    found = directives(POLICY)
    assert found["frame-ancestors"] == ["'none'"]
    assert found["script-src"] == found["style-src"] == found["default-src"] == ["'self'"]
    assert found["img-src"] == ["'self'", "data:", "blob:", "https:"]  # map tiles from the tile server


def test_the_header_reader_ignores_order_but_not_sources():
    assert is_the_policy("form-action 'self'; " + POLICY.replace("; form-action 'self'", ""))
    assert not is_the_policy(POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'"))
    assert not is_the_policy(POLICY + "; object-src 'none'")
    with pytest.raises(AssertionError):
        directives("script-src 'self'; script-src https:")
