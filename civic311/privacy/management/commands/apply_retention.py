"""Anonymise the personal data past its retention window now (the daily task does the same at 03:41).

    manage.py apply_retention [--dry-run]

Prints one line per stage with how many rows it anonymised (or, with --dry-run, would); never any data.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from civic311.privacy import retention


class Command(BaseCommand):
    help = "Anonymise residents' personal data older than the retention settings (docs/privacy.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be anonymised; change nothing.")

    def handle(self, *args, **options) -> None:
        counts = retention.anonymise_expired(dry_run=options["dry_run"])
        verb = "would anonymise" if options["dry_run"] else "anonymised"
        for stage in retention.STAGES:
            self.stdout.write(f"{stage}: {verb} {counts[stage]}")
