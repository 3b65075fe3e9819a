"""Working a post: a reply to a post we have joins its conversation; the agent's reply goes out through the
social outbox in reply to the latest post, from the source's account; what cannot be posted is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from civic311.inbox.models import InboxItem, InboxMessage, PostSource
from civic311.inbox.post_sources import Post
from civic311.inbox.services import social, working
from civic311.social import services as social_outbox
from civic311.social.models import OutboundPost

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
FIRST = Post(
    uri="https://example.social/users/ana/statuses/1",
    text="Pothole on Elm & 5th, please fix it",
    author_handle="@ana@example.social",
    author_name="Ana",
    posted_at=NOW - dt.timedelta(hours=1),
)


@pytest.fixture
def outbox_file(settings, tmp_path):
    settings.CIVIC311_SOCIAL_BACKEND = "civic311.social.providers.FileSocialBackend"
    settings.CIVIC311_SOCIAL_FILE = str(tmp_path / "social-outbox.jsonl")
    return tmp_path / "social-outbox.jsonl"


def test_a_reply_to_a_known_post_threads_and_an_unrelated_post_does_not(webhook_source):
    first = social.receive_post(webhook_source, FIRST, now=NOW)
    assert first.created and first.new_item
    reply = Post(
        uri="https://example.social/users/bo/statuses/2",
        text="Me too",
        author_handle="@bo@x.example",
        in_reply_to=FIRST.uri,
    )
    threaded = social.receive_post(webhook_source, reply, now=NOW)
    assert threaded.item == first.item and not threaded.new_item
    other = social.receive_post(webhook_source, Post(uri="3", text="Elsewhere", author_handle="@cy@x"), now=NOW)
    assert other.item != first.item
    again = social.receive_post(webhook_source, FIRST, now=NOW)
    assert not again.created and InboxMessage.objects.count() == 3


def test_the_agents_reply_goes_through_the_social_outbox_in_reply_to_the_latest_post(
    webhook_source, agent, outbox_file, django_capture_on_commit_callbacks
):
    item = social.receive_post(webhook_source, FIRST, now=NOW).item
    later = Post(
        uri="https://example.social/users/ana/statuses/9",
        text="Photo attached",
        author_handle="@ana@example.social",
        in_reply_to=FIRST.uri,
        posted_at=NOW - dt.timedelta(minutes=30),
    )
    social.receive_post(webhook_source, later, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        message = working.reply(item, "Thank you, a crew is on its way.", agent=agent, now=NOW)
    post = message.outbound_post
    assert post is not None
    assert (post.network, post.account, post.text, post.in_reply_to) == (
        "mastodon",
        "@city311@example.social",
        "Thank you, a crew is on its way.",
        later.uri,
    )
    assert post.dedup_key == f"inbox-reply:{message.pk}"
    post.refresh_from_db()
    assert post.state == OutboundPost.State.SENT
    [line] = [json.loads(text) for text in outbox_file.read_text(encoding="utf-8").splitlines()]
    assert line["in_reply_to"] == later.uri and line["account"] == "@city311@example.social"
    item.refresh_from_db()
    assert item.status == InboxItem.Status.WAITING and item.first_response_at == NOW


def test_a_reply_too_long_for_the_network_is_refused_and_nothing_is_written(webhook_source, agent):
    item = social.receive_post(webhook_source, FIRST, now=NOW).item
    with pytest.raises(ValidationError) as refused:
        working.reply(item, "a" * 501, agent=agent, now=NOW)  # Mastodon: 500
    assert "text" in refused.value.message_dict
    assert not OutboundPost.objects.exists()
    assert not item.messages.filter(direction=InboxMessage.Direction.OUT).exists()


def test_an_item_whose_source_names_no_network_cannot_be_answered(jurisdiction, agent):
    feed = PostSource.objects.create(jurisdiction=jurisdiction, name="Forum", kind=PostSource.Kind.FEED)
    item = social.receive_post(feed, FIRST, now=NOW).item
    with pytest.raises(ValidationError) as refused:
        working.reply(item, "Thanks", agent=agent, now=NOW)
    assert "names no social network" in refused.value.messages[0]
    assert not OutboundPost.objects.exists()
    assert social.requester_handle(item) == "@ana@example.social"


def test_the_requester_handle_is_the_network_and_the_handle(webhook_source):
    item = social.receive_post(webhook_source, FIRST, now=NOW).item
    assert social.requester_handle(item) == "mastodon:@ana@example.social"


def test_queue_post_stores_in_reply_to(jurisdiction):
    queued = social_outbox.queue_post(jurisdiction, "bluesky", "Hi", dedup_key="k", in_reply_to="at://did:plc:a/p/1")
    assert queued is not None and queued.in_reply_to == "at://did:plc:a/p/1"
