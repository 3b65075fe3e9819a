"""Claiming a row for one worker with a conditional UPDATE and a lease.

Shared by everything the job queue works row by row (the notification outbox, forwarding to work-order
systems): a worker first claims the row, and only the worker whose UPDATE changed it goes on. The claim
writes a time into a lease field; until then nobody else can claim the row, and once it has passed the row
is free again, so a worker that dies mid-send loses its claim instead of the row being lost. The UPDATE is
one statement, so it works the same on SQLite and PostgreSQL, and of several workers racing for one row
exactly one wins.

Written here rather than with a lock library (django-redis locks, advisory locks): the claim must live in
the row itself, so that it survives the worker and works on both databases without another server.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet

# A claimed row is not claimed again for this long: longer than any send may take (timeouts are shorter).
# It is also how long a row claimed by a worker that died waits before another worker takes it over.
LEASE = dt.timedelta(seconds=settings.CIVIC311_LEASE_SECONDS)


def due(field: str, now: dt.datetime) -> Q:
    """Rows whose time in `field` has come, or that have none."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now})


def claim(
    rows: QuerySet[Any],
    *,
    lease_field: str,
    until: dt.datetime,
    attempts_field: str | None = "attempts",
    **changes: Any,
) -> bool:
    """Claim the row `rows` selects (the caller's filter says when it is free to take) until `until`.

    One conditional UPDATE sets `lease_field` to `until`, adds one to `attempts_field` (so an attempt counts
    even when its worker dies mid-call; None for no count) and applies `changes`. True if this call won it.
    """
    values: dict[str, Any] = {lease_field: until, **changes}
    if attempts_field:
        values[attempts_field] = F(attempts_field) + 1
    return rows.update(**values) > 0
