"""CSV downloads that a spreadsheet opens safely (the search analytics' and the satisfaction reports')."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text a resident or a visitor typed (a query, a comment) that a spreadsheet would run as a formula
    ("=HYPERLINK(…)") gets a leading apostrophe; numbers and other text pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_download(filename: str, rows: Iterable[Iterable[object]]) -> HttpResponse:
    """An attachment `filename` with `rows` (the first is the header), every text cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response
