"""Huey's periodic sweeps for service requests (the job that announces one history entry,
`announcements.announce_history_entry`, is queued by the history itself)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import announcements, escalation


@db_periodic_task(crontab(minute="*"))
def sweep_announcements() -> int:
    """Announce every history entry still waiting (its wake-up was lost, or a listener failed and is due)."""
    return announcements.sweep()


@db_periodic_task(crontab(minute="*/5"))
def sweep_escalations() -> dict[str, int]:
    """Climb each department's escalation ladder and follow up missed dates (safe to run twice at once)."""
    return escalation.sweep()
