"""The doors the job queue comes in by: one delivery job per social post, and the sweep that guarantees
retries (it needs the Huey consumer, `manage.py run_huey`). Both are safe to run twice at once: a post is
claimed by a conditional UPDATE before it is sent."""

from __future__ import annotations

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@task()
def send_post(post_id: int) -> str:
    """Deliver one social post; a no-op if it is not due or another worker holds it."""
    from . import services

    return services.deliver(post_id)


@db_periodic_task(crontab(minute="*"))
def sweep_social_outbox() -> int:
    """Queue every social post whose retry is due or whose worker's claim has expired."""
    from . import services

    return services.sweep_due()
