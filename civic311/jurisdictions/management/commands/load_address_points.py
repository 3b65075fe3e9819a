"""`manage.py load_address_points FILE.csv --jurisdiction X [--dry-run]`: the city's own address points
(address, lat, long, and zipcode if the file has it), what the default geocoder places typed addresses with
and names dropped pins by (`jurisdictions.geocoding`).

Exit codes: 0 loaded (or checked, with --dry-run); 2 the file or the options cannot be used, nothing written.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from civic311.jurisdictions import geocoding
from civic311.jurisdictions.management.arguments import add_jurisdiction_argument, file_not_loaded, jurisdiction_named


class Command(BaseCommand):
    help = (
        "Replace a city's address points with a CSV file in UTF-8 with a header row and the columns address, "
        "lat and long (WGS84 degrees), and optionally zipcode. Every problem of the file is listed with its "
        "line number and nothing changes; otherwise the city's address points are replaced in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file.")
        add_jurisdiction_argument(parser, required=True)
        parser.add_argument("--dry-run", action="store_true", help="Check the file and say what would be loaded.")

    def handle(self, *args, file: str, jurisdiction: str, dry_run: bool, **options) -> None:
        city = jurisdiction_named(jurisdiction)
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as error:
            raise file_not_loaded(file, [_("It cannot be read: %(error)s") % {"error": error.strerror}]) from None
        except UnicodeDecodeError as error:
            raise file_not_loaded(file, [_("It is not text in UTF-8: %(error)s") % {"error": error}]) from None
        try:
            points = geocoding.address_points_from(city, text)
        except geocoding.AddressFileError as error:
            raise file_not_loaded(file, error.problems) from None
        if dry_run:
            message = _("%(city)s: address points that would be loaded: %(count)d; dry run, nothing changed.")
        else:
            geocoding.replace_address_points(city, points)
            message = _("%(city)s: address points loaded: %(count)d.")
        self.stdout.write(message % {"city": city.name, "count": len(points)})
