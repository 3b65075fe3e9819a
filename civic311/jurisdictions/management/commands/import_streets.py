"""`manage.py import_streets FILE.geojson --jurisdiction X [--name-property NAME] [--from-property FROM]
[--to-property TO] [--dry-run]`: a city's street centrelines, so that addresses and intersections written in
messages can be placed (text_intelligence.places).

Exit codes: 0 loaded (or checked, with --dry-run); 2 the file or the options cannot be used, nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from civic311.jurisdictions import services
from civic311.jurisdictions.management.arguments import add_jurisdiction_argument, file_not_loaded, jurisdiction_named


class Command(BaseCommand):
    help = (
        "Replace a city's streets with a GeoJSON FeatureCollection of LineStrings (or MultiLineStrings) in WGS84 "
        "longitude/latitude, each with its street's name and, when known, the house numbers at its first and "
        "last point. Philadelphia's street centreline file works as it is (STNAME, L_F_ADD/R_F_ADD, "
        "L_T_ADD/R_T_ADD). Every problem of the file is listed and nothing changes; otherwise the city's "
        "segments are replaced in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The GeoJSON file.")
        add_jurisdiction_argument(parser, required=True)
        parser.add_argument(
            "--name-property",
            help="The property that holds a street's name, e.g. 'N 5th St' (default: the first of "
            f"{', '.join(services.DEFAULT_NAME_PROPERTIES)} a feature has).",
        )
        parser.add_argument(
            "--from-property",
            help="The property that holds the house number at the line's first point (default: the first of "
            f"{', '.join(services.DEFAULT_FROM_PROPERTIES)} that is set and not 0).",
        )
        parser.add_argument(
            "--to-property",
            help="The property that holds the house number at its last point (default: the first of "
            f"{', '.join(services.DEFAULT_TO_PROPERTIES)} that is set and not 0).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and say what would be loaded.")

    def handle(
        self,
        *args,
        file: str,
        jurisdiction: str,
        name_property: str | None,
        from_property: str | None,
        to_property: str | None,
        dry_run: bool,
        **options,
    ) -> None:
        city = jurisdiction_named(jurisdiction)
        path = Path(file)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise file_not_loaded(file, [_("It cannot be read: %(error)s") % {"error": error.strerror}]) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise file_not_loaded(
                file, [_("It is not GeoJSON (JSON in UTF-8): %(error)s") % {"error": error}]
            ) from None
        names = {"name_property": name_property, "from_property": from_property, "to_property": to_property}
        try:
            segments, outside = services.street_segments_from(city, document, **names)
            if not dry_run:
                services.replace_street_segments(city, segments)
        except services.StreetFileError as error:
            raise file_not_loaded(file, error.problems) from None
        numbered = sum(1 for segment in segments if segment.from_number is not None)
        streets = len({segment.key for segment in segments})
        message = (
            _(
                "%(city)s: street segments that would be loaded: %(segments)d (streets: %(streets)d); dry run, nothing changed."  # noqa: E501
            )
            if dry_run
            else _("%(city)s: street segments loaded: %(segments)d (streets: %(streets)d).")
        )
        self.stdout.write(message % {"city": city.name, "segments": len(segments), "streets": streets})
        self.stdout.write(
            _("With house numbers (addresses on them can be placed): %(numbered)d.") % {"numbered": numbered}
        )
        if outside:
            self.stdout.write(_("Features wholly outside the city's bounds, left out: %(count)d.") % {"count": outside})
