"""Django's Redis cache, keeping one client per connection pool instead of making one for every call.

Django's RedisCacheClient builds a new `redis.Redis` object (with its parser and callbacks) on every cache
operation; a Redis client is thread-safe and its pool is shared, so one per pool does the same work. On an
Open311 POST (the key, the rate count and the announcer's wake-up: three cache calls) that was about a tenth of
the web process's CPU. `count` adds a rate limit's count in one round trip. Everything else is Django's backend
as it is.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ClientPerPool(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # kept for the process's life
        client = self._clients.get(id(pool))
        if client is None:
            with self._clients_lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ClientPerPool

    def count(self, key: str, timeout: int, *, read: str | None = None) -> tuple[int, Any]:
        """INCR `key`, giving it its lifetime only once (EXPIRE NX), and GET `read` when given: one round trip
        (a rate limit's count, and what is counted for: an Open311 POST's API key). INCR starts a missing key at
        1, a plain integer that get() reads back as one; `read` is decoded as get() decodes it, None when absent."""
        counter = self.make_and_validate_key(key)
        client = self._cache.get_client(counter, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(counter)
        pipeline.expire(counter, timeout, nx=True)
        if read is not None:
            pipeline.get(self.make_and_validate_key(read))
        count, _expiry_set, *found = pipeline.execute()
        value = found[0] if found else None
        return int(count), None if value is None else self._cache._serializer.loads(value)  # type: ignore[attr-defined]  # get()'s own decoder
