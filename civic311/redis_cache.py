"""Django's Redis cache, keeping one client per connection pool instead of making one for every call.

Django's RedisCacheClient builds a new `redis.Redis` object (with its parser and callbacks) on every cache
operation; a Redis client is thread-safe and its pool is shared, so one per pool does the same work. On an
Open311 POST (the key, the rate count and the announcer's wake-up: three cache calls) that was about a tenth of
the web process's CPU. Everything else is Django's backend as it is.
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
