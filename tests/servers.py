"""For tests that start a real server process (gunicorn, PostgreSQL, an SMTP server): a free port, and
waiting until the server answers.

Waiting has no time limit of its own: a loaded machine may take long to start a server, and how long it
took is never what a test checks (speed is measured in benchmarks/). It ends when the server answers, or
fails at once when its process has died; HANG_GUARD only keeps a server that hangs from hanging CI.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests

HANG_GUARD = 600  # seconds; never a claim about speed


def free_ports(count: int) -> list[int]:
    """`count` different ports on 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def free_port() -> int:
    return free_ports(1)[0]


def wait_until(
    ready: Callable[[], bool],
    *,
    process: subprocess.Popen | None = None,
    log: Path | None = None,
    what: str = "the server",
) -> None:
    """Poll `ready()` until it is true; fail at once if `process` has exited (with the end of its log)."""
    guard = time.monotonic() + HANG_GUARD
    while not ready():
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"{what} exited with {process.returncode} before it was ready\n{tail}")
        if time.monotonic() > guard:
            raise AssertionError(f"{what} hangs: not ready after {HANG_GUARD} s")
        time.sleep(0.3)


def answers(url: str) -> Callable[[], bool]:
    """A `ready` for `wait_until`: the URL answers 200."""

    def check() -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(url, timeout=5).status_code == 200
        return False

    return check
