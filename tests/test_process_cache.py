"""civic311.process_cache.ProcessCache: a cachetools TTLCache per process, with `forget` and primary reads.
(A value forgotten while it was built: tests/test_post_speed.py.) The clock is a fake one: no wall time."""

from __future__ import annotations

import threading

import pytest

from civic311 import db_routing
from civic311.process_cache import ProcessCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def counting(values):
    """A build function that returns the next of `values` at each call, and how many calls it had."""
    calls: list[object] = []

    def build():
        calls.append(values[len(calls)])
        return calls[-1]

    return build, calls


def test_a_value_is_kept_for_its_seconds_then_built_again(clock):
    cache: ProcessCache[int, str] = ProcessCache(60, timer=clock)
    build, calls = counting(["first", "second"])
    assert cache.get(1, build) == "first"
    clock.now += 59.9
    assert cache.get(1, build) == "first"
    clock.now += 0.1
    assert cache.get(1, build) == "second"
    assert calls == ["first", "second"]


def test_keys_are_kept_apart_and_forget_drops_one_or_all(clock):
    cache: ProcessCache[int, str] = ProcessCache(60, timer=clock)
    cache.get(1, lambda: "one")
    cache.get(2, lambda: "two")
    cache.forget(1)
    assert cache.get(1, lambda: "one again") == "one again"
    assert cache.get(2, lambda: "not asked") == "two"
    cache.forget()
    assert cache.get(1, lambda: "new one") == "new one"
    assert cache.get(2, lambda: "new two") == "new two"
    cache.forget(3)  # a key never kept: nothing to drop, no error


def test_none_is_a_value_like_any_other(clock):
    cache: ProcessCache[int, None] = ProcessCache(60, timer=clock)
    build, calls = counting([None, None])
    assert cache.get(1, build) is None
    assert cache.get(1, build) is None
    assert len(calls) == 1


def test_beyond_maxsize_the_least_recently_used_key_goes(clock):
    cache: ProcessCache[int, str] = ProcessCache(60, maxsize=2, timer=clock)
    cache.get(1, lambda: "one")
    cache.get(2, lambda: "two")
    cache.get(1, lambda: "not asked")  # 1 is now the most recently used
    cache.get(3, lambda: "three")
    assert cache.get(1, lambda: "not asked") == "one"
    assert cache.get(2, lambda: "two again") == "two again"


def test_the_value_is_built_with_reads_from_the_primary(clock):
    cache: ProcessCache[int, bool] = ProcessCache(60, timer=clock)
    with db_routing.heavy_reads():
        assert cache.get(1, db_routing._heavy.get) is False
        assert db_routing._heavy.get() is True  # and only while it is built


def test_a_build_that_fails_keeps_nothing(clock):
    cache: ProcessCache[int, str] = ProcessCache(60, timer=clock)

    def failing() -> str:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache.get(1, failing)
    assert cache.get(1, lambda: "built") == "built"


def test_threads_share_one_kept_value(clock):
    cache: ProcessCache[int, str] = ProcessCache(60, timer=clock)
    cache.get(1, lambda: "shared")
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(cache.get(1, lambda: "own"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["shared"] * 8


def test_a_new_lifetime_forgets_what_was_kept(clock):
    cache: ProcessCache[int, str] = ProcessCache(60, timer=clock)
    cache.get(1, lambda: "kept for a minute")
    assert cache.seconds == 60
    cache.seconds = 0  # as tests/test_post_speed.py says "that time has passed"
    assert cache.get(1, lambda: "built again") == "built again"
    assert cache.get(1, lambda: "and again") == "and again"  # nothing lives for 0 seconds
    cache.seconds = 60
    assert cache.get(1, lambda: "kept") == "kept"
    assert cache.get(1, lambda: "not asked") == "kept"
