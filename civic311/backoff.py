"""Exponential backoff with jitter: how long a job that failed waits before its next attempt.

Shared by everything the job queue retries (forwarding to work-order systems, the notification outbox),
so that they all back off the same way.

Written here rather than with tenacity or backoff: those retry a call in the same process, sleeping in
between; a row's retry is a time written on the row (`next_attempt_at`), which the sweep acts on later.
"""

from __future__ import annotations

import datetime as dt
import random

JITTER = 0.2  # ±20 %, so that retries of many rows that failed together spread out


def backoff_delay(
    attempts: int, *, base: dt.timedelta, cap: dt.timedelta, rng: random.Random | None = None
) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: `base`, doubling each time, at most `cap`, ±20 %."""
    delay = min(base * (2 ** max(attempts - 1, 0)), cap)
    return delay * (rng or random).uniform(1 - JITTER, 1 + JITTER)
