"""Issue 22: the public track page is kept rendered for every visitor (public/track_page.py): a kept page is
byte for byte the page a fresh render makes, it changes when what it shows changes, and nothing per-visitor
is ever kept or served from it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civic311.notifications.models import Subscription
from civic311.people.models import StaffRole
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status

from .emergency_helpers import declare
from .factories import StaffFactory, filed_request, with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(service, center_city):
    return filed_request(service, email="pat@example.org")


def page(client, filed) -> bytes:
    response = client.get(f"/track/{filed.tracking_number}/")
    assert response.status_code == 200
    return response.content


def test_a_kept_page_is_byte_for_byte_a_fresh_render_and_asks_only_for_the_request(client, filed):
    fresh = page(client, filed)
    with CaptureQueriesContext(connection) as kept_visit:
        kept = page(Client(), filed)  # another visitor
    assert kept == fresh
    assert len(kept_visit) == 1  # the request itself: no history, photos or answers read
    cache.clear()
    assert page(client, filed) == fresh


def test_the_page_has_no_per_visitor_token_and_its_forms_work_without_one(filed):
    visitor = Client(enforce_csrf_checks=True)
    html = page(visitor, filed).decode()
    assert "csrfmiddlewaretoken" not in html
    response = visitor.post(f"/notifications/follow/{filed.tracking_number}/", {"email": "sam@example.org"})
    assert response.status_code == 302
    assert Subscription.objects.filter(service_request=filed, email="sam@example.org").exists()


def test_a_first_visit_gets_the_csrf_cookie_from_any_page_and_a_form_then_posts_with_it(filed, jurisdiction):
    """A page without a form sets the cookie too: a form opened next, and anything fetched beside it, use that
    one secret (a cookie first made by the form's page raced a second one made by a request beside it)."""
    visitor = Client(enforce_csrf_checks=True)
    first = visitor.get(f"/track/{filed.tracking_number}/")
    assert "csrftoken" in first.cookies and "csrfmiddlewaretoken" not in first.content.decode()
    secret = visitor.cookies["csrftoken"].value
    again = visitor.get(f"/track/{filed.tracking_number}/")  # kept: the same page, the same secret
    assert visitor.cookies["csrftoken"].value == secret and again.content == first.content
    assert visitor.get("/sign-in/").status_code == 200 and visitor.cookies["csrftoken"].value == secret
    # Not for what is not a page: an Open311 answer sets no cookie.
    assert "csrftoken" not in Client().get("/open311/v2/services.json").cookies


def test_a_change_to_the_request_shows_at_once(client, filed, department):
    page(client, filed)
    worker = with_role(StaffFactory(username="worker"), StaffRole.DEPARTMENT_STAFF, department)
    requests_services.change_status(filed, Status.CLOSED, actor=worker, public_reason="Mattresses taken away.")
    assert "Mattresses taken away." in page(client, filed).decode()


def test_each_language_is_kept_apart(client, filed):
    english = page(client, filed).decode()
    client.cookies["django_language"] = "es"
    spanish = page(client, filed).decode()
    assert '<html lang="en"' in english and '<html lang="es"' in spanish


def test_an_emergency_declared_shows_on_a_kept_page_at_once(client, filed, jurisdiction):
    assert "Move your car" not in page(client, filed).decode()
    declare(jurisdiction, with_role(StaffFactory(username="sup"), StaffRole.SUPERVISOR))
    assert "Move your car off snow emergency routes." in page(client, filed).decode()


def test_a_visit_with_a_link_token_or_a_message_is_neither_kept_nor_served_from_the_cache(client, filed):
    kept = page(client, filed)
    token = requests_services.resident_link_token(filed)
    with_link = client.get(f"/track/{filed.tracking_number}/?t={token}").content
    assert b"Comment on or reopen your request" in with_link and with_link != kept
    assert b"Comment on or reopen your request" not in page(Client(), filed)  # not kept for the next visitor

    visitor = Client()
    visitor.post(f"/notifications/follow/{filed.tracking_number}/", {"email": "sam@example.org"})
    after = visitor.get(f"/track/{filed.tracking_number}/").content.decode()
    assert "Check your e-mail" in after  # the visitor's own message, on a page rendered for them
    assert "Check your e-mail" not in page(Client(), filed).decode()


def kept_pages() -> int:
    store: dict[str, object] = cache._cache  # type: ignore[attr-defined]  # LocMemCache's own store, in the tests
    return len([key for key in store if "track-page" in key])


def test_a_private_request_is_never_kept(client, service, center_city, filed):
    page(client, filed)
    assert kept_pages() == 1
    private = filed_request(service, is_private=True)
    assert b"private" in client.get(f"/track/{private.tracking_number}/").content.lower()
    assert kept_pages() == 1
