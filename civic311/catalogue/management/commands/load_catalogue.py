"""`manage.py load_catalogue FILE --jurisdiction CITY [--translations LANG.toml ...] [--dry-run]`: make a city's
catalogue the file's, with its texts in other languages from translation files (`catalogue_translations.py`).

Exit codes: 0 loaded (or, with --dry-run, checked); 2 nothing written: unknown city, unreadable file, or
problems in the file or refused removals, each listed with the file's path of keys.
See docs/catalogue-file.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civic311.catalogue.catalogue_file import CatalogueFileError, parse_catalogue
from civic311.catalogue.catalogue_translations import apply_translations, read_translation_files
from civic311.catalogue.services import load_catalogue
from civic311.jurisdictions.management.arguments import USAGE, add_jurisdiction_argument, jurisdiction_named


class Command(BaseCommand):
    help = (
        "Load a catalogue file (TOML; see docs/catalogue-file.md) into a city: creates, changes and removes "
        "departments, groups, services, questions, choices, routing rules and escalation steps so that the "
        "catalogue is the file's. Re-running it changes nothing. Removing what is still in use is refused. "
        "One transaction: any problem writes nothing. Exit 0: loaded; 2: nothing written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The catalogue file (TOML).")
        add_jurisdiction_argument(parser, required=True)
        parser.add_argument(
            "--translations",
            nargs="+",
            default=[],
            metavar="LANG.toml",
            help="Translation files, one language each (dump_catalogue --translation-template LANG writes one).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, and change nothing.")

    def handle(self, *args, file: str, jurisdiction: str, translations: list[str], dry_run: bool, **options) -> None:
        city = jurisdiction_named(jurisdiction)
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}, returncode=USAGE
            ) from None
        try:
            files = read_translation_files(Path(name) for name in translations)
            report = load_catalogue(city, apply_translations(parse_catalogue(text), files), dry_run=dry_run)
        except CatalogueFileError as error:
            raise CommandError(
                _("%(file)s was not loaded into %(city)s; nothing was written:") % {"file": file, "city": city.name}
                + "".join(f"\n  {problem}" for problem in error.problems),
                returncode=USAGE,
            ) from None
        for translation in files:
            self.stdout.write(
                (
                    _("  %(file)s: %(count)s texts in %(language)s, a draft")
                    if translation.draft
                    else _("  %(file)s: %(count)s texts in %(language)s")
                )
                % {"file": translation.name, "count": translation.translated, "language": translation.language}
            )
        for change in report.changes:
            self.stdout.write(f"  {change}")
        if dry_run:
            self.stdout.write(
                _("Dry run, nothing written. %(city)s: %(summary)s") % {"city": city.name, "summary": report.summary()}
            )
        else:
            self.stdout.write(
                _("Loaded %(file)s into %(city)s: %(summary)s")
                % {"file": file, "city": city.name, "summary": report.summary()}
            )
