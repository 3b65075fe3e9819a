"""Values kept in this process for a short while, per key (a city): what the public pages read on every
view and rarely changes (boundaries, calendars, the running emergency). Shared by the process's threads;
`forget` drops a key at once (after a save in this process), other processes see a change once their
copy is older than `seconds`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from civic311.db_routing import primary_reads

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class ProcessCache(Generic[K, T]):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._values: dict[K, tuple[float, T]] = {}
        self._forgotten = 0  # how many times `forget` was called

    def get(self, key: K, build: Callable[[], T]) -> T:
        """The kept value, or `build()`'s (kept from the moment it was asked for)."""
        asked = time.monotonic()
        with self._lock:
            kept = self._values.get(key)
            if kept and asked - kept[0] < self.seconds:
                return kept[1]
            forgotten = self._forgotten
        with primary_reads():  # a shared value must never hold a lagging replica's rows
            value = build()
        with self._lock:
            # Forgotten while it was built: it may hold the rows from before the change. Use it, don't keep it.
            if self._forgotten == forgotten:
                self._values[key] = (asked, value)
        return value

    def forget(self, key: K | None = None) -> None:
        """Drop `key`'s value (every value with no key)."""
        with self._lock:
            self._forgotten += 1
            if key is None:
                self._values.clear()
            else:
                self._values.pop(key, None)
