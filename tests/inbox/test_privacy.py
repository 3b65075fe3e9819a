"""The inbox's personal data (docs/privacy.md, `privacy/inbox_data.py`): a customer's export and erasure
include their e-mails, texts and posts (matched by the customer link and by their address, number and
handle), erasure leaves nothing personal but keeps the counts, and the nightly sweep anonymises
conversations done longer ago than CIVIC311_RETAIN_INBOX_DAYS."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.test import override_settings
from PIL import Image

from civic311.inbox import services as inbox
from civic311.inbox.models import InboxAttachment, InboxItem, InboxMessage, TextConversation
from civic311.notifications.models import OutboundMessage
from civic311.people import services as customers
from civic311.people.models import PersonalDataAccess
from civic311.privacy import inbox_data, retention
from civic311.privacy.export import export_customer, export_sender
from civic311.social.models import OutboundPost

from ..factories import JurisdictionFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
T0 = dt.datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
HANDLE = "@philippa@mastodon.example"
PERSONAL = (
    "Philippa",
    "Quartermaine",
    "pq@example.org",
    "2155550199",
    "215-555-0199",
    "philippa@mastodon",
    "Zebrawood",
    "lamp outside number 12",
    "my quoted words",
    "garden.jpg",
    "mastodon.example/@philippa",
)


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def email(jurisdiction, mailbox, sender="PQ@example.org", *, key="1", at=T0, **fields):
    incoming = inbox.Incoming(
        channel="email",
        external_id=f"<m{key}@mail.example>",
        sender=sender,
        sender_name=fields.pop("name", "Philippa Quartermaine"),
        subject=fields.pop("subject", "The lamp outside number 12"),
        body=fields.pop("body", "The lamp outside number 12 on Zebrawood Lane is out."),
        quoted="> my quoted words",
        received_at=at,
        mailbox=mailbox,
        **fields,
    )
    return inbox.receive(jurisdiction, incoming, now=at).item


def text(jurisdiction, sms_number, sender="+12155550199", *, key="s1", at=T0):
    incoming = inbox.Incoming(
        channel="sms",
        external_id=f"SM{key}",
        sender=sender,
        body="Philippa here, the lamp outside number 12 is out",
        received_at=at,
        sms_number=sms_number,
    )
    item = inbox.receive(jurisdiction, incoming, now=at).item
    TextConversation.objects.create(
        item=item, step="where", description="the lamp outside number 12", address="12 Zebrawood Lane", lat=39.95
    )
    return item


def post(jurisdiction, source, handle=HANDLE, *, key="1", at=T0):
    user = handle.lstrip("@").partition("@")[0]
    incoming = inbox.Incoming(
        channel="social",
        external_id=f"https://mastodon.example/users/{user}/statuses/{key}",
        sender=handle,
        sender_name="Philippa Q.",
        body="@city311 the lamp outside number 12 is out again",
        received_at=at,
        network="mastodon",
        link=f"https://mastodon.example/@{user}/{key}",
        lat=39.95,
        long=-75.16,
        media_urls=[f"https://mastodon.example/@{user}/{key}/media.jpg"],
        source=source,
    )
    return inbox.receive(jurisdiction, incoming, now=at).item


@pytest.fixture
def customer(jurisdiction):
    return customers.create_customer(
        jurisdiction,
        first_name="Philippa",
        last_name="Quartermaine",
        phones=["215-555-0199"],
        emails=["pq@example.org"],
        addresses=["4321 Zebrawood Lane"],
        actor=None,
    )


@pytest.fixture
def conversations(jurisdiction, mailbox, sms_number, webhook_source, agent, customer):
    """Hers: an e-mail with a photo and a reply, a text, a post linked to her record (answered) and another
    post of the same handle; and someone else's e-mail, which no step may touch."""
    mine_by_email = email(
        jurisdiction,
        mailbox,
        attachments=[inbox.IncomingFile("garden.jpg", "image/jpeg", photo_bytes())],
    )
    inbox.reply(mine_by_email, "Thank you, Philippa, we are on it.", agent=agent, now=T0 + dt.timedelta(hours=1))
    mine_by_phone = text(jurisdiction, sms_number)
    linked_post = post(jurisdiction, webhook_source, key="1")
    InboxItem.objects.filter(pk=linked_post.pk).update(customer=customer)
    inbox.reply(linked_post, "Thanks, Philippa! We have asked Streets.", agent=agent, now=T0 + dt.timedelta(hours=2))
    other_post = post(jurisdiction, webhook_source, key="2", at=T0 + dt.timedelta(days=1))
    someone_else = email(
        jurisdiction,
        mailbox,
        sender="neighbour@example.net",
        key="9",
        name="Nora Neighbour",
        subject="Trash day",
        body="When is trash day on Elm St?",
    )
    return {
        "mine": [mine_by_email, mine_by_phone, linked_post, other_post],
        "other": someone_else,
    }


def dump(*querysets) -> str:
    return json.dumps([model_to_dict(row) for queryset in querysets for row in queryset], default=str).lower()


def holds_personal_data(text: str) -> list[str]:
    return [value for value in PERSONAL if value.lower() in text]


def test_the_export_includes_her_conversations_found_by_link_address_number_and_handle(conversations, customer, staff):
    data = export_customer(customer, actor=staff, now=T0 + dt.timedelta(days=2))
    exported = data["inbox_conversations"]
    assert sorted(row["channel"] for row in exported) == ["email", "sms", "social", "social"]
    mail = next(row for row in exported if row["channel"] == "email")
    assert mail["from"] == "PQ@example.org" and mail["name"] == "Philippa Quartermaine"
    assert mail["to"] == "311@city.example"
    directions = [(message["direction"], message["automatic"]) for message in mail["messages"]]
    assert ("in", False) in directions and ("out", False) in directions
    incoming = next(message for message in mail["messages"] if message["direction"] == "in")
    assert "Zebrawood" in incoming["text"] and incoming["quoted_text"] == "> my quoted words"
    assert incoming["photos"] and incoming["photos"][0].startswith("inbox/")
    posts = [row for row in exported if row["channel"] == "social"]
    assert {row["from"] for row in posts} == {HANDLE}
    assert any(message["link"] and message["lat"] for row in posts for message in row["messages"])
    assert "neighbour@example.net" not in json.dumps(data) and "Elm St" not in json.dumps(data)
    assert PersonalDataAccess.objects.filter(customer=customer, purpose="export").count() == 1


def test_another_citys_conversations_from_the_same_address_are_not_hers(conversations, customer, staff, mailbox):
    other_city = JurisdictionFactory(slug="elsewhere", name="Elsewhere", jurisdiction_id="elsewhere.gov")
    elsewhere = email(other_city, None, key="x1")
    data = export_customer(customer, actor=staff)
    assert len(data["inbox_conversations"]) == 4
    retention.erase_customer(customer, actor=staff)
    elsewhere.refresh_from_db()
    assert elsewhere.sender == "PQ@example.org"


def test_erasure_leaves_nothing_personal_and_keeps_the_counts(
    conversations, customer, staff, agent, mailbox, django_capture_on_commit_callbacks
):
    mine = conversations["mine"]
    photo = InboxAttachment.objects.get(message__item=mine[0])
    stored = str(photo.image.name)
    assert default_storage.exists(stored)
    before = {
        item.pk: (item.channel, item.status, item.received_at, item.first_response_at, item.jurisdiction_id)
        for item in InboxItem.objects.all()
    }
    message_count = InboxMessage.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        counts = retention.erase_customer(customer, actor=staff, now=T0 + dt.timedelta(days=3))
        assert default_storage.exists(stored)  # the photo goes once the erasure is committed

    assert counts["inbox_items"] == 4
    ids = [item.pk for item in mine]
    left = dump(
        InboxItem.objects.filter(pk__in=ids),
        InboxMessage.objects.filter(item__in=ids),
        TextConversation.objects.filter(item__in=ids),
        OutboundMessage.objects.all(),
        OutboundPost.objects.all(),
    )
    assert holds_personal_data(left) == []
    assert not InboxAttachment.objects.filter(message__item__in=ids).exists()
    assert not default_storage.exists(stored)
    # The counts stay: every item and message, with its channel, status and times.
    assert InboxMessage.objects.count() == message_count
    assert {
        item.pk: (item.channel, item.status, item.received_at, item.first_response_at, item.jurisdiction_id)
        for item in InboxItem.objects.all()
    } == before
    # Replies still waiting are never sent: the e-mail and the post.
    mail_reply = InboxMessage.objects.get(item=mine[0], direction="out", automatic=False).outbound_message
    assert mail_reply is not None
    assert mail_reply.state == OutboundMessage.State.FAILED and mail_reply.last_error == "erased on request"
    post_reply = InboxMessage.objects.get(item=mine[2], direction="out").outbound_post
    assert post_reply is not None
    assert post_reply.state == OutboundPost.State.FAILED and post_reply.text == ""
    # Someone else's conversation is untouched.
    other = conversations["other"]
    other.refresh_from_db()
    assert other.sender == "neighbour@example.net" and other.messages.get().body == "When is trash day on Elm St?"
    # Writing again starts a new conversation: nothing threads onto the anonymised one.
    again = email(
        customer.jurisdiction, mailbox, key="1-again", at=T0 + dt.timedelta(days=4), in_reply_to=["<m1@mail.example>"]
    )
    assert again.pk not in ids


def test_the_export_after_erasure_holds_nothing_personal(conversations, customer, staff):
    retention.erase_customer(customer, actor=staff)
    # The customer link stays on the anonymised conversations (the counts); what they say is gone.
    rows = inbox_data.export_items(InboxItem.objects.filter(pk__in=[item.pk for item in conversations["mine"]]), str)
    assert len(rows) == 4
    assert holds_personal_data(json.dumps(rows).lower()) == []


def test_a_resident_who_is_not_a_customer_is_exported_and_erased_by_their_handle(
    jurisdiction, webhook_source, mailbox, staff, agent
):
    first = post(jurisdiction, webhook_source, key="1")
    post(jurisdiction, webhook_source, key="2", at=T0 + dt.timedelta(hours=5))
    stranger = post(jurisdiction, webhook_source, handle="@other@mastodon.example", key="3")
    with pytest.raises(PermissionDenied):
        export_sender(jurisdiction, "social", HANDLE, network="mastodon", actor=agent)
    with pytest.raises(PermissionDenied):
        retention.erase_sender(jurisdiction, "social", HANDLE, network="mastodon", actor=agent)
    assert first.sender == HANDLE  # nothing changed by the refusals
    assert not PersonalDataAccess.objects.exists()

    data = export_sender(jurisdiction, "social", HANDLE.upper(), network="mastodon", actor=staff)
    assert len(data["inbox_conversations"]) == 2

    assert retention.erase_sender(jurisdiction, "social", HANDLE, network="mastodon", actor=staff) == 2
    erased = dump(InboxItem.objects.exclude(pk=stranger.pk), InboxMessage.objects.exclude(item=stranger))
    assert holds_personal_data(erased) == []
    stranger.refresh_from_db()
    assert stranger.sender == "@other@mastodon.example"
    assert list(PersonalDataAccess.objects.values_list("purpose", "customer")) == [("erase", None), ("export", None)]


# --- the nightly sweep ------------------------------------------------------------------------------------------


def finished(item, agent, at):
    return inbox.finish(item, agent=agent, now=at)


def test_the_sweep_anonymises_conversations_done_longer_ago_than_the_window(
    jurisdiction, mailbox, sms_number, webhook_source, agent, caplog
):
    done = finished(email(jurisdiction, mailbox), agent, T0 + dt.timedelta(hours=2))
    still_open = text(jurisdiction, sms_number, at=T0)  # old, but nobody finished it
    waiting = post(jurisdiction, webhook_source, at=T0)
    inbox.reply(waiting, "Which lamp?", agent=agent, now=T0 + dt.timedelta(hours=1))
    expires = done.done_at + dt.timedelta(days=inbox_data.DEFAULT_RETAIN_INBOX_DAYS)

    assert retention.anonymise_expired(now=expires - dt.timedelta(seconds=1))["inbox_items"] == 0
    done.refresh_from_db()
    assert done.sender == "PQ@example.org"

    assert retention.anonymise_expired(now=expires, dry_run=True)["inbox_items"] == 1
    with caplog.at_level(logging.INFO, logger="civic311.privacy.retention"):
        assert retention.anonymise_expired(now=expires)["inbox_items"] == 1
    assert "inbox_items=1" in caplog.text and "example.org" not in caplog.text
    done.refresh_from_db()
    assert (done.sender, done.sender_name, done.subject, done.status) == ("", "", "", "done")
    assert holds_personal_data(dump(InboxMessage.objects.filter(item=done))) == []
    for untouched in (still_open, waiting):
        untouched.refresh_from_db()
        assert untouched.sender
    # Run again: nothing left to do.
    assert retention.anonymise_expired(now=expires)["inbox_items"] == 0


def test_a_conversation_written_to_again_waits_for_its_new_end(jurisdiction, mailbox, agent):
    item = finished(email(jurisdiction, mailbox), agent, T0)
    later = T0 + dt.timedelta(days=200)
    email(jurisdiction, mailbox, key="2", at=later, in_reply_to=["<m1@mail.example>"])  # reopens it
    item.refresh_from_db()
    assert item.status == "new"
    assert retention.anonymise_expired(now=T0 + dt.timedelta(days=400))["inbox_items"] == 0
    finished(item, agent, later + dt.timedelta(hours=1))
    assert retention.anonymise_expired(now=later + dt.timedelta(days=366))["inbox_items"] == 1


@override_settings(CIVIC311_RETAIN_INBOX_DAYS=30)
def test_the_window_is_a_setting(jurisdiction, mailbox, agent):
    item = finished(email(jurisdiction, mailbox), agent, T0)
    assert retention.anonymise_expired(now=T0 + dt.timedelta(days=29))["inbox_items"] == 0
    assert retention.anonymise_expired(now=T0 + dt.timedelta(days=30))["inbox_items"] == 1
    item.refresh_from_db()
    assert item.sender == ""


def test_the_commands_work_from_an_item_number_so_no_handle_lands_in_the_shell(
    jurisdiction, webhook_source, staff, agent, tmp_path
):
    first = post(jurisdiction, webhook_source, key="1")
    post(jurisdiction, webhook_source, key="2")
    target = tmp_path / "export.json"
    call_command(
        "export_inbox_sender", str(first.pk), "--actor", staff.username, "--output", str(target), stdout=io.StringIO()
    )
    assert len(json.loads(target.read_text())["inbox_conversations"]) == 2
    with pytest.raises(CommandError):
        call_command("erase_inbox_sender", str(first.pk), "--actor", agent.username)
    out = io.StringIO()
    call_command("erase_inbox_sender", str(first.pk), "--actor", staff.username, stdout=out)
    assert "2 inbox conversations" in out.getvalue()
    with pytest.raises(CommandError, match="anonymised"):
        call_command("erase_inbox_sender", str(first.pk), "--actor", staff.username)
    assert list(PersonalDataAccess.objects.order_by("pk").values_list("purpose", "where")) == [
        ("export", "command"),
        ("erase", "command"),
    ]
