"""Write the knowledge search index afresh from the published articles and offered services."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge import search


class Command(BaseCommand):
    help = "Rebuild the knowledge-base search index (articles and services) of one or every jurisdiction."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--jurisdiction", help="The jurisdiction's slug (default: every jurisdiction).")

    def handle(self, *args: Any, **options: Any) -> None:
        jurisdictions = Jurisdiction.objects.all()
        if options.get("jurisdiction"):
            jurisdictions = jurisdictions.filter(slug=options["jurisdiction"])
            if not jurisdictions.exists():
                raise CommandError(f"There is no jurisdiction {options['jurisdiction']!r}.")
        for jurisdiction in jurisdictions:
            count = search.rebuild(jurisdiction)
            self.stdout.write(f"{jurisdiction.slug}: {count} documents indexed.")
