"""Polling the cities' IMAP mailboxes (being built)."""

from __future__ import annotations

import datetime as dt


def poll_all(*, now: dt.datetime | None = None) -> int:
    """Read what is new in every active mailbox; returns how many messages were received."""
    return 0
