"""Write the knowledge search index afresh from the published articles and offered services."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civic311.jurisdictions.management.arguments import add_cities_argument, cities_named
from civic311.knowledge import search


class Command(BaseCommand):
    help = "Rebuild the knowledge-base search index (articles and services) of one or every jurisdiction."

    def add_arguments(self, parser: CommandParser) -> None:
        add_cities_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        for jurisdiction in cities_named(options.get("jurisdiction")):
            count = search.rebuild(jurisdiction)
            self.stdout.write(f"{jurisdiction.slug}: {count} documents indexed.")
