"""The periodic task that sends an emergency's coordinated message once its start has passed (needs the
Huey consumer, `manage.py run_huey`). Safe to run twice or on several workers at once: see
`services.queue_coordinated_message`. Nothing has to run for an emergency to end."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*"))
def queue_emergency_messages() -> int:
    """Queue the coordinated message of every emergency that has started and not sent it yet."""

    return services.queue_due_messages()
