"""Listens for recorded history entries (announced by the worker, civic311.service_requests.announcements): a
request that became closed sends its requester the "was it fixed?" e-mail survey (civic311.surveys.fixed)."""

from __future__ import annotations

from typing import Any

from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry
from civic311.service_requests.signals import history_recorded, listener

from . import fixed


@listener(history_recorded, dispatch_uid="civic311.surveys.history_recorded")
def on_history_recorded(sender: Any, history_entry: Any, **kwargs: Any) -> None:

    # Only "closed": a duplicate, referral or cancellation is not something the resident can judge fixed.
    if history_entry.kind != HistoryEntry.Kind.STATUS or history_entry.to_status != Status.CLOSED:
        return
    # Run by the worker that announces the entry: an error rolls back and the announcement is retried.
    fixed.queue_fixed_survey(history_entry.service_request)
