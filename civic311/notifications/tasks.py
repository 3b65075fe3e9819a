"""The doors the job queue comes in by: one send job per message, and the sweep that guarantees retries.

The sweep needs the Huey consumer (`manage.py run_huey`). Both are safe to run twice at once: a message is
claimed by a conditional UPDATE before it is sent."""

from __future__ import annotations

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@task()
def send_message(message_id: int) -> str:
    """Send one outbox message; a no-op if it is not due or another worker holds it."""
    from . import services

    return services.deliver(message_id)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Queue every message whose retry is due or whose worker's claim has expired."""
    from . import services

    return services.sweep_due()
