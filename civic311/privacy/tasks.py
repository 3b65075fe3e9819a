"""Background work of the privacy app: the daily retention sweep (docs/privacy.md). Needs the Huey consumer
(`manage.py run_huey`); safe to run twice and on several workers at once (conditional updates, batches)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import retention


@db_periodic_task(crontab(hour="3", minute="41"))
def apply_retention() -> dict[str, int]:
    """Daily: anonymise the personal data past its retention window; logs one line of counts."""
    return retention.anonymise_expired()
