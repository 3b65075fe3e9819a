"""The one rate limit (civic311/rate_limits.py): counted in the shared cache, per real client address
behind the trusted reverse proxy, and what the public site answers when a write is one too many."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.test import RequestFactory, override_settings
from django.urls import reverse

from civic311 import rate_limits
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import ServiceRequest

from .factories import filed_request

DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "civic311_cache", "TIMEOUT": 7200}
}


# --- who is asking --------------------------------------------------------------------------------------


def asking(remote: str, forwarded: str | None = None):
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # No proxy in front: the peer is the client, whatever header it sends.
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
        # Behind the proxy on this host: the address the proxy appended.
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        # An IPv6 client is its /64 (one home or phone has them all); an IPv4-mapped address is IPv4.
        ("::1", "2001:db8::5", "2001:db8::/64"),
        ("2001:db8:7:8:1234:5678:9abc:def0", None, "2001:db8:7:8::/64"),
        ("::1", "::ffff:198.51.100.1", "198.51.100.1"),
        ("::ffff:127.0.0.1", "198.51.100.1", "198.51.100.1"),  # gunicorn on a dual-stack [::] socket
        # A proxy that adds the client's port: the port is not part of who the client is.
        ("127.0.0.1", "198.51.100.1:51234", "198.51.100.1"),
        ("127.0.0.1", "[2001:db8::5]:443", "2001:db8::/64"),
        ("127.0.0.1:8123", "198.51.100.1", "198.51.100.1"),
        # A client's own X-Forwarded-For is left of what the proxy appended, and ignored.
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # Two trusted proxies (10.0.0.0/8 in the setting below): the right-most untrusted hop.
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        # Only trusted hops: the first of them.
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),
        ("127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_the_client_is_the_right_most_address_no_trusted_proxy_vouches_for(settings, remote, forwarded, client):
    settings.CIVIC311_TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]
    assert rate_limits.client_address(asking(remote, forwarded)) == client


def test_an_ipv6_client_cannot_start_its_count_over_with_another_address_of_its_own(database_cache):
    # Each address of one /64 (what a home or phone is given), or each source port the proxy reports, was a
    # new count: unlimited public writes from one connection.
    rate = rate_limits.Rate("test", 2, 3600)
    clients = [asking(f"2001:db8:1:2::{n}") for n in range(1, 4)]
    clients += [asking("127.0.0.1", f"198.51.100.1:{port}") for port in range(40000, 40003)]
    with override_settings(CIVIC311_TRUSTED_PROXIES=["127.0.0.1"]):
        verdicts = [rate_limits.hit(rate, rate_limits.client_address(request)).allowed for request in clients]
    assert verdicts == [True, True, False, True, True, False]


def test_with_no_trusted_proxy_the_header_is_never_read(settings):
    settings.CIVIC311_TRUSTED_PROXIES = []
    assert rate_limits.client_address(asking("127.0.0.1", "198.51.100.1")) == "127.0.0.1"


# --- the mechanism, on the database cache every process shares -------------------------------------------


@pytest.fixture
def database_cache(db):
    with override_settings(CACHES=DATABASE_CACHE):
        call_command("createcachetable", verbosity=0)
        cache.clear()
        yield cache


def test_a_window_allows_its_limit_then_refuses_until_it_ends(database_cache):
    rate = rate_limits.Rate("test", 3, 60)
    now = 1_750_000_000.0
    verdicts = [rate_limits.hit(rate, "198.51.100.1", now=now) for _ in range(4)]
    assert [verdict.allowed for verdict in verdicts] == [True, True, True, False]
    assert [verdict.count for verdict in verdicts] == [1, 2, 3, 4]
    assert 1 <= verdicts[-1].retry_after <= 60
    assert not rate_limits.peek(rate, "198.51.100.1", now=now).allowed
    # Another client, and another scope, count apart.
    assert rate_limits.hit(rate, "198.51.100.2", now=now).allowed
    assert rate_limits.hit(rate_limits.Rate("other", 3, 60), "198.51.100.1", now=now).allowed
    # When the window ends, there is room again.
    later = now + verdicts[-1].retry_after
    assert rate_limits.hit(rate, "198.51.100.1", now=later).allowed


def test_the_count_is_in_the_shared_cache_not_in_the_process(database_cache):
    rate = rate_limits.Rate("test", 2, 3600)
    rate_limits.hit(rate, "198.51.100.1")
    rate_limits.hit(rate, "198.51.100.1")
    # What another process sees: the cache's table, with no address in it.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM civic311_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert len(keys) == 1 and "198.51.100.1" not in keys[0]
    # Nor a plain hash of it, which trying every IPv4 address would undo.
    assert hashlib.sha256(b"test\x00198.51.100.1").hexdigest()[:32] not in keys[0]
    assert not rate_limits.hit(rate, "198.51.100.1").allowed


@pytest.mark.django_db(transaction=True)
def test_counts_made_at_the_same_moment_are_all_counted(database_cache):
    # The database cache's incr() reads then writes: eight clients at once lost three counts in four, so a
    # limit let several times itself through. Threads have connections of their own (PostgreSQL, as in CI).
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database has no concurrent connections")
    rate = rate_limits.Rate("test", 1_000, 3600)
    start = threading.Barrier(6)

    def client():
        start.wait()
        try:
            for _ in range(20):
                rate_limits.hit(rate, "198.51.100.1")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rate_limits.peek(rate, "198.51.100.1").count == 120


def test_a_limit_of_zero_refuses_everything(database_cache):
    verdict = rate_limits.hit(rate_limits.Rate("paused", 0, 60), "anyone")
    assert not verdict.allowed and verdict.retry_after == 60


def test_forget_starts_a_count_over(database_cache):
    rate = rate_limits.Rate("test", 1, 600)
    rate_limits.hit(rate, "dana")
    assert not rate_limits.peek(rate, "dana").allowed
    rate_limits.forget(rate, "dana")
    assert rate_limits.peek(rate, "dana").allowed


# --- the public site's writes ----------------------------------------------------------------------------


def report(client, service, **extra):
    return client.post(
        reverse("public:report", args=[service.code]),
        {
            "description": "Mattresses on the sidewalk.",
            "lat": "39.9526",
            "long": "-75.1635",
            "idempotency_key": str(uuid.uuid4()),
        },
        **extra,
    )


def test_too_many_reports_from_one_address_get_the_form_back_with_a_429(client, settings, service, center_city):
    settings.CIVIC311_REPORTS_PER_HOUR = 2
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert report(client, service, **behind_proxy).status_code == 302
    assert report(client, service, **behind_proxy).status_code == 302
    refused = report(client, service, **behind_proxy)
    html = refused.content.decode()
    assert refused.status_code == 429
    assert "Too much has been sent from your connection in the last hour" in html
    assert "Mattresses on the sidewalk." in html  # what they typed is still there
    assert ServiceRequest.objects.count() == 2
    # Another resident behind the same proxy is not refused.
    assert report(client, service, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


def test_the_refusal_is_in_the_residents_language(client, settings, service, center_city):
    settings.CIVIC311_REPORTS_PER_HOUR = 0
    client.cookies["django_language"] = "es"
    refused = report(client, service)
    assert refused.status_code == 429
    assert '<html lang="es"' in refused.content.decode()
    assert ServiceRequest.objects.count() == 0


def test_too_many_comments_from_one_address_are_refused_with_a_429(client, settings, service, staff):
    settings.CIVIC311_COMMENTS_PER_HOUR = 1
    closed_at = dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC)
    filed = filed_request(service, now=closed_at - dt.timedelta(days=2), first_name="Pat", email="pat@example.org")
    service_request = requests_services.change_status(
        filed, Status.CLOSED, actor=staff, public_reason="Issue Resolved", now=closed_at
    )
    token = requests_services.resident_link_token(service_request)
    url = reverse("public:resident_followup", args=[service_request.tracking_number])
    with time_machine.travel(closed_at + dt.timedelta(days=1), tick=False):
        assert client.post(url, {"t": token, "comment": "Thanks!"}).status_code == 302
        refused = client.post(url, {"t": token, "comment": "Thanks again!"})
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Too much has been sent from your connection" in html and "Thanks again!" in html
    assert service_request.history.filter(text__contains="Thanks again").count() == 0


def test_following_counts_per_client_behind_the_proxy(client, settings, service):
    settings.NOTIFICATIONS_SUBSCRIBE_PER_HOUR = 1
    service_request = filed_request(service)
    url = reverse("notifications:subscribe", args=[service_request.tracking_number])

    def follow(address: str, email: str):
        return client.post(
            url, {"email": email}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address, follow=True
        ).content.decode()

    assert "Too many requests" not in follow("198.51.100.1", "one@example.org")
    assert "Too many requests from your connection. Try again in" in follow("198.51.100.1", "two@example.org")
    assert "Too many requests" not in follow("198.51.100.2", "three@example.org")


def test_a_lock_refuses_for_a_whole_period_from_when_it_was_set(database_cache):
    rate = rate_limits.Rate("test", 5, 900)
    now = 1_750_000_000.0
    rate_limits.lock(rate, "dana", now=now)
    verdict = rate_limits.peek(rate, "dana", now=now + 60)
    assert not verdict.allowed and verdict.retry_after == 840
    assert rate_limits.peek(rate, "dana", now=now + 901).allowed


def test_a_secret_link_is_not_looked_up_for_a_client_over_the_limit():
    """`look_up_secret`: misses count, finds do not, and once over the limit even a right link is refused
    without being looked up (otherwise the limit would only slow the wrong guesses)."""
    rate = rate_limits.Rate(f"secret-{uuid.uuid4()}", 2, 3600)
    looked: list[str] = []

    def look_up(token: str) -> str | None:
        looked.append(token)
        return "found" if token == "right" else None

    assert rate_limits.look_up_secret(rate, "1.2.3.4", lambda: look_up("right"))[0] == "found"
    assert rate_limits.look_up_secret(rate, "1.2.3.4", lambda: look_up("right"))[0] == "found"  # finds never count
    missed, verdict = rate_limits.look_up_secret(rate, "1.2.3.4", lambda: look_up("wrong"))
    assert missed is None and verdict.allowed and verdict.count == 1
    missed, verdict = rate_limits.look_up_secret(rate, "1.2.3.4", lambda: look_up("wrong"))
    assert missed is None and verdict.allowed and verdict.count == 2
    looked.clear()
    found, verdict = rate_limits.look_up_secret(rate, "1.2.3.4", lambda: look_up("right"))
    assert found is None and not verdict.allowed and looked == []
    assert rate_limits.look_up_secret(rate, "5.6.7.8", lambda: look_up("right"))[0] == "found"  # another client


# --- on Redis, as in production: one round trip per count -------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_cache():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379 (CI has one)")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    redis_settings = {
        "default": {
            "BACKEND": "civic311.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=redis_settings):
        yield cache
    # Only this test's keys: clear() is FLUSHDB, which wiped the count of a test running beside it (-n 2).
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_on_redis_a_window_counts_in_one_round_trip_and_ends(redis_cache):
    import redis

    rate = rate_limits.Rate("test", 2, 60)
    now = 1_750_000_000.0
    verdicts = [rate_limits.hit(rate, "198.51.100.1", now=now) for _ in range(3)]
    assert [(v.allowed, v.count) for v in verdicts] == [(True, 1), (True, 2), (False, 3)]
    # The cache's own reads see the count, and the window's key expires with the window (set once).
    assert not rate_limits.peek(rate, "198.51.100.1", now=now).allowed
    key = rate_limits._window(rate, "198.51.100.1", now)[0]
    client = redis.Redis.from_url(REDIS_URL)
    ttl = client.ttl(redis_cache.make_key(key))
    assert 60 < ttl <= 120
    assert rate_limits.hit(rate, "198.51.100.2", now=now).allowed
    rate_limits.give_back(rate, "198.51.100.1", now=now)
    assert rate_limits.peek(rate, "198.51.100.1", now=now).count == 2
    # civic311.redis_cache: one client per pool for every call, not a new one each time.
    backend = redis_cache._cache
    assert backend.get_client(write=True) is backend.get_client(write=True) is backend.get_client()


def test_on_redis_clients_counting_at_once_lose_no_count(redis_cache):
    rate = rate_limits.Rate("test", 10_000, 3600)
    now = 1_750_000_000.0

    def count_many() -> None:
        for _ in range(50):
            rate_limits.hit(rate, "198.51.100.9", now=now)

    threads = [threading.Thread(target=count_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rate_limits.peek(rate, "198.51.100.9", now=now).count == 400


def test_on_redis_a_count_and_a_read_are_one_round_trip(redis_cache, monkeypatch):
    import redis

    now = 1_750_000_000.0
    redis_cache.set("thing", {"a": 1})
    trips = []
    execute = redis.client.Pipeline.execute
    command = redis.Redis.execute_command

    def pipeline(self, *args, **kwargs):
        trips.append("pipeline")
        return execute(self, *args, **kwargs)

    def one_command(self, *args, **kwargs):
        trips.append(args[0])
        return command(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline)
    monkeypatch.setattr(redis.Redis, "execute_command", one_command)

    counted, found = rate_limits.count_reading("test", 60, "198.51.100.3", read="thing", now=now)
    assert trips == ["pipeline"]
    assert found == {"a": 1} and counted.count == 1
    counted, found = rate_limits.count_reading("test", 60, "198.51.100.3", read="absent", now=now)
    assert found is None and counted.count == 2
    # The limit is put to the count afterwards: 0 refuses, as hit() does with a limit of 0.
    assert counted.within(2).allowed and not counted.within(1).allowed
    assert not counted.within(0).allowed and counted.within(0).retry_after == 60
    # The same window as hit()'s for the same scope and key.
    assert rate_limits.peek(rate_limits.Rate("test", 5, 60), "198.51.100.3", now=now).count == 2


def test_on_redis_an_open311_key_is_read_and_counted_together_and_a_guess_leaves_nothing(redis_cache, jurisdiction):
    import redis

    from civic311.open311 import services as open311

    issued = open311.issue_api_key(jurisdiction, "Client", requests_per_minute=2)
    assert open311.authenticate(jurisdiction, issued.key).pk == issued.api_key.pk  # from the database, then kept
    assert open311.authenticate(jurisdiction, issued.key).pk == issued.api_key.pk  # from the cache
    with pytest.raises(open311.RateLimited):
        open311.authenticate(jurisdiction, issued.key)

    client = redis.Redis.from_url(REDIS_URL)
    prefix = redis_cache.make_key("rate:open311-post:")
    counters = set(client.scan_iter(match=f"{prefix}*"))
    assert len(counters) == 1  # the key's one window
    with pytest.raises(open311.KeyRefused):
        open311.authenticate(jurisdiction, "c311_not-a-key-anyone-was-given")
    assert set(client.scan_iter(match=f"{prefix}*")) == counters
