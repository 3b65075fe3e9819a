"""Listens for recorded history entries and fills the outbox.

Called by the worker that announces a history entry (civic311.requests.announcements), inside the
transaction that marks the entry announced: an error here rolls back what was queued and the entry is
announced again later, so nothing is swallowed.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from civic311.requests.signals import history_recorded


@receiver(history_recorded, dispatch_uid="civic311.notifications.history_recorded")
def on_history_recorded(sender: Any, history_entry: Any, **kwargs: Any) -> None:
    from . import services

    services.history_recorded(history_entry)
