"""The console's periodic task: the nightly customer-journey snapshots (needs the Huey consumer,
`manage.py run_huey`). Safe to run twice: each city's month is one row, replaced."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import journey_snapshots


@db_periodic_task(crontab(hour="2", minute="41"))
def store_journey_snapshots() -> int:
    """Every city's journey figures for last month and this month so far."""

    return journey_snapshots.store_all_snapshots()
