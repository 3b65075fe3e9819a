"""Security: nobody but the city's contact-centre staff reaches the inbox (the console's pages and actions, the
post import, the staff API's inbox items): a department worker, a resident's account and a stranger are
refused, and nothing they post changes an item."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civic311.inbox import services as inbox
from civic311.inbox.models import InboxItem, InboxMessage
from civic311.inbox.services import Incoming
from civic311.people.models import StaffRole

from ..factories import StaffFactory, with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(jurisdiction, mailbox):
    incoming = Incoming(
        channel="email",
        external_id="<perm@example.org>",
        sender="rosa@example.org",
        sender_name="Rosa",
        subject="Pothole",
        body="A pothole.",
        mailbox=mailbox,
    )
    return inbox.receive(jurisdiction, incoming).item


@pytest.fixture(params=["department_staff", "resident", "anonymous"])
def outsider(request, department):
    if request.param == "department_staff":
        return with_role(StaffFactory(username="dee", department=department), StaffRole.DEPARTMENT_STAFF, department)
    if request.param == "resident":
        return get_user_model().objects.create_user(username="pat", password="x", email="pat@example.org")
    return None


def pages(item: InboxItem) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("get", reverse("console:inbox"), {}),
        ("get", reverse("console:inbox_live"), {}),
        ("get", reverse("console:inbox_item", args=[item.pk]), {}),
        ("post", reverse("console:inbox_take", args=[item.pk]), {}),
        ("post", reverse("console:inbox_status", args=[item.pk]), {"status": "done"}),
        ("post", reverse("console:inbox_reply", args=[item.pk]), {"text": "Hello"}),
        ("post", reverse("console:inbox_dismiss", args=[item.pk]), {"reason": "spam"}),
        ("post", reverse("console:inbox_assign", args=[item.pk]), {"team": "", "agent": ""}),
        ("get", reverse("console:post_import"), {}),
    ]


def test_an_outsider_reaches_no_inbox_page_and_changes_nothing(client, item, outsider):
    if outsider is not None:
        client.force_login(outsider)
    for method, url, data in pages(item):
        response = getattr(client, method)(url, data)
        assert response.status_code in (302, 403, 404), (url, response.status_code)
        if response.status_code == 302:
            assert "login" in response["Location"], (url, response["Location"])
        assert b"Pothole" not in response.content and b"rosa@example.org" not in response.content
    item.refresh_from_db()
    assert item.status == InboxItem.Status.NEW and item.assigned_to is None and item.dismissed_reason == ""
    assert not InboxMessage.objects.filter(direction=InboxMessage.Direction.OUT).exists()


def test_the_staff_api_shows_an_outsider_no_inbox_item(item, outsider):
    client = APIClient()
    if outsider is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=outsider)[0].key}")
    listing = client.get("/api/v1/inbox/")
    assert listing.status_code in (401, 403) or not listing.json().get("results", listing.json())
    detail = client.get(f"/api/v1/inbox/{item.pk}/")
    assert detail.status_code in (401, 403, 404)
    assert b"rosa@example.org" not in detail.content
