"""`inbox.services.receiving.receive`, the rules every door relies on: a message delivered twice is one, a flood
is refused, threading (e-mail ids, our notification Message-IDs, the SMS window, a post's parent), photo
checks, reopening and the response clock, and automatic messages changing nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from civic311 import rate_limits
from civic311.inbox.models import FirstResponseTarget, InboxItem, InboxMessage
from civic311.inbox.services import Flooded, Incoming, IncomingFile, receive, receiving
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications import services as notifications
from civic311.service_requests.models import ServiceRequest

from ..factories import JurisdictionFactory, filed_request, jpeg

NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
_ids = itertools.count(1)


def other_city() -> Jurisdiction:
    return JurisdictionFactory(slug="elsewhere", name="Elsewhere", jurisdiction_id="elsewhere.gov")


def _incoming(defaults: dict[str, Any], fields: dict[str, Any]) -> Incoming:
    return Incoming(**{**defaults, **fields})


def mail(**fields: Any) -> Incoming:
    ids = {"external_id": f"<m{next(_ids)}@example.org>", "sender": "Rosa@Example.org", "subject": "Pothole"}
    return _incoming({"channel": "email", "body": "A deep pothole on Main St.", **ids}, fields)


def text(**fields: Any) -> Incoming:
    ids = {"external_id": f"SM{next(_ids)}", "sender": "+12155550100"}
    return _incoming({"channel": "sms", "body": "Streetlight out", **ids}, fields)


def post(**fields: Any) -> Incoming:
    ids = {"external_id": f"https://example.social/@ana/{next(_ids)}", "sender": "@Ana@example.social"}
    return _incoming({"channel": "social", "network": "mastodon", "body": "Trash at City Hall", **ids}, fields)


# --- the same message twice ---------------------------------------------------------------------------------------


def test_the_same_message_twice_is_one(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, mail(external_id="<same@example.org>"), now=NOW)
    again = receive(jurisdiction, mail(external_id="<same@example.org>", body="changed"), now=NOW + HOUR)
    assert first.created and first.new_item
    assert not again.created and again.message.pk == first.message.pk and again.item.pk == first.item.pk
    assert InboxMessage.objects.count() == 1
    assert InboxMessage.objects.get().body == "A deep pothole on Main St."


def test_the_same_id_on_another_channel_or_city_is_another_message(jurisdiction: Jurisdiction) -> None:
    receive(jurisdiction, mail(external_id="same-id"), now=NOW)
    assert receive(jurisdiction, text(external_id="same-id"), now=NOW).created
    assert receive(other_city(), mail(external_id="same-id"), now=NOW).created


def test_the_same_message_at_once_keeps_one_and_leaves_the_doors_transaction_usable(
    jurisdiction: Jurisdiction, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two deliveries at once both miss the first look; the second's insert then fails on the unique constraint.
    Its half-written item is rolled back to a savepoint, and the door's own transaction goes on (on PostgreSQL
    an IntegrityError without a savepoint aborts the whole transaction)."""
    first = receive(jurisdiction, mail(external_id="<race@example.org>"), now=NOW)
    real_known = receiving.known_message
    calls = {"n": 0}

    def missed_once(*args: Any) -> InboxMessage | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_known(*args)

    monkeypatch.setattr(receiving, "known_message", missed_once)
    with transaction.atomic():  # the door's transaction
        again = receive(jurisdiction, mail(external_id="<race@example.org>"), now=NOW)
        assert not again.created and again.message.pk == first.message.pk
        assert InboxItem.objects.count() == 1  # still usable, and the second item was undone
    assert InboxMessage.objects.count() == 1


# --- bad input and floods -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"channel": "fax"}, {"sender": "  "}, {"external_id": "x" * 501}, {"body": "a\x00b"}],
)
def test_what_cannot_be_stored_is_refused_and_nothing_is_written(jurisdiction: Jurisdiction, fields: dict) -> None:
    with pytest.raises(ValidationError):
        receive(jurisdiction, mail(**fields), now=NOW)
    assert not InboxItem.objects.exists() and not InboxMessage.objects.exists()


def test_a_flood_from_one_sender_is_refused_and_writes_nothing(
    jurisdiction: Jurisdiction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receiving, "SENDER_RATE", rate_limits.Rate("inbox-sender-test", 2, 600))
    receive(jurisdiction, text(), now=NOW)
    receive(jurisdiction, text(), now=NOW)
    with pytest.raises(Flooded) as refused:
        receive(jurisdiction, text(sender="(215) 555-0100"), now=NOW)  # the same number, written otherwise
    assert refused.value.retry_after > 0
    assert InboxMessage.objects.count() == 2
    assert receive(jurisdiction, text(sender="+12155550199"), now=NOW).created  # another sender is fine


def test_a_duplicate_is_not_counted_as_a_flood(jurisdiction: Jurisdiction, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(receiving, "SENDER_RATE", rate_limits.Rate("inbox-sender-test2", 1, 600))
    receive(jurisdiction, text(external_id="SMdup"), now=NOW)
    assert not receive(jurisdiction, text(external_id="SMdup"), now=NOW).created


# --- threading ------------------------------------------------------------------------------------------------------


def test_an_email_answering_one_of_the_conversation_joins_it(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, mail(external_id="<a@example.org>"), now=NOW)
    answer = receive(
        jurisdiction, mail(in_reply_to=["<unknown@x>", "<a@example.org>"], sender="other@example.org"), now=NOW
    )
    assert answer.item.pk == first.item.pk and not answer.new_item
    assert receive(jurisdiction, mail(), now=NOW).item.pk != first.item.pk  # no ids: a new conversation


def test_an_email_answering_a_city_reply_joins_its_conversation(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, mail(), now=NOW)
    InboxMessage.objects.create(
        item=first.item,
        jurisdiction=jurisdiction,
        channel="email",
        direction=InboxMessage.Direction.OUT,
        external_id="<reply-1@civic311.localhost>",
        body="We are on it.",
        sent_at=NOW,
    )
    assert receive(jurisdiction, mail(in_reply_to=["<reply-1@civic311.localhost>"]), now=NOW).item.pk == first.item.pk


def test_threading_never_crosses_cities(jurisdiction: Jurisdiction) -> None:
    elsewhere = receive(other_city(), mail(external_id="<b@example.org>"), now=NOW)
    here = receive(jurisdiction, mail(in_reply_to=["<b@example.org>"]), now=NOW)
    assert here.new_item and here.item.pk != elsewhere.item.pk


def _notification_about(service_request: ServiceRequest) -> str:
    sent = notifications.queue(
        channel="email", recipient="rosa@example.org", dedup_key=f"n{next(_ids)}", service_request=service_request
    )
    assert sent is not None
    return f"<{sent.reference}@{settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN}>"


def test_a_reply_to_our_notification_lands_on_that_requests_conversation(jurisdiction: Jurisdiction, service) -> None:
    request = filed_request(service)
    message_id = _notification_about(request)
    first = receive(jurisdiction, mail(in_reply_to=[message_id]), now=NOW)
    assert first.new_item and first.item.service_request_id == request.pk
    second = receive(jurisdiction, mail(in_reply_to=[_notification_about(request)]), now=NOW + HOUR)
    assert second.item.pk == first.item.pk
    # someone else answering the same notification has a conversation of their own, about the same request
    other = receive(jurisdiction, mail(in_reply_to=[message_id], sender="neighbour@example.org"), now=NOW)
    assert other.new_item and other.item.service_request_id == request.pk


def test_a_notification_about_another_citys_request_links_nothing(service) -> None:
    request = filed_request(service)
    elsewhere = other_city()
    receipt = receive(elsewhere, mail(in_reply_to=[_notification_about(request)]), now=NOW)
    assert receipt.item.service_request_id is None


def test_a_request_the_door_names_must_be_the_citys(service) -> None:
    request = filed_request(service)
    receipt = receive(other_city(), mail(service_request=request), now=NOW)
    assert receipt.item.service_request_id is None


def test_texts_join_the_senders_open_exchange_and_a_finished_one_within_a_day(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, text(sender="215-555-0100"), now=NOW)
    later = receive(jurisdiction, text(), now=NOW + 30 * HOUR)  # still open: the same exchange, however late
    assert later.item.pk == first.item.pk
    InboxItem.objects.filter(pk=first.item.pk).update(status=InboxItem.Status.DONE, done_at=NOW + 31 * HOUR)
    within = receive(jurisdiction, text(), now=NOW + 50 * HOUR)
    assert within.item.pk == first.item.pk and within.reopened
    InboxItem.objects.filter(pk=first.item.pk).update(status=InboxItem.Status.DONE, done_at=NOW + 51 * HOUR)
    after = receive(jurisdiction, text(), now=NOW + 76 * HOUR)
    assert after.new_item and after.item.pk != first.item.pk
    assert receive(jurisdiction, text(sender="+12155550101"), now=NOW + 76 * HOUR).new_item  # another number


def test_a_post_answering_one_we_have_joins_it(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, post(external_id="https://example.social/@ana/1"), now=NOW)
    answer = receive(
        jurisdiction, post(sender="@bo@example.social", in_reply_to=["https://example.social/@ana/1"]), now=NOW
    )
    assert answer.item.pk == first.item.pk
    assert receive(jurisdiction, post(), now=NOW).new_item  # the same author, no parent: a new item


# --- photos -----------------------------------------------------------------------------------------------------------


def test_photos_pass_the_checks_and_the_rest_is_named(jurisdiction: Jurisdiction) -> None:
    photo = jpeg().read()
    files = [
        IncomingFile("pothole.jpg", "image/jpeg", photo),
        IncomingFile("notes.txt", "text/plain", b"not a photo"),
        IncomingFile("broken.jpg", "image/jpeg", b"\xff\xd8 broken"),
    ]
    receipt = receive(jurisdiction, mail(attachments=files, dropped_attachments=["huge.mov"]), now=NOW)
    kept = list(receipt.message.attachments.all())
    assert [attachment.original_name for attachment in kept] == ["pothole.jpg"]
    assert kept[0].width == 64 and kept[0].height == 48
    dropped = InboxMessage.objects.get(pk=receipt.message.pk).dropped_attachments
    assert "huge.mov" in dropped and "notes.txt" in dropped and "broken.jpg" in dropped


def test_no_more_photos_than_a_request_takes(jurisdiction: Jurisdiction) -> None:
    limit = settings.CIVIC311_PHOTOS_PER_REQUEST
    photo = jpeg().read()
    files = [IncomingFile(f"p{index}.jpg", "image/jpeg", photo) for index in range(limit + 1)]
    receipt = receive(jurisdiction, mail(attachments=files), now=NOW)
    assert receipt.message.attachments.count() == limit
    assert f"p{limit}.jpg" in InboxMessage.objects.get(pk=receipt.message.pk).dropped_attachments


# --- the response clock, reopening, automatic messages ----------------------------------------------------------------


def test_a_new_item_is_due_by_the_channels_target(jurisdiction: Jurisdiction) -> None:
    FirstResponseTarget.objects.create(jurisdiction=jurisdiction, channel="email", hours=8)
    item = receive(jurisdiction, mail(received_at=NOW - HOUR), now=NOW).item
    assert item.status == InboxItem.Status.NEW
    assert item.received_at == NOW - HOUR and item.response_due_at == NOW + 7 * HOUR
    assert receive(jurisdiction, text(), now=NOW).item.response_due_at == NOW + 4 * HOUR  # the default for texts


def test_a_message_from_the_future_counts_from_now(jurisdiction: Jurisdiction) -> None:
    item = receive(jurisdiction, mail(received_at=NOW + 10 * HOUR), now=NOW).item
    assert item.received_at == NOW and item.last_message_at == NOW


def test_a_second_message_keeps_the_earlier_due_time(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, mail(external_id="<c@example.org>"), now=NOW).item
    again = receive(jurisdiction, mail(in_reply_to=["<c@example.org>"]), now=NOW + 3 * HOUR).item
    assert again.response_due_at == first.response_due_at == NOW + 24 * HOUR
    assert again.last_message_at == NOW + 3 * HOUR


def test_the_residents_answer_to_a_waiting_item_restarts_the_clock(jurisdiction: Jurisdiction, agent) -> None:
    first = receive(jurisdiction, mail(external_id="<d@example.org>"), now=NOW).item
    InboxItem.objects.filter(pk=first.pk).update(
        status=InboxItem.Status.WAITING, response_due_at=None, first_response_at=NOW, assigned_to=agent
    )
    item = receive(jurisdiction, mail(in_reply_to=["<d@example.org>"]), now=NOW + 5 * HOUR).item
    assert item.status == InboxItem.Status.NEW  # nobody has a contact open on it
    assert item.response_due_at == NOW + 29 * HOUR and item.first_response_at == NOW


def test_a_finished_item_reopens(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, mail(external_id="<e@example.org>"), now=NOW).item
    InboxItem.objects.filter(pk=first.pk).update(status=InboxItem.Status.DONE, done_at=NOW, response_due_at=None)
    receipt = receive(jurisdiction, mail(in_reply_to=["<e@example.org>"]), now=NOW + 2 * HOUR)
    assert receipt.reopened and not receipt.new_item
    item = InboxItem.objects.get(pk=first.pk)
    assert item.status == InboxItem.Status.NEW and item.done_at is None
    assert item.response_due_at == NOW + 26 * HOUR


def test_an_automatic_message_is_kept_and_changes_nothing(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, mail(external_id="<f@example.org>"), now=NOW).item
    InboxItem.objects.filter(pk=first.pk).update(status=InboxItem.Status.DONE, done_at=NOW, response_due_at=None)
    bounce = receive(jurisdiction, mail(in_reply_to=["<f@example.org>"], automatic=True), now=NOW + HOUR)
    assert bounce.created and bounce.message.automatic and not bounce.reopened
    item = InboxItem.objects.get(pk=first.pk)
    assert item.status == InboxItem.Status.DONE and item.done_at == NOW and item.response_due_at is None
    # an auto-reply that starts a conversation owes nobody an answer
    alone = receive(jurisdiction, mail(automatic=True), now=NOW).item
    assert alone.response_due_at is None


def test_the_language_is_the_first_one_known(jurisdiction: Jurisdiction) -> None:
    first = receive(jurisdiction, mail(external_id="<g@example.org>", language="es"), now=NOW).item
    again = receive(jurisdiction, mail(in_reply_to=["<g@example.org>"], language="en"), now=NOW).item
    assert first.language == again.language == "es"


def test_the_sender_key_is_one_form_per_channel() -> None:
    assert receiving.sender_key("email", " Rosa@Example.ORG ") == "rosa@example.org"
    assert receiving.sender_key("sms", "(215) 555-0100") == "+12155550100"
    assert receiving.sender_key("social", "@Ana@Example.social", "mastodon") == "mastodon:@ana@example.social"


def test_our_message_ids_name_the_outbox_reference() -> None:
    domain = settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN
    assert receiving.message_id_reference(f"<abc123@{domain}>") == "abc123"
    assert receiving.message_id_reference("<abc123@example.org>") == ""
