"""Listens for recorded history entries (sent after their transaction commits): a request that became
closed sends its requester the "was it fixed?" e-mail survey (`civic311.surveys.fixed`)."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from civic311.requests.lifecycle import Status
from civic311.requests.signals import history_recorded

logger = logging.getLogger(__name__)


@receiver(history_recorded, dispatch_uid="civic311.surveys.history_recorded")
def on_history_recorded(sender: Any, history_entry: Any, **kwargs: Any) -> None:
    from civic311.requests.models import HistoryEntry

    from . import fixed

    # Only "closed": a duplicate, referral or cancellation is not something the resident can judge fixed.
    if history_entry.kind != HistoryEntry.Kind.STATUS or history_entry.to_status != Status.CLOSED:
        return
    try:
        fixed.queue_fixed_survey(history_entry.service_request)
    except Exception:
        # The close itself is committed; a failure here must not turn it into an error page.
        logger.exception("was-it-fixed survey for history entry %s could not be queued", history_entry.pk)
