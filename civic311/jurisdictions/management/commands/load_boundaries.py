"""`manage.py load_boundaries FILE.geojson --jurisdiction X (--city-boundary | --neighborhoods) [--name-property
NAME] [--slug-property SLUG] [--dry-run]`: a city's boundary, or its neighborhoods, from a GeoJSON file.

Exit codes: 0 loaded (or nothing to change); 2 the file or the options cannot be used, nothing written.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic311.jurisdictions import boundaries
from civic311.jurisdictions.management.arguments import add_jurisdiction_argument, file_not_loaded, jurisdiction_named
from civic311.jurisdictions.models import Jurisdiction


class Command(BaseCommand):
    help = (
        "Load a city's boundary (--city-boundary) or its neighborhoods (--neighborhoods) from a GeoJSON file "
        "in WGS84 longitude/latitude. Everything is checked first (valid polygons, the coordinate system, "
        "neighborhoods inside the city and not overlapping) and every problem is listed; then the file is "
        "applied in one transaction. Safe to run again: neighborhoods are matched by slug, then by name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The GeoJSON file (a FeatureCollection, a Feature or a Polygon).")
        add_jurisdiction_argument(parser, required=True)
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument(
            "--city-boundary",
            action="store_true",
            help="The file is the city's outline (its polygons are joined); the city's bounds "
            "become the outline's box.",
        )
        what.add_argument("--neighborhoods", action="store_true", help="Each feature of the file is a neighborhood.")
        parser.add_argument(
            "--name-property",
            default="name",
            help="The feature property that holds a neighborhood's name (default: name).",
        )
        parser.add_argument(
            "--slug-property",
            default="slug",
            help="The feature property that holds its slug (default: slug; made from the name "
            "when a feature has none).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and say what would change.")

    def handle(
        self,
        *args,
        file: str,
        jurisdiction: str,
        city_boundary: bool,
        neighborhoods: bool,
        name_property: str,
        slug_property: str,
        dry_run: bool,
        **options,
    ) -> None:
        city = jurisdiction_named(jurisdiction)
        try:
            features = boundaries.read_features(Path(file))
            if city_boundary:
                changed, warnings = boundaries.load_city_boundary(city, features, dry_run=dry_run)
                self._city_summary(city, changed, dry_run)
            else:
                result = boundaries.load_neighborhoods(
                    city, features, name_property=name_property, slug_property=slug_property or None, dry_run=dry_run
                )
                self._neighborhood_summary(city, result, dry_run)
                warnings = result.warnings
        except boundaries.BoundaryFileError as error:
            raise file_not_loaded(file, error.problems) from None
        for warning in warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))

    def _city_summary(self, city: Jurisdiction, changed: bool, dry_run: bool) -> None:
        if not changed:
            self.stdout.write(_("%(city)s: the boundary is already this one; nothing changed.") % {"city": city.name})
            return
        message = (
            _("%(city)s: the boundary would be replaced (dry run; nothing changed).")
            if dry_run
            else _("%(city)s: boundary loaded.")
        )
        self.stdout.write(
            message % {"city": city.name}
            + " "
            + _("Bounds: latitude %(min_lat).5f to %(max_lat).5f, longitude %(min_long).5f to %(max_long).5f.")
            % {"min_lat": city.min_lat, "max_lat": city.max_lat, "min_long": city.min_long, "max_long": city.max_long}
        )

    def _neighborhood_summary(self, city: Jurisdiction, result: boundaries.LoadResult, dry_run: bool) -> None:
        total = len(result.added) + len(result.changed) + len(result.unchanged)
        self.stdout.write(
            ngettext(
                "%(city)s: %(count)d neighborhood in the file: %(added)d added, %(changed)d changed, %(same)d unchanged.",  # noqa: E501
                "%(city)s: %(count)d neighborhoods in the file: %(added)d added, %(changed)d changed, %(same)d unchanged.",  # noqa: E501
                total,
            )
            % {
                "city": city.name,
                "count": total,
                "added": len(result.added),
                "changed": len(result.changed),
                "same": len(result.unchanged),
            }
        )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        if result.not_in_file:
            self.stdout.write(
                _("Kept, though not in the file (delete them in the admin if they are gone): %(names)s.")
                % {"names": ", ".join(result.not_in_file)}
            )
        if result.uncovered_share > 0.001:
            self.stdout.write(
                _("%(share)s of the city lies in no neighborhood; reports there have none.")
                % {"share": f"{result.uncovered_share:.1%}"}
            )
