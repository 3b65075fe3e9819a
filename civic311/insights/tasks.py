"""Background work of the search analytics: the hourly sweep that ends reading sessions a day old and counts
the deflected ones. Needs the Huey consumer (`manage.py run_huey`); safe to run twice and on several
workers at once (each session is claimed by a conditional UPDATE before it is counted)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import forecast_services, services


@db_periodic_task(crontab(minute="7"))
def close_reading_sessions() -> int:

    return services.close_reading_sessions()


@db_periodic_task(crontab(hour="3", minute="17"))
def prune_search_log() -> dict[str, int]:
    """Daily: the raw log older than CIVIC311_SEARCH_LOG_RETENTION_DAYS goes; the rollups stay."""

    return services.prune_logs()


@db_periodic_task(crontab(hour="2", minute="41"))
def make_forecasts() -> dict[str, int]:
    """Nightly: a new volume forecast for every city (the forecast page reads the newest)."""

    return forecast_services.make_all_forecasts()
