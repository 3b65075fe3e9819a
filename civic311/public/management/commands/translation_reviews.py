"""`manage.py translation_reviews [--language CODE]`: how far the review of each resident catalogue has come
(issue 21), for CI logs and for a city without the review pages: per language, its resident messages and
how many are reviewed, changed since their review, drafts, and untranslated; and whether the catalogue still
calls itself a draft. The same figures as `/translations/review/` (`translation_selectors.overview`).

Exit codes: 0 printed; 2 a language that is not a resident language with a catalogue.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic311.jurisdictions.management.arguments import USAGE
from civic311.public import translation_selectors as selectors

COLUMNS = ("language", "messages", "reviewed", "changed", "draft", "untranslated", "file")


class Command(BaseCommand):
    help = (
        "Print, per resident language with a catalogue, its resident messages by review status: reviewed, "
        "changed since review, draft (never reviewed), untranslated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--language", help="Only this language (a code, e.g. fr, zh-hans).")

    def handle(self, *args: Any, language: str | None = None, **options: Any) -> None:
        if language is None:
            rows = selectors.overview()
        else:
            chosen = selectors.reviewable_language(language)
            if chosen is None:
                raise CommandError(
                    f"{language!r} is not a resident language with a catalogue to review: "
                    + ", ".join(known.code for known in selectors.reviewable_languages()),
                    returncode=USAGE,
                )
            rows = selectors.overview(languages=[chosen])
        self.stdout.write(f"{COLUMNS[0]:<28}" + "".join(f"{name:>14}" for name in COLUMNS[1:]))
        for row in rows:
            name = f"{row.language.code} ({row.language.english_name})"
            figures = (row.total, row.reviewed, row.changed, row.draft, row.untranslated)
            self.stdout.write(
                f"{name:<28}"
                + "".join(f"{figure:>14}" for figure in figures)
                + f"{'draft' if row.marked_draft else '':>14}"
            )
        if language is None:
            totals = [sum(getattr(row, name) for row in rows) for name in ("total", "reviewed", "changed", "draft")]
            untranslated = sum(row.untranslated for row in rows)
            self.stdout.write(f"{'all':<28}" + "".join(f"{figure:>14}" for figure in [*totals, untranslated]))
