"""The sweep that guarantees the outbox's retries (the job that sends one message, `services.send_message`,
is queued by the outbox itself).

The sweep needs the Huey consumer (`manage.py run_huey`). Both are safe to run twice at once: a message is
claimed by a conditional UPDATE before it is sent."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Queue every message whose retry is due or whose worker's claim has expired."""
    return services.sweep_due()
