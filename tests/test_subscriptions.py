"""Following a request by e-mail: double opt-in, one-click unsubscribe, and the form on the track page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from civic311.notifications import services
from civic311.notifications.models import Subscription
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status

from .factories import filed_request
from .test_notifications import body, smtp  # noqa: F401  (the SMTP server fixture)


@pytest.fixture(autouse=True)
def _no_rate_limit_left_over():
    cache.clear()
    yield
    cache.clear()


def link(message, kind: str) -> str:
    match = re.search(rf"https?://\S+/notifications/{kind}/\S+/", body(message))
    assert match, body(message)
    return urlsplit(match.group(0)).path


def track_path(service_request) -> str:
    return reverse("public:track_request", args=[service_request.tracking_number])


def follow(client, service_request, address: str, **extra):
    return client.post(
        reverse("notifications:subscribe", args=[service_request.tracking_number]), {"email": address}, **extra
    )


@pytest.mark.django_db(transaction=True)
def test_follow_confirm_receive_and_unsubscribe_in_one_click(client, smtp, service, staff):  # noqa: F811
    service_request = filed_request(service)
    page = client.get(track_path(service_request))
    assert "Follow this request" in page.content.decode()
    assert reverse("notifications:subscribe", args=[service_request.tracking_number]) in page.content.decode()

    answer = follow(client, service_request, "fan@example.org")
    assert answer.status_code == 302
    assert answer["Location"] == track_path(service_request) + "#follow"
    assert "Check your e-mail" in client.get(answer["Location"]).content.decode()
    [confirmation] = smtp.inbox.to("fan@example.org")
    assert "Confirm" in confirmation["Subject"]
    subscription = Subscription.objects.get(service_request=service_request)
    assert subscription.state == Subscription.State.PENDING

    # Unconfirmed: a public change sends nothing to it.
    requests_services.change_status(service_request, Status.ACKNOWLEDGED, actor=staff)
    assert len(smtp.inbox.to("fan@example.org")) == 1

    confirmed = client.get(link(confirmation, "confirm"))
    assert confirmed.status_code == 200
    assert "You are now following" in confirmed.content.decode()
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.ACTIVE

    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff, public_reason="Crew sent.")
    update = smtp.inbox.to("fan@example.org")[-1]
    assert "Crew sent." in body(update)

    gone = client.get(link(update, "unsubscribe"))
    assert gone.status_code == 200
    assert "no more e-mails" in gone.content.decode()
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.UNSUBSCRIBED

    requests_services.add_note(service_request, "Almost done.", actor=staff, public=True)
    assert len(smtp.inbox.to("fan@example.org")) == 2


@pytest.mark.django_db(transaction=True)
def test_rfc8058_one_click_post_unsubscribes_without_csrf(smtp, service, staff):  # noqa: F811
    from django.test import Client

    service_request = filed_request(service, email="pat@example.org")
    [received] = smtp.inbox.to("pat@example.org")
    header = str(received["List-Unsubscribe"]).strip()
    path = urlsplit(header.strip("<>")).path
    answer = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200

    # The requester opted out: no more e-mails to them about this request.
    requests_services.change_status(service_request, Status.IN_PROGRESS, actor=staff)
    assert len(smtp.inbox.to("pat@example.org")) == 1
    assert Subscription.objects.get(service_request=service_request).state == Subscription.State.UNSUBSCRIBED


@pytest.mark.django_db(transaction=True)
def test_resubscribing_after_unsubscribing_needs_a_new_confirmation(client, smtp, service):  # noqa: F811
    service_request = filed_request(service)
    follow(client, service_request, "fan@example.org")
    client.get(link(smtp.inbox.to("fan@example.org")[0], "confirm"))
    subscription = Subscription.objects.get()
    services.unsubscribe(services.make_token("unsub", s=subscription.pk))
    follow(client, service_request, "FAN@example.org")
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.PENDING


def test_bad_input_gets_a_clear_message_on_the_track_page(client, service):
    service_request = filed_request(service)
    answer = follow(client, service_request, "not an address", follow=True)
    assert answer.status_code == 200
    assert "Enter a valid e-mail address." in answer.content.decode()
    assert not Subscription.objects.exists()


def test_a_private_request_cannot_be_followed(client, service):
    service_request = filed_request(service, is_private=True)
    assert "Follow this request" not in client.get(track_path(service_request)).content.decode()
    answer = follow(client, service_request, "snoop@example.org", follow=True)
    assert "This request cannot be followed." in answer.content.decode()
    assert not Subscription.objects.exists()


def test_an_unknown_request_is_a_404_and_get_is_refused(client, service):
    assert client.post(reverse("notifications:subscribe", args=["99999999"]), {"email": "a@b.org"}).status_code == 404
    service_request = filed_request(service)
    assert client.get(reverse("notifications:subscribe", args=[service_request.tracking_number])).status_code == 405


def test_bad_or_swapped_tokens_are_refused(client, service):
    service_request = filed_request(service)
    subscription = Subscription.objects.create(service_request=service_request, email="fan@example.org")
    for url in [
        reverse("notifications:confirm", args=["nonsense"]),
        reverse("notifications:unsubscribe", args=["nonsense"]),
        # a confirmation token does not unsubscribe, nor the other way round
        reverse("notifications:unsubscribe", args=[services.make_token("confirm", s=subscription.pk)]),
        reverse("notifications:confirm", args=[services.make_token("unsub", s=subscription.pk)]),
    ]:
        assert client.get(url).status_code == 400
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.PENDING


def test_subscribing_is_rate_limited_per_address(client, settings, service):
    settings.NOTIFICATIONS_SUBSCRIBE_PER_HOUR = 2
    service_request = filed_request(service)
    for number in range(2):
        follow(client, service_request, f"fan{number}@example.org")
    answer = follow(client, service_request, "fan9@example.org", follow=True)
    assert "Too many requests" in answer.content.decode()
    assert Subscription.objects.count() == 2


def test_the_confirmation_is_sent_at_most_once_an_hour(mailoutbox, service):
    service_request = filed_request(service)
    mailoutbox.clear()
    for _ in range(3):
        services.subscribe(service_request, "fan@example.org")
    assert Subscription.objects.count() == 1
    from civic311.notifications.models import OutboundMessage

    assert OutboundMessage.objects.filter(dedup_key__contains=":confirm:").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_spanish_page_subscribes_in_spanish(client, smtp, service):  # noqa: F811
    service_request = filed_request(service)
    follow(client, service_request, "ana@example.org", HTTP_ACCEPT_LANGUAGE="es")
    [confirmation] = smtp.inbox.to("ana@example.org")
    assert "Confirme" in confirmation["Subject"]
    assert Subscription.objects.get().language == "es"
