"""Background work of the Open311 client: Huey's periodic sweeps (the send job, `forwarding.forward_request`,
is queued by the forwarding itself).

The bodies live in `civic311.open311.forwarding` as plain functions; these are only the doors the job
queue comes in by. Periodic tasks need the Huey consumer (`manage.py run_huey`): Django's tasks API has
no schedule of its own. Each sweep is safe to run twice at once, since every row is claimed by a
conditional UPDATE before anything is done with it.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import forwarding

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def sweep_forwarding() -> int:
    """Queue every send and token check whose time has come (the retry guarantee)."""
    return forwarding.sweep_due()


@db_periodic_task(crontab(minute="*"))
def poll_work_order_systems() -> int:
    """Pull status updates from each active work-order system whose turn it is."""
    return forwarding.poll_all()


@db_periodic_task(crontab(minute="*/5"))
def alert_unconfirmed_forwards() -> int:
    """Alert departments about requests their system has not confirmed within an hour."""
    return forwarding.raise_alerts()
