"""Listens for recorded history entries and fills the outbox.

Called by the worker that announces a history entry (civic311.service_requests.announcements), in a savepoint of
its own: an error here undoes what was queued and the entry is announced again later, so nothing is
swallowed (and the other listeners' rows stay).
"""

from __future__ import annotations

from typing import Any

from civic311.service_requests.signals import history_recorded, listener

from . import services


@listener(history_recorded, dispatch_uid="civic311.notifications.history_recorded")
def on_history_recorded(sender: Any, history_entry: Any, **kwargs: Any) -> None:

    services.history_recorded(history_entry)
