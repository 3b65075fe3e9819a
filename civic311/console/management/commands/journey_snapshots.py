"""`manage.py journey_snapshots [--month YYYY-MM] [--jurisdiction ID]`: store the customer-journey figures."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic311.console.journey_snapshots import store_all_snapshots
from civic311.jurisdictions.models import Jurisdiction


class Command(BaseCommand):
    help = (
        "Compute each city's customer-journey figures (repeat contacts, first-contact resolution, paths, "
        "satisfaction after each moment) into its monthly snapshot: last month and this month, or --month."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", default="", help="YYYY-MM (default: last month and this month)")
        parser.add_argument("--jurisdiction", default="", help="a jurisdiction_id (default: every city)")

    def handle(self, *args, month: str, jurisdiction: str, **options) -> None:
        months = None
        if month:
            try:
                months = [dt.date(int(month[:4]), int(month[5:7]), 1)]
            except ValueError:
                raise CommandError("--month must be YYYY-MM") from None
        city = None
        if jurisdiction:
            city = Jurisdiction.objects.filter(jurisdiction_id=jurisdiction).first()
            if city is None:
                raise CommandError(f"No jurisdiction {jurisdiction!r}.")
        stored = store_all_snapshots(months=months, jurisdiction=city)
        self.stdout.write(f"{stored} journey snapshot(s) stored.")
