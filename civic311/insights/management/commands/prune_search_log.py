"""`manage.py prune_search_log [--days N]`: delete the raw search log older than the retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic311.insights.services import prune_logs


class Command(BaseCommand):
    help = (
        "Delete searches as typed, clicks, article views, answers and ended reading sessions older than "
        "CIVIC311_SEARCH_LOG_RETENTION_DAYS (or --days); the daily rollups are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days: int | None, **options) -> None:
        try:
            deleted = prune_logs(older_than_days=days)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(", ".join(f"{count:,} {kind}" for kind, count in deleted.items()) + " deleted.")
