"""The sweep that guarantees the social outbox's retries (it needs the Huey consumer, `manage.py run_huey`);
the job that delivers one post, `services.send_post`, is queued by the outbox itself. Safe to run twice at
once: a post is claimed by a conditional UPDATE before it is sent."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*"))
def sweep_social_outbox() -> int:
    """Queue every social post whose retry is due or whose worker's claim has expired."""
    return services.sweep_due()
