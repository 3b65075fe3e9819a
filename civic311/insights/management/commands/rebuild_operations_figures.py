"""`manage.py rebuild_operations_figures [--jurisdiction slug]`: recount the operations dashboard's figures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic311.insights import operations_rollups
from civic311.jurisdictions.models import Jurisdiction


class Command(BaseCommand):
    help = (
        "Recount the rollups behind the operations dashboard and the leadership report from the requests "
        "(every city, or one). The periodic sweep keeps them current afterwards; safe to run at any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jurisdiction", help="The slug of one city (default: every city).")

    def handle(self, *args: Any, jurisdiction: str | None = None, **options: Any) -> None:
        cities = Jurisdiction.objects.order_by("slug")
        if jurisdiction:
            cities = cities.filter(slug=jurisdiction)
            if not cities.exists():
                raise CommandError(f"There is no city with the slug {jurisdiction!r}.")
        for city in cities:
            counted = operations_rollups.rebuild(city)
            self.stdout.write(
                f"{city.name}: {counted.days:,} day rows, {counted.months:,} month rows and "
                f"{counted.open_rows:,} open-request rows in {counted.seconds:.1f} s."
            )
