"""The signed JSON webhook for posts: a good request lands its posts, and every bad one (forged, stale,
replayed, malformed, oversize, a flood, an unknown token) is refused with its status and writes nothing."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from civic311 import rate_limits
from civic311.inbox import post_hooks, signatures
from civic311.inbox.models import InboxItem, InboxMessage, PostSource
from civic311.inbox.post_sources import webhook
from civic311.inbox.services import receiving

pytestmark = pytest.mark.django_db

SECRET = "post-secret"


def post(uri="https://example.social/@ana/1", text="Pothole on Elm & 5th", handle="@ana@example.social", **extra):
    return {"uri": uri, "text": text, "author": {"handle": handle, "name": "Ana"}, **extra}


def body_of(*posts) -> bytes:
    return json.dumps({"posts": list(posts)}).encode()


def send(client, source, body: bytes, *, secret=SECRET, timestamp=None, signature=None):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    signature = signature or webhook.signature_of(secret, timestamp, body)
    return client.post(
        reverse("inbox:post_hook", args=[source.webhook_token]),
        data=body,
        content_type="application/json",
        headers={"X-Civic311-Timestamp": timestamp, "X-Civic311-Signature": signature},
    )


def test_good_posts_land_in_the_inbox_and_a_repeat_counts_as_duplicates(client, webhook_source):
    first = post(
        posted_at="2026-12-06T09:00:00Z",
        link="https://example.social/@ana/1",
        location={"lat": 39.95, "long": -75.16},
        media=["https://example.social/media/1.jpg"],
    )
    reply = post(uri="https://example.social/@ana/2", text="Still there", in_reply_to=first["uri"])
    response = send(client, webhook_source, body_of(first, reply))
    assert response.status_code == 200
    assert response.json() == {"received": 2, "duplicates": 0}
    item = InboxItem.objects.get()
    assert (item.channel, item.sender, item.sender_name, item.network, item.source) == (
        "social",
        "@ana@example.social",
        "Ana",
        "mastodon",
        webhook_source,
    )
    landed, answer = item.messages.order_by("pk")
    assert (landed.external_id, landed.body, landed.link) == (first["uri"], first["text"], first["link"])
    assert (landed.lat, landed.long, landed.media_urls) == (39.95, -75.16, ["https://example.social/media/1.jpg"])
    assert answer.in_reply_to == [first["uri"]]  # a reply to a post we have joins its conversation

    # A new signed request with the same posts (signed a second later: the same second would be a replay).
    again = send(client, webhook_source, body_of(first, reply), timestamp=str(int(time.time()) + 1))
    assert again.status_code == 200 and again.json() == {"received": 0, "duplicates": 2}
    assert InboxMessage.objects.count() == 2


@pytest.mark.parametrize(
    "forge",
    [
        {"secret": "not-the-secret"},
        {"signature": "sha256=" + "0" * 64},
        {"signature": "deadbeef"},
    ],
)
def test_a_forged_signature_is_refused(client, webhook_source, forge):
    response = send(client, webhook_source, body_of(post()), **forge)
    assert response.status_code == 403
    assert not InboxItem.objects.exists()


def test_a_signed_body_changed_on_the_way_is_refused(client, webhook_source):
    timestamp = str(int(time.time()))
    signature = webhook.signature_of(SECRET, timestamp, body_of(post()))
    response = send(client, webhook_source, body_of(post(text="Changed")), timestamp=timestamp, signature=signature)
    assert response.status_code == 403 and not InboxItem.objects.exists()


def test_a_source_without_a_secret_refuses_everything(client, webhook_source):
    webhook_source.signing_secret = ""
    webhook_source.save()
    assert send(client, webhook_source, body_of(post()), secret="").status_code == 403


@pytest.mark.parametrize("age", [signatures.FRESH_SECONDS + 60, -(signatures.FRESH_SECONDS + 60)])
def test_a_stale_request_is_refused_even_when_signed(client, webhook_source, age):
    response = send(client, webhook_source, body_of(post()), timestamp=str(int(time.time()) - age))
    assert response.status_code == 403 and not InboxItem.objects.exists()


def test_a_replayed_request_is_refused(client, webhook_source):
    body = body_of(post())
    timestamp = str(int(time.time()))
    assert send(client, webhook_source, body, timestamp=timestamp).status_code == 200
    replay = send(client, webhook_source, body, timestamp=timestamp)
    assert replay.status_code == 409 and "error" in replay.json()
    assert InboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (json.dumps([post()]).encode(), '"posts"'),
        (body_of(post(), {"uri": "x", "text": "no author"}), "posts[1].author"),
        (body_of(post(), post(uri="2", handle="")), "posts[1].author.handle is required"),
        (body_of(post(text=None)), "posts[0].text is required"),
        (body_of(post(text=5)), "posts[0].text must be text"),
        (body_of(post(text="a\x00b")), "NUL"),
        (body_of(post(location={"lat": 95, "long": 0})), "out of range"),
        (body_of(post(location={"lat": 40})), "both lat and long"),
        (body_of(post(location={"lat": "north", "long": 0})), "must be a number"),
        (body_of(post(posted_at="yesterday")), "ISO 8601"),
        (body_of(post(link="javascript:alert(1)")), "http(s) URL"),
        (body_of(post(media="https://example.social/1.jpg")), "list of URLs"),
        (body_of(post(uri="u" * 501)), "longer than 500"),
    ],
)
def test_a_malformed_body_is_refused_and_nothing_is_written(client, webhook_source, body, said):
    response = send(client, webhook_source, body)
    assert response.status_code == 400
    assert said in response.json()["error"]
    assert not InboxItem.objects.exists()  # the good first post was not received either


def test_an_oversize_body_or_batch_is_refused(client, webhook_source):
    huge = body_of(post(text="x" * (webhook.MAX_BODY_BYTES + 10)))
    assert send(client, webhook_source, huge).status_code == 413
    many = body_of(*(post(uri=f"u{n}") for n in range(webhook.MAX_POSTS + 1)))
    assert len(many) < webhook.MAX_BODY_BYTES
    assert send(client, webhook_source, many).status_code == 413
    assert not InboxItem.objects.exists()


def test_a_flood_from_one_author_is_refused_whole_and_can_be_sent_again(client, webhook_source, monkeypatch):
    monkeypatch.setattr(receiving, "SENDER_RATE", rate_limits.Rate("inbox-sender", 2, 600))
    body = body_of(*(post(uri=f"u{n}") for n in range(3)))
    timestamp = str(int(time.time()))
    flooded = send(client, webhook_source, body, timestamp=timestamp)
    assert flooded.status_code == 429 and int(flooded["Retry-After"]) > 0
    assert not InboxMessage.objects.exists()  # the first two were rolled back with the third
    monkeypatch.setattr(receiving, "SENDER_RATE", rate_limits.Rate("inbox-sender", 30, 600))
    # The refused request was not remembered as used: the sender retries it as is.
    assert send(client, webhook_source, body, timestamp=timestamp).status_code == 200
    assert InboxMessage.objects.count() == 3


def test_a_flood_of_requests_is_refused(client, webhook_source, monkeypatch):
    monkeypatch.setattr(post_hooks, "REQUEST_RATE", rate_limits.Rate("inbox-post-hook", 1, 60))
    assert send(client, webhook_source, body_of(post())).status_code == 200
    second = send(client, webhook_source, body_of(post(uri="2")))
    assert second.status_code == 429 and "Retry-After" in second


def test_unknown_inactive_or_other_kind_tokens_are_404(client, webhook_source, jurisdiction):
    assert send(client, PostSource(webhook_token="nope"), body_of(post())).status_code == 404
    feed = PostSource.objects.create(
        jurisdiction=jurisdiction, name="feed", kind=PostSource.Kind.FEED, signing_secret=SECRET
    )
    assert send(client, feed, body_of(post())).status_code == 404
    webhook_source.is_active = False
    webhook_source.save()
    assert send(client, webhook_source, body_of(post())).status_code == 404
    assert not InboxItem.objects.exists()


def test_only_post_is_accepted(client, webhook_source):
    assert client.get(reverse("inbox:post_hook", args=[webhook_source.webhook_token])).status_code == 405


def test_unsigned_requests_do_not_use_up_the_senders_allowance(client, webhook_source, monkeypatch):
    monkeypatch.setattr(post_hooks, "REQUEST_RATE", rate_limits.Rate("inbox-post-hook", 2, 60))
    for number in range(5):  # whoever has the URL but not the secret
        assert send(client, webhook_source, body_of(post(uri=f"f{number}")), secret="guess").status_code == 403
    assert send(client, webhook_source, body_of(post())).status_code == 200
