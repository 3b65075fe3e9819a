"""`manage.py rebuild_operations_figures [--jurisdiction slug]`: recount the operations dashboard's figures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civic311.insights import operations_rollups
from civic311.jurisdictions.management.arguments import add_cities_argument, cities_named


class Command(BaseCommand):
    help = (
        "Recount the rollups behind the operations dashboard and the leadership report from the requests "
        "(every city, or one). The periodic sweep keeps them current afterwards; safe to run at any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_cities_argument(parser)

    def handle(self, *args: Any, jurisdiction: str | None = None, **options: Any) -> None:
        for city in cities_named(jurisdiction):
            counted = operations_rollups.rebuild(city)
            self.stdout.write(
                f"{city.name}: {counted.days:,} day rows, {counted.months:,} month rows and "
                f"{counted.open_rows:,} open-request rows in {counted.seconds:.1f} s."
            )
