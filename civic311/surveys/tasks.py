"""The hourly task that adds the last day's consenting contacts to the survey work list (needs the Huey
consumer, `manage.py run_huey`). Safe to run twice or on several workers: see `services.build_work_list`."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="17"))
def build_survey_work_lists() -> int:
    """Add every city's new consenting contacts to its survey work list."""

    return services.build_all_work_lists()
