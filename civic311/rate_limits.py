"""The one rate limit of civic311: how many times one client may do one thing in a window of time.

Every limit in the project counts here (the public report form, following a request, residents'
comments, staff sign-in failures, Open311 POSTs per API key), in the shared cache (settings.CACHES:
Redis when REDIS_URL is set, else a table in the database), so every web process and every host counts
together. Clients are told apart by `client_address()`: the real address behind the documented reverse
proxy, never a header a client could set by itself.

Written here rather than taken from django-ratelimit: its core is the same few lines (a fixed window,
cache.add then cache.incr), but its system check refuses the database cache this project falls back to
(django_ratelimit.E003, "does not support atomic increment"; see `_add_to` for how it is made exact here),
its decorator and is_ratelimited() only say yes or no (how long a refused client must wait, which our
pages and Open311's Retry-After need, is only in get_usage()), and it has nothing for what staff sign-in
needs besides counting: peeking without counting, giving a count back, a lock-out of a whole period.
The count is exact on Redis (INCR is atomic). The database cache's incr() is a read then a write, which
lost three counts in four under eight clients at once (each was a limit multiplied by the clients a caller
runs at once): there, the entry's row is locked for the read and the write (`_add_to`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.http import HttpRequest

from civic311.redis_cache import RedisCache


@dataclass(frozen=True)
class Rate:
    """At most `limit` events per `seconds` for one key of `scope` (0 refuses every event)."""

    scope: str
    limit: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int  # events counted in the current window, this one included when it was counted
    retry_after: int  # seconds until the window ends (the whole window for a limit of 0)

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def hit(rate: Rate, key: str, *, now: float | None = None) -> Verdict:
    """Count one event of `key` and say whether it is within the rate."""
    if rate.limit <= 0:
        return Verdict(False, 0, rate.seconds)
    cache_key, retry_after = _window(rate, key, now)
    count = _count(cache_key, timeout=rate.seconds + 60)
    return Verdict(count <= rate.limit, count, retry_after)


@dataclass(frozen=True)
class Counted:
    """One event counted in its window, before a limit is put to it (`within`)."""

    count: int
    retry_after: int
    seconds: int

    def within(self, limit: int) -> Verdict:
        if limit <= 0:
            return Verdict(False, 0, self.seconds)
        return Verdict(self.count <= limit, self.count, self.retry_after)


def count_reading(
    scope: str, seconds: int, key: str, *, read: str | None = None, now: float | None = None
) -> tuple[Counted, object]:
    """Count one event of `key` in its window of `seconds`, and read the cache's entry `read`: in one round trip
    on Redis. For a limit known only from what is read: an Open311 POST's API key carries its own rate."""
    cache_key, retry_after = _window(Rate(scope, 0, seconds), key, now)
    timeout = seconds + 60
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        count, found = backend.count(cache_key, timeout, read=read)
    else:
        count, found = _count(cache_key, timeout=timeout), None if read is None else cache.get(read)
    return Counted(count, retry_after, seconds), found


def _count(cache_key: str, *, timeout: int) -> int:
    """Add one to a window's count; the count, this event included."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # INCR and EXPIRE NX in one round trip (Django's add() then incr() took three: SET NX, EXISTS, INCRBY).
        return backend.count(cache_key, timeout)[0]
    if cache.add(cache_key, 1, timeout=timeout):  # add() starts the window: it only writes an absent key
        return 1
    try:
        return _add_to(cache_key, 1)
    except ValueError:  # the window's entry expired between add() and incr()
        cache.set(cache_key, 1, timeout=timeout)
        return 1


def peek(rate: Rate, key: str, *, now: float | None = None) -> Verdict:
    """Whether one more event of `key` would be within the rate (and `key` is not locked), without counting it."""
    if rate.limit <= 0:
        return Verdict(False, 0, rate.seconds)
    now = time.time() if now is None else now
    cache_key, retry_after = _window(rate, key, now)
    found = cache.get_many([cache_key, _lock_key(rate, key)])
    count = int(found.get(cache_key) or 0)
    locked_until = found.get(_lock_key(rate, key))
    if locked_until is not None and locked_until > now:
        return Verdict(False, count, max(1, math.ceil(locked_until - now)))
    return Verdict(count < rate.limit, count, retry_after)


Found = TypeVar("Found")


def look_up_secret(rate: Rate, key: str, look_up: Callable[[], Found | None]) -> tuple[Found | None, Verdict]:
    """Look up what a secret link names without letting `key` (a client address) guess at links: a key
    already over `rate` is refused before the lookup, a right guess too (or the limit would only slow the
    wrong guesses), and every miss counts. Returns what was found (None when refused or missed) and the
    key's verdict: not allowed means answer "too many", whether before the lookup or with this miss."""
    verdict = peek(rate, key)
    if not verdict.allowed:
        return None, verdict
    found = look_up()
    if found is None:
        return None, hit(rate, key)
    return found, verdict


def lock(rate: Rate, key: str, *, now: float | None = None) -> None:
    """Refuse `key` for one whole period from now (peek says so). A lock-out must not end early because
    the fixed window it was counted in happened to end a second later."""
    now = time.time() if now is None else now
    cache.set(_lock_key(rate, key), now + rate.seconds, timeout=rate.seconds)


def forget(rate: Rate, key: str, *, now: float | None = None) -> None:
    """Start `key`'s count over, and lift its lock (a staff member who finally signed in)."""
    cache.delete_many([_window(rate, key, now)[0], _lock_key(rate, key)])


def give_back(rate: Rate, key: str, *, now: float | None = None) -> None:
    """Take back one event hit() counted that turned out not to count (a right password)."""
    with contextlib.suppress(ValueError):  # its window ended, or was forgotten, meanwhile
        _add_to(_window(rate, key, now)[0], -1)


def _add_to(cache_key: str, delta: int) -> int:
    """cache.incr(), made atomic on the database cache: its entry's row is locked (an UPDATE that changes
    nothing) until the read and the write of incr() are committed, so a count made at the same moment waits
    for it and reads what it wrote. Uses the backend's table name, which Django keeps in `_table`."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, DatabaseCache):
        return backend.incr(cache_key, delta)
    alias = router.db_for_write(backend.cache_model_class)
    connection = connections[alias]
    table = connection.ops.quote_name(backend._table)  # type: ignore[attr-defined]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET expires = expires "  # noqa: S608
            "WHERE cache_key = %s",
            [backend.make_and_validate_key(cache_key)],
        )
        return backend.incr(cache_key, delta)


def _lock_key(rate: Rate, key: str) -> str:
    return f"rate:{rate.scope}:{_digest(rate, key)}:locked"


def _digest(rate: Rate, key: str) -> str:
    # Keyed with SECRET_KEY: a plain hash of an IPv4 address is undone by trying all 2**32 of them.
    return hmac.new(settings.SECRET_KEY.encode(), f"{rate.scope}\x00{key}".encode(), hashlib.sha256).hexdigest()[:32]


def _window(rate: Rate, key: str, now: float | None) -> tuple[str, int]:
    """The cache key of `key`'s current window and the seconds until it ends.

    Windows are fixed; each key's are shifted by a stable offset, so that all clients' windows do not
    end at the same second. The key is hashed: no address or username is stored in the cache.
    """
    now = time.time() if now is None else now
    digest = _digest(rate, key)
    offset = zlib.crc32(digest.encode()) % rate.seconds
    window = int((now - offset) // rate.seconds)
    ends = (window + 1) * rate.seconds + offset
    return f"rate:{rate.scope}:{digest}:{window}", max(1, math.ceil(ends - now))


# --- who is asking -------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address in an X-Forwarded-For hop or REMOTE_ADDR, with any port some proxies add
    ("203.0.113.7:51234", "[2001:db8::5]:443") left out, and an IPv4-mapped IPv6 address as IPv4."""
    if address.startswith("["):
        address = address[1:].partition("]")[0]
    elif address.count(":") == 1:
        address = address.partition(":")[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def _trusted(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in _networks(tuple(settings.CIVIC311_TRUSTED_PROXIES)))


def _client(address: str) -> str:
    """One client's key. An IPv6 client is its /64: one home or phone is given a whole /64, and counting
    each of its 2**64 addresses apart would let it write as often as it likes (django-ratelimit's default
    too). A port is never part of it, or every new connection would count afresh."""
    ip = _ip(address)
    if ip is None:
        return address[:64]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(request: HttpRequest) -> str:
    """The address of the client behind the reverse proxy.

    REMOTE_ADDR is the peer; only when it is one of CIVIC311_TRUSTED_PROXIES is X-Forwarded-For read,
    from the right (each proxy appends the address it saw), skipping trusted proxies: the first
    untrusted address is the client. Anything left of it was written by the client and is ignored.
    An IPv6 client is named by its /64 (`_client`).
    """
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not _trusted(peer):
        return _client(peer)
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _trusted(hop):
            return _client(hop)
    return _client(forwarded[0] if forwarded else peer)
