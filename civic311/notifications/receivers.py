"""Listens for recorded history entries (sent after their transaction commits) and fills the outbox."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from civic311.requests.signals import history_recorded

logger = logging.getLogger(__name__)


@receiver(history_recorded, dispatch_uid="civic311.notifications.history_recorded")
def on_history_recorded(sender: Any, history_entry: Any, **kwargs: Any) -> None:
    from . import services

    try:
        services.history_recorded(history_entry)
    except Exception:
        # The change itself is committed; a failure here must not turn it into an error page.
        logger.exception("notifications for history entry %s could not be queued", history_entry.pk)
