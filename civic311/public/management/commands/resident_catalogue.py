"""`manage.py resident_catalogue LANG [-o FILE]`: the messages a resident meets, as a .po file for one language's
translator: every message the code uses in `resident_languages.RESIDENT_SOURCES`, with the language's
translations so far (from its catalogue under civic311/locale, when it has one) and the rest empty.

The work is GNU gettext's (bin/setup installs it): msggrep picks the messages by source file out of the Spanish
catalogue, which carries every message of the code with its references (tests/test_translations.py keeps it
complete and current); msgfilter empties them; msginit writes the new language's header and plural forms, or
msgmerge carries over what its catalogue already has.

Exit codes: 0 written; 2 an unknown language or a missing gettext tool.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic311.jurisdictions.management.arguments import USAGE
from civic311.public.resident_languages import (
    RESIDENT_LANGUAGES,
    ResidentLanguage,
    catalogue_path,
    is_resident_source,
    resident_language,
)

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "civic311" / "locale"
SOURCE_CATALOGUE = LOCALE / "es" / "LC_MESSAGES" / "django.po"  # every message, with its references


def resident_files() -> list[str]:
    """The project's source files a resident reads, as the catalogue's references name them."""
    found = []
    for path in sorted((ROOT / "civic311").rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and path.suffix in {".py", ".html", ".txt"} and is_resident_source(relative):
            found.append(relative)
    return found


def _gettext_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"GNU gettext's {name} is needed (bin/setup installs the gettext package).", returncode=USAGE
        )
    return path


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True)


class Command(BaseCommand):
    help = (
        "Write the messages a resident meets, for one language's translator: the language's translations so "
        "far and the rest empty. Languages: " + ", ".join(language.code for language in RESIDENT_LANGUAGES) + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("language", help="A language code, e.g. fr, zh-hans, ar.")
        parser.add_argument("-o", "--output", help="The file to write (default: standard output).")

    def handle(self, *args: Any, language: str, output: str | None = None, **options: Any) -> None:
        wanted = resident_language(language)
        if wanted is None or wanted.code == "en":
            raise CommandError(
                f"{language!r} is not one of the languages residents read (other than English, the source): "
                + ", ".join(known.code for known in RESIDENT_LANGUAGES if known.code != "en"),
                returncode=USAGE,
            )
        msggrep, msgfilter = _gettext_tool("msggrep"), _gettext_tool("msgfilter")
        existing = catalogue_path(wanted, LOCALE)
        locations = [argument for file in resident_files() for argument in ("-N", file)]
        with tempfile.TemporaryDirectory() as folder:
            picked, template, made = Path(folder, "picked.po"), Path(folder, "resident.pot"), Path(folder, "made.po")
            _run(msggrep, *locations, "-o", str(picked), str(SOURCE_CATALOGUE))
            if wanted.code == "es":
                text = picked.read_text(encoding="utf-8")
            else:
                _run(msgfilter, "--keep-header", "-i", str(picked), "-o", str(template), "sed", "-e", "d")
                template.write_text(_header_for(wanted, template.read_text(encoding="utf-8")), encoding="utf-8")
                if existing.exists():
                    _run(
                        _gettext_tool("msgmerge"),
                        "--quiet",
                        "--no-fuzzy-matching",
                        "-o",
                        str(made),
                        str(existing),
                        str(template),
                    )
                else:  # msginit makes as many msgstr[n] of each plural message as the header's nplurals
                    _run(
                        _gettext_tool("msginit"),
                        "--no-translator",
                        "-l",
                        wanted.locale_name,
                        "-i",
                        str(template),
                        "-o",
                        str(made),
                    )
                text = made.read_text(encoding="utf-8")
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"{text.count(chr(10) + 'msgid ')} messages written to {output}.")
        else:
            self.stdout.write(text, ending="")


def _header_for(language: ResidentLanguage, catalogue: str) -> str:
    """The Spanish header made the language's: its code and plural forms, no translator yet."""
    replaced = {
        '"Language:': f'"Language: {language.locale_name}\\n"',
        '"Plural-Forms:': f'"Plural-Forms: {language.plural_forms}\\n"',
    }
    lines = []
    for line in catalogue.splitlines():
        if line.startswith(('"Last-Translator:', '"Language-Team:', "# Spanish")):
            continue
        key = next((start for start in replaced if line.startswith(start)), None)
        lines.append(replaced[key] if key else line)
    return "\n".join(lines) + "\n"
