"""Background work of the search analytics: the hourly sweep that ends reading sessions a day old and counts
the deflected ones. Needs the Huey consumer (`manage.py run_huey`); safe to run twice and on several
workers at once (each session is claimed by a conditional UPDATE before it is counted)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from civic311.jurisdictions.models import Jurisdiction

from . import forecast_services, operations_rollups, services


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


@db_periodic_task(crontab(minute="*/5"))
def sweep_operations_figures() -> int:
    """Every five minutes: recount the operations figures of the requests changed since the last sweep
    (each city's watermark row is locked while it counts, so two workers never count at once)."""
    return sum(operations_rollups.sweep(city).days for city in Jurisdiction.objects.all())


@db_periodic_task(crontab(minute="50", hour="3"))
def rebuild_operations_figures() -> int:
    """Nightly: recount every city's operations figures from scratch (catches a request moved to another
    neighborhood, whose old month the sweep cannot know)."""
    return sum(operations_rollups.rebuild(city).days for city in Jurisdiction.objects.all())
