"""Social media streams behind one interface (being built)."""

from __future__ import annotations

import datetime as dt


def poll_all(*, now: dt.datetime | None = None) -> int:
    """Read what is new from every active polled source; returns how many posts were received."""
    return 0
