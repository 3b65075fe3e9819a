"""`manage.py dump_catalogue [--jurisdiction CITY] [-o FILE] [--translation-template LANG]`: write a city's
catalogue as a catalogue file, or, with --translation-template, the translation file a translator of one
language starts from (each English text as a comment, the city's translations so far filled in).

`load_catalogue` reads the file back to the same catalogue. Exit codes: 0 written; 2 unknown city or the
output cannot be written. See docs/catalogue-file.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civic311.catalogue.catalogue_file import render_catalogue
from civic311.catalogue.catalogue_translations import render_template
from civic311.catalogue.models import LANGUAGE_CODE
from civic311.catalogue.selectors import catalogue_file_of
from civic311.jurisdictions.management.arguments import (
    USAGE,
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
        parser.add_argument(
            "--translation-template",
            metavar="LANG",
            help="Write the translation file for this language (such as vi or zh-hans) instead of the catalogue.",
        )

    def handle(
        self, *args, jurisdiction: str | None, output: str | None, translation_template: str | None, **options
    ) -> None:
        city = jurisdiction_named(jurisdiction)
        catalogue = catalogue_file_of(city)
        if translation_template is not None:
            if not LANGUAGE_CODE.match(translation_template) or translation_template == "en":
                raise CommandError(
                    _("“%(code)s” is not a language code such as es or zh-hans.") % {"code": translation_template[:20]},
                    returncode=USAGE,
                )
            if write_output(self, render_template(catalogue, translation_template), output):
                self.stderr.write(
                    _("Wrote the %(language)s translation file of %(city)s to %(file)s.")
                    % {"language": translation_template, "city": city.name, "file": output}
                )
            return
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
