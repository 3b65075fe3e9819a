"""Background work of the Open311 client: the send job (Django's tasks API) and Huey's periodic sweeps.

The bodies live in `civic311.open311.forwarding` as plain functions; these are only the doors the job
queue comes in by. Periodic tasks need the Huey consumer (`manage.py run_huey`): Django's tasks API has
no schedule of its own. Each sweep is safe to run twice at once, since every row is claimed by a
conditional UPDATE before anything is done with it.
"""

from __future__ import annotations

import logging

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@task()
def forward_request(forwarded_id: int) -> str:
    """Send one forwarded request, or resolve its token; a no-op if it is not due or someone else has it."""
    from . import forwarding

    return forwarding.process(forwarded_id)


@db_periodic_task(crontab(minute="*"))
def sweep_forwarding() -> int:
    """Queue every send and token check whose time has come (the retry guarantee)."""
    from . import forwarding

    return forwarding.sweep_due()


@db_periodic_task(crontab(minute="*"))
def poll_work_order_systems() -> int:
    """Pull status updates from each active work-order system whose turn it is."""
    from . import forwarding

    return forwarding.poll_all()


@db_periodic_task(crontab(minute="*/5"))
def alert_unconfirmed_forwards() -> int:
    """Alert departments about requests their system has not confirmed within an hour."""
    from . import forwarding

    return forwarding.raise_alerts()
