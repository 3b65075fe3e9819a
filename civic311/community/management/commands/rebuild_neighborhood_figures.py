"""`manage.py rebuild_neighborhood_figures [--jurisdiction slug]`: recount the neighborhood pages' figures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civic311.community.services import rollups
from civic311.jurisdictions.management.arguments import add_cities_argument, cities_named


class Command(BaseCommand):
    help = (
        "Recount the rollups behind the public neighborhood pages from the requests (every city, or one). "
        "The periodic sweep keeps them current afterwards; safe to run at any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_cities_argument(parser)

    def handle(self, *args: Any, jurisdiction: str | None = None, **options: Any) -> None:
        for city in cities_named(jurisdiction):
            counted = rollups.rebuild(city)
            self.stdout.write(
                f"{city.name}: {counted.months:,} month rows and {counted.backlogs:,} backlog rows "
                f"in {counted.seconds:.1f} s."
            )
