"""Signals other domains listen to, so requests need not know who acts on them.

Both are sent by the worker that announces a history entry (civic311.service_requests.announcements), inside the
transaction that marks the entry announced. A listener connects with `listener(...)`, which runs it in a
savepoint of its own: it writes its own rows (an outbox message, a forwarding row) and lets any error
propagate; then what it wrote is undone, the other listeners' rows stay, and the announcement is retried
later. So every listener must be idempotent (unique keys make a second run write nothing).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

Listener = Callable[..., Any]


def listener(signal: Signal, *, dispatch_uid: str) -> Callable[[Listener], Listener]:
    """Connect a receiver to `signal` in a savepoint of its own (see above); returns it unchanged."""

    def connect(receiver: Listener) -> Listener:
        @functools.wraps(receiver)
        def in_savepoint(*args: Any, **kwargs: Any) -> Any:
            with transaction.atomic():
                return receiver(*args, **kwargs)

        signal.connect(in_savepoint, dispatch_uid=dispatch_uid, weak=False)
        return receiver

    return connect


# The request's "opened" entry is being announced; keyword argument: service_request.
service_request_filed = Signal()

# A history entry is being announced (a status change, a note public or internal, an assignment, a hazard
# alert...); keyword argument: history_entry. Notifications and surveys listen here.
history_recorded = Signal()
