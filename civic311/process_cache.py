"""Values kept in this process for a short while, per key (a city): what the public pages read on every
view and rarely changes (boundaries, calendars, the running emergency). Shared by the process's threads;
`forget` drops a key at once (after a save in this process), other processes see a change once their
copy is older than `seconds`.

The values live in a `cachetools.TTLCache` (which drops a value `seconds` after it was kept, and the least
recently used one beyond `maxsize` keys) behind this class's own lock: TTLCache is not thread-safe, and
`get` must know whether `forget` ran while it was building a value outside the lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

from civic311.db_routing import primary_reads

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class ProcessCache(Generic[K, T]):
    def __init__(self, seconds: float, maxsize: int = 256, timer: Callable[[], float] = time.monotonic) -> None:
        self._maxsize, self._timer = maxsize, timer
        self._lock = threading.Lock()
        self._values: TTLCache[K, T] = TTLCache(maxsize=maxsize, ttl=seconds, timer=timer)
        self._forgotten = 0  # how many times `forget` was called

    @property
    def seconds(self) -> float:
        return float(self._values.ttl)

    @seconds.setter
    def seconds(self, seconds: float) -> None:
        """A new lifetime forgets every value (each was kept with the old one)."""
        with self._lock:
            self._forgotten += 1
            self._values = TTLCache(maxsize=self._maxsize, ttl=seconds, timer=self._timer)

    def get(self, key: K, build: Callable[[], T]) -> T:
        """The kept value, or `build()`'s (kept for `seconds` from when it was built)."""
        with self._lock:
            try:
                return self._values[key]  # KeyError when never kept, forgotten or expired
            except KeyError:
                forgotten = self._forgotten
        with primary_reads():  # a shared value must never hold a lagging replica's rows
            value = build()
        with self._lock:
            # Forgotten while it was built: it may hold the rows from before the change. Use it, don't keep it.
            if self._forgotten == forgotten:
                self._values[key] = value
        return value

    def forget(self, key: K | None = None) -> None:
        """Drop `key`'s value (every value with no key)."""
        with self._lock:
            self._forgotten += 1
            if key is None:
                self._values.clear()
            else:
                self._values.pop(key, None)
