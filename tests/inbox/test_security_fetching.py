"""Security: the polled social sources (feeds, Mastodon, Bluesky) never make the server fetch an internal
address (server-side request forgery), by the URL a manager typed or by a redirect the remote server sends."""

from __future__ import annotations

import datetime as dt

import pytest
import responses

from civic311.inbox.models import InboxItem, PostSource
from civic311.inbox.post_sources import fetching, polling

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
PUBLIC = "93.184.215.14"
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>https://feed.example/1</guid><title>Pothole on Main</title><link>https://feed.example/1</link>
</item></channel></rss>"""


@pytest.fixture
def addresses(monkeypatch):
    """Host name → the addresses it resolves to (no real look-up)."""
    table: dict[str, list[str]] = {"feed.example": [PUBLIC], "cdn.feed.example": [PUBLIC]}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("not found")
        return table[host]

    monkeypatch.setattr(fetching, "resolve", resolve)
    return table


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def feed_source(jurisdiction, url: str) -> PostSource:
    return PostSource.objects.create(jurisdiction=jurisdiction, name="feed", kind=PostSource.Kind.FEED, url=url)


@pytest.mark.parametrize(
    ("url", "host", "resolves_to"),
    [
        ("http://127.0.0.1:8000/admin/", "127.0.0.1", ["127.0.0.1"]),
        ("http://localhost/feed", "localhost", ["127.0.0.1"]),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", ["169.254.169.254"]),
        ("http://10.0.0.5/feed", "10.0.0.5", ["10.0.0.5"]),
        ("http://192.168.1.1/feed", "192.168.1.1", ["192.168.1.1"]),
        ("http://[::1]/feed", "::1", ["::1"]),
        ("http://[::ffff:127.0.0.1]/feed", "::ffff:127.0.0.1", ["::ffff:127.0.0.1"]),
        ("http://0.0.0.0/feed", "0.0.0.0", ["0.0.0.0"]),  # noqa: S104
        ("http://intranet.example/feed", "intranet.example", ["10.1.2.3"]),
        ("http://mixed.example/feed", "mixed.example", [PUBLIC, "172.16.0.9"]),
    ],
)
def test_a_source_on_an_internal_address_is_never_fetched(jurisdiction, addresses, mocked, url, host, resolves_to):
    addresses[host] = resolves_to
    source = feed_source(jurisdiction, url)
    mocked.get(url, body=FEED)
    assert polling.poll_all(now=NOW) == 0
    source.refresh_from_db()
    assert source.last_error == "not a public address"
    assert len(mocked.calls) == 0
    assert not InboxItem.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://feed.example/feed", "gopher://feed.example/", "http://user:pw@feed.example/feed"],
)
def test_a_source_that_is_not_a_plain_http_url_is_never_fetched(jurisdiction, addresses, mocked, url):
    source = feed_source(jurisdiction, url)
    polling.poll_all(now=NOW)
    source.refresh_from_db()
    assert source.last_error == "not an http(s) URL"
    assert len(mocked.calls) == 0


def test_a_redirect_to_an_internal_address_is_not_followed(jurisdiction, addresses, mocked):
    addresses["metadata.internal"] = ["169.254.169.254"]
    source = feed_source(jurisdiction, "https://feed.example/feed")
    mocked.get("https://feed.example/feed", status=302, headers={"Location": "http://metadata.internal/latest/"})
    internal = mocked.get("http://metadata.internal/latest/", body=FEED)
    polling.poll_all(now=NOW)
    source.refresh_from_db()
    assert source.last_error == "not a public address"
    assert internal.call_count == 0
    assert not InboxItem.objects.exists()


def test_a_redirect_to_a_public_address_is_followed_and_a_loop_is_cut(jurisdiction, addresses, mocked):
    feed = feed_source(jurisdiction, "https://feed.example/feed")
    mocked.get("https://feed.example/feed", status=301, headers={"Location": "https://cdn.feed.example/feed"})
    mocked.get("https://cdn.feed.example/feed", body=FEED)
    assert polling.poll_all(now=NOW) == 1
    feed.refresh_from_db()
    assert feed.last_error == ""

    mocked.get("https://feed.example/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(fetching.SourceError, match="too many redirects"):
        fetching.get("https://feed.example/loop")


def test_a_host_that_does_not_resolve_is_an_error_not_a_crash(jurisdiction, addresses, mocked):
    source = feed_source(jurisdiction, "https://nowhere.example/feed")
    polling.poll_all(now=NOW)
    source.refresh_from_db()
    assert source.last_error == "host not found"


def test_a_city_may_allow_its_own_network_explicitly(jurisdiction, addresses, mocked, settings):
    settings.CIVIC311_POST_SOURCES_ALLOW_PRIVATE = True
    addresses["intranet.example"] = ["10.1.2.3"]
    feed_source(jurisdiction, "http://intranet.example/feed")
    mocked.get("http://intranet.example/feed", body=FEED)
    assert polling.poll_all(now=NOW) == 1


@pytest.fixture
def loopback_feed():
    """A real HTTP server on 127.0.0.1 serving a feed (what a rebinding name would point the fetch at)."""
    import http.server
    import threading

    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_name_that_rebinds_to_loopback_between_check_and_connection_is_not_read(
    jurisdiction, monkeypatch, loopback_feed
):
    # The check is told the name is public; the connection (to the IP literal, as a rebound name would) lands
    # on loopback. The answer is not read.
    monkeypatch.setattr(fetching, "resolve", lambda host, port: [PUBLIC])
    source = feed_source(jurisdiction, f"http://127.0.0.1:{loopback_feed}/feed")
    assert polling.poll_all(now=NOW) == 0
    source.refresh_from_db()
    assert source.last_error == "not a public address"
    assert not InboxItem.objects.exists()


def test_a_feed_on_loopback_is_read_when_the_city_allows_private_addresses(
    jurisdiction, monkeypatch, loopback_feed, settings
):
    settings.CIVIC311_POST_SOURCES_ALLOW_PRIVATE = True
    feed_source(jurisdiction, f"http://127.0.0.1:{loopback_feed}/feed")
    assert polling.poll_all(now=NOW) == 1
