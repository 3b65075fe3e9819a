"""`manage.py add_jurisdiction JURISDICTION_ID --name NAME --slug SLUG --time-zone ZONE --boundary FILE.geojson
[--host HOST] [--contact-email E] [--contact-phone P]`: add a city (or change those fields of one already there).

The rest of a city (holidays, business hours, the open-data opt-in) is edited in the admin; its
neighborhoods come from `load_boundaries --neighborhoods`, its catalogue from `load_catalogue`.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civic311.jurisdictions import boundaries
from civic311.jurisdictions.management.arguments import USAGE, file_not_loaded
from civic311.jurisdictions.services import save_jurisdiction

FIELDS = ("name", "slug", "time_zone", "host", "contact_email", "contact_phone")


class Command(BaseCommand):
    help = (
        "Add a jurisdiction (a city or county) with its Open311 jurisdiction_id, name, time zone and boundary; "
        "run again to change any of them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "jurisdiction_id", help="Its Open311 jurisdiction_id: the city's domain, e.g. springfield.gov."
        )
        parser.add_argument("--name", help="The name residents know it by, e.g. Springfield.")
        parser.add_argument("--slug", help="A short name for commands and URLs, e.g. springfield.")
        parser.add_argument("--time-zone", help="Its IANA time zone, e.g. America/Chicago.")
        parser.add_argument("--boundary", help="A GeoJSON file of its outline (WGS84); the bounds are its box.")
        parser.add_argument("--host", help="The host name its public site answers on, e.g. 311.springfield.gov.")
        parser.add_argument("--contact-email")
        parser.add_argument("--contact-phone")

    def handle(self, *args, jurisdiction_id: str, boundary: str | None, **options) -> None:
        fields = {name: options[name].strip() for name in FIELDS if options.get(name) is not None}
        try:
            features = boundaries.read_features(Path(boundary)) if boundary else None
            city, created, warnings = save_jurisdiction(jurisdiction_id.strip(), boundary=features, **fields)
        except boundaries.BoundaryFileError as error:
            raise file_not_loaded(str(boundary), error.problems) from None
        except ValidationError as error:
            problems = [
                f"{name}: {message}" if name != "__all__" else message
                for name, messages in error.message_dict.items()
                for message in messages
            ]
            raise CommandError(
                _("The jurisdiction was not saved:\n  %(problems)s") % {"problems": "\n  ".join(problems)},
                returncode=USAGE,
            ) from None
        message = _("Added %(name)s (%(id)s).") if created else _("Updated %(name)s (%(id)s).")
        self.stdout.write(message % {"name": city.name, "id": city.jurisdiction_id})
        for warning in warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))
