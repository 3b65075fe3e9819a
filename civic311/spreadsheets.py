"""CSV downloads that a spreadsheet opens safely (the search analytics' and the satisfaction reports').

`defusedcsv` does the guarding: a text cell that starts with `=`, `+`, `-`, `@`, `|` or `%` gets a leading
apostrophe (and a `|` in it a backslash, so it cannot start a DDE call), unless it is a plain number such as
`-12.5` or `1,000`; numbers and empty cells pass unchanged. It leaves a leading tab or carriage return alone,
which some spreadsheets skip before reading a formula, so those cells get the apostrophe here first.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Number

from defusedcsv import csv as defused_csv
from django.http import HttpResponse

_WHITESPACE_STARTS = ("\t", "\r")


def _tab_or_cr_guarded(value: object) -> object:
    if value is None or isinstance(value, Number):
        return value
    text = str(value)  # also a lazily translated label
    return "'" + text if text.startswith(_WHITESPACE_STARTS) else text


def csv_download(filename: str, rows: Iterable[Iterable[object]]) -> HttpResponse:
    """An attachment `filename` with `rows` (the first is the header), every text cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = defused_csv.writer(response)
    for row in rows:
        writer.writerow([_tab_or_cr_guarded(cell) for cell in row])
    return response
