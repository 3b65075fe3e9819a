"""`manage.py classify_texts FILE.csv [--out OUT.csv] [--jurisdiction CITY]`: read every text of a CSV file
the way the inbox and the staff API read one (`reading.read_text`) and write the same rows with what was read
added, so a city can check the suggester and the mood reader on its own texts (put its own labels in a
column beside them and compare).

The file: a header row with a `text` column (any other columns are kept as they are); `lat` and `long` (a
point, used when both are numbers inside the world) and `language` (`en`, `es`; guessed otherwise) are read
when present. Columns added: suggested_service (the most likely service's code, even when unsure),
service_confidence, unsure (yes/no: whether a person would be asked to pick), method, second_service,
second_confidence, third_service, third_confidence, kind, sentiment, sentiment_score, place (the most precise
place named, as the city writes it), place_lat, place_long, neighborhood. The output is safe to open in a
spreadsheet (`spreadsheets.csv_download`'s guard: no cell starts a formula).

Exit codes: 0 written; 2 the file cannot be read, has no `text` column, or the city is unknown (nothing
written).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civic311.jurisdictions.management.arguments import USAGE, add_jurisdiction_argument, jurisdiction_named
from civic311.jurisdictions.models import Jurisdiction
from civic311.spreadsheets import csv_download
from civic311.text_intelligence.reading import Reading, read_text

TEXT_COLUMN = "text"
ADDED_COLUMNS = (
    "suggested_service",
    "service_confidence",
    "unsure",
    "method",
    "second_service",
    "second_confidence",
    "third_service",
    "third_confidence",
    "kind",
    "sentiment",
    "sentiment_score",
    "place",
    "place_lat",
    "place_long",
    "neighborhood",
)
LANGUAGES = frozenset(code for code, _name in settings.LANGUAGES)


def _number(value: str | None, limit: float) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def point_of(row: dict[str, str]) -> tuple[float | None, float | None]:
    """The row's point when both `lat` and `long` are usable numbers, else (None, None)."""
    lat, long = _number(row.get("lat"), 90), _number(row.get("long"), 180)
    return (lat, long) if lat is not None and long is not None else (None, None)


def reading_columns(reading: Reading) -> dict[str, str]:
    """The added columns of one reading (numbers as text, rounded; empty when there is nothing)."""
    services = reading.suggestions.services
    columns: dict[str, str] = {
        "unsure": "yes" if reading.suggestions.unsure else "no",
        "method": reading.suggestions.method,
        "kind": str(reading.mood.kind),
        "sentiment": str(reading.mood.sentiment),
        "sentiment_score": f"{reading.mood.score:.3f}",
    }
    for position, (code_column, confidence_column) in enumerate(
        (
            ("suggested_service", "service_confidence"),
            ("second_service", "second_confidence"),
            ("third_service", "third_confidence"),
        )
    ):
        found = services[position] if position < len(services) else None
        columns[code_column] = found.service.code if found is not None else ""
        columns[confidence_column] = f"{found.confidence:.3f}" if found is not None else ""
    place = reading.place or (reading.places[0] if reading.places else None)
    columns["place"] = place.label if place is not None else ""
    columns["place_lat"] = f"{place.lat:.6f}" if place is not None and place.lat is not None else ""
    columns["place_long"] = f"{place.long:.6f}" if place is not None and place.long is not None else ""
    named = place.neighborhood if place is not None else None
    columns["neighborhood"] = named.name if named is not None else ""
    return columns


def classify_rows(jurisdiction: Jurisdiction, rows: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    """Each row with the added columns (replacing columns of the same names: a file classified before can be
    classified again)."""
    for row in rows:
        lat, long = point_of(row)
        language = (row.get("language") or "").strip().lower()
        reading = read_text(
            jurisdiction,
            row.get(TEXT_COLUMN) or "",
            lat=lat,
            long=long,
            language=language if language in LANGUAGES else None,
        )
        yield {**row, **reading_columns(reading)}


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of the CSV at `path` (UTF-8, with or without a byte-order mark); CommandError (exit
    USAGE) for a file that cannot be read or has no `text` column."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [(name or "").strip() for name in (reader.fieldnames or [])]
            reader.fieldnames = header
            rows = [{name: (value or "") for name, value in row.items() if isinstance(name, str)} for row in reader]
    except FileNotFoundError:
        raise CommandError(_("There is no file %(file)s.") % {"file": path}, returncode=USAGE) from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandError(
            _("%(file)s cannot be read as a UTF-8 CSV file: %(error)s") % {"file": path, "error": error},
            returncode=USAGE,
        ) from None
    if TEXT_COLUMN not in header:
        raise CommandError(
            _("%(file)s has no “text” column (its columns are: %(columns)s).")
            % {"file": path, "columns": ", ".join(name for name in header if name) or _("none")},
            returncode=USAGE,
        )
    return header, rows


class Command(BaseCommand):
    help = (
        "Read the texts of a CSV file (a `text` column; optional lat, long, language) as the inbox does and "
        "write the rows with the suggested services, their confidence, unsure, kind, sentiment and the place "
        "named. Exit 0: written; 2: the file cannot be read, has no text column, or the city is unknown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file of texts (UTF-8, a header row with a `text` column).")
        parser.add_argument("--out", help="Where the classified rows go (default: standard output).")
        add_jurisdiction_argument(parser, required=False)

    def handle(self, *args: Any, file: str, out: str | None, jurisdiction: str | None, **options: Any) -> None:
        city = jurisdiction_named(jurisdiction)
        header, rows = read_rows(Path(file))
        columns = [name for name in header if name and name not in ADDED_COLUMNS] + list(ADDED_COLUMNS)
        classified = list(classify_rows(city, rows))
        table = [columns, *([row.get(name, "") for name in columns] for row in classified)]
        content = csv_download("classified.csv", table).content
        if out is None:
            self.stdout.write(content.decode("utf-8"), ending="")
        else:
            try:
                Path(out).write_bytes(content)
            except OSError as error:
                raise CommandError(
                    _("Cannot write %(file)s: %(error)s") % {"file": out, "error": error}, returncode=USAGE
                ) from None
        unsure = sum(1 for row in classified if row["unsure"] == "yes")
        placed = sum(1 for row in classified if row["place"])
        self.stderr.write(
            _("%(count)d texts read: %(sure)d with a sure suggestion, %(unsure)d unsure, %(placed)d naming a place.")
            % {"count": len(classified), "sure": len(classified) - unsure, "unsure": unsure, "placed": placed}
        )
