"""Writing the centre-wide customer-journey snapshots (the nightly task's and `manage.py journey_snapshots`'
work): one row per city and month, replaced in place, so running it twice changes nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from civic311.insights.models import JourneySnapshot
from civic311.jurisdictions.models import Jurisdiction

from . import journeys


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def store_snapshot(jurisdiction: Jurisdiction, month: dt.date, *, now: dt.datetime | None = None) -> JourneySnapshot:
    """Compute the city's figures for the month and store them (the same row again when there is one)."""
    now = now or timezone.now()
    month = month.replace(day=1)
    figures = journeys.centre_figures(jurisdiction, month, now=now)
    with transaction.atomic():
        snapshot, _created = JourneySnapshot.objects.update_or_create(
            jurisdiction=jurisdiction,
            month=month,
            defaults={
                "computed_at": now,
                "contacts": figures.contacts,
                "repeat_contacts": figures.repeat_contacts,
                "first_contacts": figures.first_contacts,
                "resolved_first_time": figures.resolved_first_time,
                "figures": figures.figures,
            },
        )
    return snapshot


def months_to_refresh(jurisdiction: Jurisdiction, now: dt.datetime) -> list[dt.date]:
    """This month so far and the last one (whose repeats, reopenings and surveys may still come in)."""
    this_month = timezone.localtime(now, jurisdiction.zone).date().replace(day=1)
    return [previous_month(this_month), this_month]


def store_all_snapshots(
    *, now: dt.datetime | None = None, months: list[dt.date] | None = None, jurisdiction: Jurisdiction | None = None
) -> int:
    """Every city's snapshots for `months` (default: `months_to_refresh`); returns how many were stored."""
    now = now or timezone.now()
    cities = [jurisdiction] if jurisdiction is not None else list(Jurisdiction.objects.order_by("pk"))
    stored = 0
    for city in cities:
        for month in months or months_to_refresh(city, now):
            store_snapshot(city, month, now=now)
            stored += 1
    return stored
