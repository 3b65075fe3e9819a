"""`manage.py import_posts SOURCE_NAME FILE [--jurisdiction CITY]`: import social media posts from a CSV file
into the inbox, through the city's CSV source named SOURCE_NAME (see `inbox.post_sources.csv_import` for the
columns). All or nothing. Exit codes: 0 imported; 1 the file has bad rows (each is listed; nothing imported);
2 unknown city or source, or the file cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic311.inbox.models import PostSource
from civic311.inbox.post_sources import csv_import
from civic311.jurisdictions.management.arguments import USAGE, add_jurisdiction_argument, jurisdiction_named

BAD_ROWS = 1


class Command(BaseCommand):
    help = (
        "Import social media posts from a CSV file (columns uri,text,author_handle,author_name,posted_at,link,"
        "lat,long,media_urls) into the inbox, through a CSV source. All or nothing. Exit 0: imported; 1: bad "
        "rows, nothing imported; 2: unknown city or source, or an unreadable file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="The name of the city's CSV source (the admin's social media sources).")
        parser.add_argument("file", help="The CSV file, in UTF-8.")
        add_jurisdiction_argument(parser, required=False)

    def handle(self, *args: Any, source: str, file: str, jurisdiction: str | None, **options: Any) -> None:
        city = jurisdiction_named(jurisdiction)
        post_source = PostSource.objects.filter(
            jurisdiction=city, name=source, kind=PostSource.Kind.CSV, is_active=True
        ).first()
        if post_source is None:
            known = ", ".join(
                PostSource.objects.filter(jurisdiction=city, kind=PostSource.Kind.CSV, is_active=True)
                .order_by("name")
                .values_list("name", flat=True)
            )
            raise CommandError(
                _("There is no active CSV source “%(name)s” (there are: %(known)s).")
                % {"name": source, "known": known or _("none")},
                returncode=USAGE,
            )
        try:
            content = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(
                _("The file cannot be read (%(error)s).") % {"error": error.strerror or error}, returncode=USAGE
            ) from error
        report = csv_import.import_posts(post_source, content)
        if not report.ok:
            for row_error in report.errors:
                self.stderr.write(str(row_error))
            raise CommandError(
                _("Nothing was imported: fix the rows above and import the file again."), returncode=BAD_ROWS
            )
        self.stdout.write(
            ngettext(
                "%(received)d post imported, %(duplicates)d imported before.",
                "%(received)d posts imported, %(duplicates)d imported before.",
                report.received,
            )
            % {"received": report.received, "duplicates": report.duplicates}
        )
