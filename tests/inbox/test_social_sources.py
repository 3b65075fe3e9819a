"""The polled social media sources (RSS/Atom feeds, a Mastodon hashtag, a Bluesky search) against recorded
responses: what a post becomes, the cursor (a second poll reads only what is new), errors recorded on the
source, and the interval between polls. Nothing reaches the network (`responses` refuses any other URL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import pytest
import requests
import responses
from responses import matchers

from civic311.inbox.models import InboxItem, InboxMessage, PostSource
from civic311.inbox.post_sources import fetching, polling

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "data" / "inbox"
NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
FEED_URL = "https://forum.example.org/feed.xml"
MASTODON_TIMELINE = "https://mastodon.example/api/v1/timelines/tag/springfield311"
BLUESKY_SEARCH = "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture(autouse=True)
def public_hosts(monkeypatch):
    """The recorded hosts resolve to a public address (nothing is looked up: the fetch's address check runs)."""
    monkeypatch.setattr(fetching, "resolve", lambda host, port: ["93.184.215.14"])


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def no_feedparser_fetching(monkeypatch):
    """feedparser is given bytes, never a URL: its own HTTP client must never run."""

    def refuse(*args, **kwargs):
        raise AssertionError("feedparser fetched a URL itself")

    monkeypatch.setattr(feedparser.http, "get", refuse)


def source(jurisdiction, kind, **fields) -> PostSource:
    return PostSource.objects.create(jurisdiction=jurisdiction, name=f"{kind} source", kind=kind, **fields)


@pytest.fixture
def feed(jurisdiction):
    return source(jurisdiction, PostSource.Kind.FEED, url=FEED_URL)


@pytest.fixture
def mastodon(jurisdiction):
    return source(
        jurisdiction,
        PostSource.Kind.MASTODON,
        url="https://mastodon.example",
        query="#springfield311",
        network="mastodon",
        account="@springfield311@mastodon.example",
    )


@pytest.fixture
def bluesky(jurisdiction):
    return source(
        jurisdiction,
        PostSource.Kind.BLUESKY,
        url="https://public.api.bsky.app",
        query="springfield311",
        network="bluesky",
        account="springfield311.bsky.social",
    )


def messages() -> list[InboxMessage]:
    return list(InboxMessage.objects.select_related("item").order_by("sent_at", "pk"))


# --- RSS and Atom feeds ------------------------------------------------------------------------------------


def test_a_feed_is_read_and_a_second_poll_reads_only_new_entries(feed, mocked, no_feedparser_fetching):
    mocked.get(
        FEED_URL,
        body=data("feed_first.xml"),
        headers={"ETag": '"v1"', "Last-Modified": "Sun, 06 Dec 2026 09:00:00 GMT"},
    )
    assert polling.poll(feed, now=NOW) == 2
    first, second = messages()
    assert (first.external_id, second.external_id) == ("forum-post-100", "forum-post-101")  # oldest first
    assert second.body == "Pothole on Elm Street\nThere is a deep pothole at Elm & 5th.\nCars swerve around it."
    assert second.link == "https://forum.example.org/t/101"
    assert (second.lat, second.long) == (39.9526, -75.1652)
    assert second.media_urls == ["https://forum.example.org/uploads/pothole.jpg"]
    assert second.item.sender == "ana@example.org (Ana)" and second.item.channel == "social"
    assert second.sent_at == dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    assert first.item.sender == "feed source"  # an entry without an author: the source's name
    feed.refresh_from_db()
    assert feed.cursor["etag"] == '"v1"' and feed.last_polled_at == NOW and feed.last_error == ""

    mocked.replace(
        responses.GET,
        FEED_URL,
        body=data("feed_second.xml"),
        headers={"ETag": '"v2"'},
        match=[
            matchers.header_matcher({"If-None-Match": '"v1"', "If-Modified-Since": "Sun, 06 Dec 2026 09:00:00 GMT"})
        ],
    )
    assert polling.poll(feed, now=NOW + dt.timedelta(minutes=5)) == 1
    newest = messages()[-1]
    assert newest.external_id == "forum-post-102"
    assert newest.media_urls == ["https://forum.example.org/uploads/wall.png"]
    assert InboxMessage.objects.count() == 3

    mocked.replace(responses.GET, FEED_URL, status=304, match=[matchers.header_matcher({"If-None-Match": '"v2"'})])
    assert polling.poll(feed, now=NOW + dt.timedelta(minutes=10)) == 0
    feed.refresh_from_db()
    assert feed.cursor["etag"] == '"v2"' and feed.last_error == ""


def test_an_atom_feed_entry_becomes_a_post(feed, mocked, no_feedparser_fetching):
    mocked.get(FEED_URL, body=data("feed_atom.xml"))
    assert polling.poll(feed, now=NOW) == 1
    [message] = messages()
    assert message.external_id == "tag:news.example.org,2026:entry-7"
    assert message.body.startswith("Basura sin recoger en la calle Pine\nLa basura no se ha recogido")
    assert message.item.sender == "Lucía Gómez"
    assert message.item.language == "es"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"body": requests.ConnectionError("refused")}, "connection failed (ConnectionError)"),
        ({"body": requests.Timeout("slow")}, "timed out"),
        ({"body": b"<html><body>Not a feed"}, "not an RSS or Atom feed"),
        ({"body": b"x", "headers": {"Content-Length": str(50 * 1024 * 1024)}}, "response too large"),
    ],
)
def test_a_feed_that_cannot_be_read_is_recorded_and_keeps_its_cursor(feed, mocked, response, error):
    feed.cursor = {"etag": '"v1"'}
    feed.save()
    mocked.get(FEED_URL, **response)
    assert polling.poll_all(now=NOW) == 0  # never raises
    feed.refresh_from_db()
    assert feed.last_error == error and feed.last_polled_at == NOW
    assert feed.cursor == {"etag": '"v1"'}
    assert not InboxItem.objects.exists()


# --- Mastodon -----------------------------------------------------------------------------------------------


def test_a_mastodon_hashtag_is_read_threaded_and_then_read_from_its_cursor(mastodon, mocked):
    mocked.get(
        MASTODON_TIMELINE, json=_json("mastodon_tag_first.json"), match=[matchers.query_param_matcher({"limit": "40"})]
    )
    assert polling.poll(mastodon, now=NOW) == 2
    first, reply = messages()
    assert first.external_id == "https://mastodon.example/users/ana/statuses/113600000000000001"
    assert first.body == "Huge pothole on Elm & 5th,\nplease fix it! #springfield311"
    assert first.link == "https://mastodon.example/@ana/113600000000000001"
    assert first.media_urls == ["https://files.mastodon.example/media/pothole.jpg"]
    item = first.item
    assert (item.sender, item.sender_name, item.network, item.source) == (
        "@ana@mastodon.example",
        "Ana Reyes",
        "mastodon",
        mastodon,
    )
    assert reply.item == item and reply.in_reply_to == [first.external_id]  # the reply joined its post
    mastodon.refresh_from_db()
    assert mastodon.cursor["since_id"] == "113600000000000002"

    mocked.replace(
        responses.GET,
        MASTODON_TIMELINE,
        json=_json("mastodon_tag_second.json"),
        match=[matchers.query_param_matcher({"limit": "40", "min_id": "113600000000000002"})],
    )
    assert polling.poll(mastodon, now=NOW + dt.timedelta(minutes=5)) == 1
    newest = messages()[-1]
    assert newest.item.sender == "@bo@other.example" and newest.item != item  # a remote account keeps its server
    mastodon.refresh_from_db()
    assert mastodon.cursor["since_id"] == "113600000000000007"


def test_a_mastodon_server_that_answers_nonsense_is_recorded(mastodon, mocked):
    mocked.get(MASTODON_TIMELINE, json={"error": "This method requires an authenticated user"})
    assert polling.poll(mastodon, now=NOW) == 0
    mastodon.refresh_from_db()
    assert mastodon.last_error == "not a Mastodon timeline" and mastodon.cursor == {}


# --- Bluesky ------------------------------------------------------------------------------------------------


def test_a_bluesky_search_is_read_threaded_and_then_read_from_its_cursor(bluesky, mocked):
    mocked.get(
        BLUESKY_SEARCH,
        json=_json("bluesky_search_first.json"),
        match=[matchers.query_param_matcher({"q": "springfield311", "sort": "latest", "limit": "50"})],
    )
    assert polling.poll(bluesky, now=NOW) == 2
    first, reply = messages()
    assert first.external_id == "at://did:plc:abc123/app.bsky.feed.post/3lbfirst"
    assert first.body == "Pothole on Elm & 5th, Springfield #springfield311"
    assert first.link == "https://bsky.app/profile/ana.bsky.social/post/3lbfirst"
    assert first.media_urls == ["https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:abc123/bafyimg@jpeg"]
    assert (first.item.sender, first.item.network) == ("@ana.bsky.social", "bluesky")
    assert reply.item == first.item  # a reply to a post we have joins it
    bluesky.refresh_from_db()
    assert bluesky.cursor["newest"] == "2026-12-06T09:10:00Z"

    mocked.replace(
        responses.GET,
        BLUESKY_SEARCH,
        json=_json("bluesky_search_second.json"),
        match=[
            matchers.query_param_matcher(
                {"q": "springfield311", "sort": "latest", "limit": "50", "since": "2026-12-06T09:10:00Z"}
            )
        ],
    )
    assert polling.poll(bluesky, now=NOW + dt.timedelta(minutes=5)) == 1  # the reply, read again, is not new
    assert messages()[-1].item.sender == "@bo.example.com"
    assert InboxMessage.objects.count() == 3


def test_a_bluesky_error_is_recorded_and_the_other_sources_are_still_polled(bluesky, mastodon, mocked):
    mocked.get(BLUESKY_SEARCH, status=403)
    mocked.get(MASTODON_TIMELINE, json=_json("mastodon_tag_second.json"))
    assert polling.poll_all(now=NOW) == 1
    bluesky.refresh_from_db()
    mastodon.refresh_from_db()
    assert bluesky.last_error == "HTTP 403" and mastodon.last_error == ""


# --- the interval -------------------------------------------------------------------------------------------


def test_a_source_is_polled_once_its_interval_has_passed(mastodon, feed, jurisdiction, mocked, settings):
    settings.CIVIC311_POST_POLL_MINUTES = 5
    source(jurisdiction, PostSource.Kind.BLUESKY, query="x", is_active=False)  # never polled
    source(jurisdiction, PostSource.Kind.CSV)  # pushed, not polled
    mocked.get(MASTODON_TIMELINE, json=[])
    mocked.get(FEED_URL, body=data("feed_first.xml"))
    polling.poll_all(now=NOW)
    assert len(mocked.calls) == 2
    polling.poll_all(now=NOW + dt.timedelta(minutes=2))
    assert len(mocked.calls) == 2  # too soon
    polling.poll_all(now=NOW + dt.timedelta(minutes=5))
    assert len(mocked.calls) == 4


def _json(name: str):
    import json

    return json.loads(data(name))


def test_a_source_that_breaks_unexpectedly_is_recorded_and_never_raises(mastodon, feed, mocked, monkeypatch):
    class Broken:
        def read(self, source, *, now):
            raise RuntimeError("@ana@example.social wrote something")  # must not reach the stored error

    monkeypatch.setitem(polling.STREAMS, PostSource.Kind.MASTODON, Broken)
    mocked.get(FEED_URL, body=data("feed_first.xml"))
    assert polling.poll_all(now=NOW) == 2  # the feed was still read
    mastodon.refresh_from_db()
    assert mastodon.last_error == "unexpected error (RuntimeError)" and mastodon.last_polled_at == NOW


def test_a_flooding_author_is_refused_and_said_so_on_the_source(mastodon, mocked, monkeypatch):
    from civic311 import rate_limits
    from civic311.inbox.services import receiving

    monkeypatch.setattr(receiving, "SENDER_RATE", rate_limits.Rate("inbox-sender", 1, 600))
    mocked.get(MASTODON_TIMELINE, json=_json("mastodon_tag_first.json"))  # two posts by the same author
    assert polling.poll(mastodon, now=NOW) == 1
    mastodon.refresh_from_db()
    assert mastodon.last_error == "some posts refused: too many from one author"
