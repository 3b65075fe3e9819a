"""`manage.py make_forecasts [--city SLUG] [--weeks N]`: fit and store the volume forecast now (the
nightly task does the same for every city)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic311.insights.forecast_services import FORECAST_WEEKS, make_forecast
from civic311.jurisdictions.models import Jurisdiction


class Command(BaseCommand):
    help = (
        "Forecast each city's daily contacts and service requests (all, per channel, per busier service) for "
        "the next weeks from its history and holidays, and store them for the forecast page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", default=None, help="The city's slug (default: every city).")
        parser.add_argument("--weeks", type=int, default=FORECAST_WEEKS)

    def handle(self, *args, city: str | None, weeks: int, **options) -> None:
        cities = Jurisdiction.objects.order_by("pk")
        if city:
            cities = cities.filter(slug=city)
            if not cities.exists():
                raise CommandError(f"No city with the slug {city!r}.")
        for jurisdiction in cities:
            try:
                run = make_forecast(jurisdiction, weeks=weeks)
            except ValueError as error:
                raise CommandError(str(error)) from None
            wape = (run.backtest.get("contacts") or {}).get("model")
            self.stdout.write(
                f"{jurisdiction.slug}: {run.days.count():,} forecast days from {run.first_day} to {run.last_day}"
                + (f"; backtest WAPE of contacts {wape:.1%}" if wape is not None else "")
            )
