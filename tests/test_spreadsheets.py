"""civic311.spreadsheets: the CSV downloads' formula guard (defusedcsv, plus a leading tab or CR)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from civic311.spreadsheets import csv_download


def cells(*values: object) -> list[str]:
    """The one data row a download of `values` holds, as a spreadsheet's CSV reader reads it."""
    response = csv_download("x.csv", [["header"] * len(values), list(values)])
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    return rows[1]


def test_the_response_is_an_attachment():
    response = csv_download("report.csv", [["a", "b"], [1, "x"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert response.content.decode() == "a,b\r\n1,x\r\n"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\t", "'\t"),
        ("%1", "'%1"),
        ("-", "'-"),
        ("=cmd|' /C calc'!A0", "'=cmd\\|' /C calc'!A0"),  # the pipe of a DDE call is escaped too
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(typed, written):
    assert cells(typed) == [written]


@pytest.mark.parametrize(
    "text",
    ["-12", "-12.5", "-1,000", "1,000.5", "2026-03-10", "plain text", "a=b", "a | b", "", "'quoted"],
)
def test_numbers_dates_and_ordinary_text_pass_unchanged(text):
    assert cells(text) == [text]


def test_values_that_are_not_text():
    assert cells(-3, 2.5, Decimal("-1.5"), None, True, dt.date(2026, 3, 10)) == [
        "-3",
        "2.5",
        "-1.5",
        "",
        "True",
        "2026-03-10",
    ]


def test_a_lazily_translated_label_is_written_as_its_text():
    assert cells(gettext_lazy("Resolved")) == ["Resolved"]


def test_a_formula_inside_a_quoted_field_is_guarded_and_quoted():
    assert cells('=1,"2"\n3') == ['\'=1,"2"\n3']
