"""Background work about service requests, written against Django's tasks API and run by Huey."""

from __future__ import annotations

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import announcements
from .models import HistoryEntry


@task()
def announce_history_entry(history_entry_id: int) -> bool:
    """Make what one history entry calls for (messages, webhooks, forwarding); a no-op once done."""
    return announcements.announce(history_entry_id)


@task()
def alert_department_of_hazard(service_request_id: int) -> int:
    """Kept for a rolling deploy only: web processes of the version before the transactional outbox queued
    this job for a hazard. It announces the request's hazard entries (their alert is made from that, once,
    whatever the order); remove it once no such job can be left in a queue."""
    return announcements.announce_again(service_request_id, kind=HistoryEntry.Kind.HAZARD)


@db_periodic_task(crontab(minute="*"))
def sweep_announcements() -> int:
    """Announce every history entry still waiting (its wake-up was lost, or a listener failed and is due)."""
    return announcements.sweep()


@db_periodic_task(crontab(minute="*/5"))
def sweep_escalations() -> dict[str, int]:
    """Climb each department's escalation ladder and follow up missed dates (safe to run twice at once)."""
    from . import escalation  # it files notes through services, which imports this module

    return escalation.sweep()
