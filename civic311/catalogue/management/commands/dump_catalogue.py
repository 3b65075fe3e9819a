"""`manage.py dump_catalogue [--jurisdiction CITY] [-o FILE]`: write a city's catalogue as a catalogue file.

`load_catalogue` reads the file back to the same catalogue. Exit codes: 0 written; 2 unknown city or the
output cannot be written. See docs/catalogue-file.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from civic311.catalogue.catalogue_file import render_catalogue
from civic311.catalogue.selectors import catalogue_file_of
from civic311.jurisdictions.management.arguments import (
    add_jurisdiction_argument,
    add_output_argument,
    jurisdiction_named,
    write_output,
)


class Command(BaseCommand):
    help = (
        "Write a city's catalogue as a catalogue file (TOML; see docs/catalogue-file.md) that load_catalogue "
        "reads back to the same catalogue. Exit 0: written; 2: unknown city or unwritable output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_jurisdiction_argument(parser, required=False)
        add_output_argument(parser)

    def handle(self, *args, jurisdiction: str | None, output: str | None, **options) -> None:
        city = jurisdiction_named(jurisdiction)
        catalogue = catalogue_file_of(city)
        text = render_catalogue(
            catalogue,
            header=_(
                "The catalogue of %(city)s (%(id)s), written by manage.py dump_catalogue.\n"
                "Load it with: manage.py load_catalogue FILE --jurisdiction %(slug)s (see docs/catalogue-file.md)."
            )
            % {"city": city.name, "id": city.jurisdiction_id, "slug": city.slug},
        )
        if write_output(self, text, output):
            self.stderr.write(
                _("Wrote %(count)s services of %(city)s to %(file)s.")
                % {"count": len(catalogue.services), "city": city.name, "file": output}
            )
