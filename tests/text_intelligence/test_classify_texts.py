"""`manage.py classify_texts FILE.csv [--out OUT.csv] [--jurisdiction CITY]` (issue 19): every row back with the
reading's columns, the row's point and language passed on (unusable ones ignored), spreadsheet-safe output,
a file classified twice, clear errors (no file, not UTF-8, no text column, unknown city, unwritable output),
and the real readers on bad rows (empty, 10,000 characters, only emoji, Spanish, another language)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from civic311.text_intelligence.management.commands import classify_texts
from civic311.text_intelligence.models import Sentiment, TextKind

from ..factories import ServiceFactory
from .fake_readings import corner, reading

pytestmark = pytest.mark.django_db


class Reader:
    def __init__(self, answer) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def __call__(self, jurisdiction, text, *, lat=None, long=None, language=None, limit=3):
        self.calls.append({"text": text, "lat": lat, "long": long, "language": language})
        return self.answer


@pytest.fixture
def streets(jurisdiction, department):
    return ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-ST01",
        name="Street Defect",
        description="Potholes, broken pavement and sunken street.",
        keywords="pothole, hole in the street, bache",
    )


@pytest.fixture
def fake(monkeypatch, jurisdiction, streets, center_city) -> Reader:
    others = [ServiceFactory(jurisdiction=jurisdiction, code=f"SR-X{n}", name=f"Other {n}") for n in (1, 2)]
    answer = reading(
        (streets, 0.8612, ("pothole",)),
        (others[0], 0.05, ()),
        (others[1], 0.01, ()),
        places=(corner(center_city),),
    )
    reader = Reader(answer)
    monkeypatch.setattr(classify_texts, "read_text", reader)
    return reader


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding=encoding)
    return path


def run(*args: str) -> tuple[list[dict[str, str]], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("classify_texts", *args, stdout=out, stderr=err)
    return list(csv.DictReader(io.StringIO(out.getvalue()))), err.getvalue()


def test_every_row_comes_back_with_its_reading(tmp_path, fake):
    source = write(
        tmp_path / "texts.csv",
        [
            ["id", "text", "lat", "long", "language", "my_label"],
            ["1", "Pothole on Broad again", "39.95", "-75.16", "en", "SR-ST01"],
            ["2", "Hay un bache", "", "", "ES", ""],
        ],
    )
    rows, summary = run(str(source))
    assert [row["id"] for row in rows] == ["1", "2"] and rows[0]["my_label"] == "SR-ST01"
    first = rows[0]
    assert (first["suggested_service"], first["service_confidence"], first["unsure"], first["method"]) == (
        "SR-ST01",
        "0.861",
        "no",
        "model",
    )
    assert (first["second_service"], first["second_confidence"], first["third_service"]) == ("SR-X1", "0.050", "SR-X2")
    assert (first["kind"], first["sentiment"], first["sentiment_score"]) == ("complaint", "negative", "-0.620")
    assert (first["place"], first["place_lat"], first["place_long"], first["neighborhood"]) == (
        "N Broad St & Market St",
        "39.952600",
        "-75.163500",
        "Center City",
    )
    assert fake.calls == [
        {"text": "Pothole on Broad again", "lat": 39.95, "long": -75.16, "language": "en"},
        {"text": "Hay un bache", "lat": None, "long": None, "language": "es"},
    ]
    assert "2 texts read: 2 with a sure suggestion, 0 unsure, 2 naming a place." in summary


def test_the_columns_in_order(tmp_path, fake):
    source = write(tmp_path / "texts.csv", [["text", "note"], ["pothole", "x"]])
    out = io.StringIO()
    call_command("classify_texts", str(source), stdout=out, stderr=io.StringIO())
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert header == ["text", "note", *classify_texts.ADDED_COLUMNS]


def test_an_unusable_point_or_language_is_left_out(tmp_path, fake):
    source = write(
        tmp_path / "texts.csv",
        [
            ["text", "lat", "long", "language"],
            ["a", "39.95", "", "de"],
            ["b", "north", "-75.1", ""],
            ["c", "95", "-75.1", "en"],
            ["d", "nan", "inf", "en"],
        ],
    )
    run(str(source))
    assert [(call["lat"], call["long"]) for call in fake.calls] == [(None, None)] * 4
    assert [call["language"] for call in fake.calls] == [None, None, "en", "en"]


def test_an_unsure_row_still_names_the_likeliest_service(tmp_path, monkeypatch, streets):
    monkeypatch.setattr(classify_texts, "read_text", Reader(reading((streets, 0.2, ()), unsure=True)))
    rows, summary = run(str(write(tmp_path / "t.csv", [["text"], ["hole?"]])))
    assert rows[0]["suggested_service"] == "SR-ST01" and rows[0]["unsure"] == "yes"
    assert rows[0]["second_service"] == "" and rows[0]["place"] == ""
    assert "0 with a sure suggestion, 1 unsure, 0 naming a place" in summary


def test_the_output_is_safe_in_a_spreadsheet(tmp_path, fake):
    source = write(
        tmp_path / "texts.csv",
        [["text", "note"], ['=HYPERLINK("http://evil.example")', "+1+2"], ["@SUM(A1)", "-12.5"]],
    )
    out = io.StringIO()
    call_command("classify_texts", str(source), stdout=out, stderr=io.StringIO())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["text"].startswith("'=") and rows[0]["note"].startswith("'+")
    assert rows[1]["text"].startswith("'@") and rows[1]["note"] == "-12.5"  # a plain number stays a number
    assert fake.calls[0]["text"] == '=HYPERLINK("http://evil.example")'  # read as written


def test_out_writes_a_file_and_a_file_can_be_classified_again(tmp_path, fake):
    source = write(tmp_path / "texts.csv", [["text"], ["Pothole"]])
    target = tmp_path / "classified.csv"
    call_command("classify_texts", str(source), "--out", str(target), stdout=io.StringIO(), stderr=io.StringIO())
    again = tmp_path / "again.csv"
    call_command("classify_texts", str(target), "--out", str(again), stdout=io.StringIO(), stderr=io.StringIO())
    header = next(csv.reader(io.StringIO(again.read_text(encoding="utf-8"))))
    assert header == ["text", *classify_texts.ADDED_COLUMNS]  # replaced, not doubled


def test_a_byte_order_mark_and_spaces_in_the_header_are_fine(tmp_path, fake):
    source = tmp_path / "excel.csv"
    source.write_bytes("\ufeff Text ,id\r\nPothole,1\r\n".replace(" Text ", " text ").encode("utf-8"))
    rows, _summary = run(str(source))
    assert rows[0]["id"] == "1" and fake.calls[0]["text"] == "Pothole"


def test_an_empty_file_with_a_header_writes_a_header(tmp_path, fake):
    rows, summary = run(str(write(tmp_path / "t.csv", [["text"]])))
    assert rows == [] and "0 texts read" in summary


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "There is no file"),
        (b"id,words\r\n1,pothole\r\n", "has no \u201ctext\u201d column (its columns are: id, words)"),
        (b"", "has no \u201ctext\u201d column (its columns are: none)"),
        ("text\r\nca\u00f1o roto\r\n".encode("latin-1"), "cannot be read as a UTF-8 CSV file"),
    ],
    ids=["missing", "no-text-column", "empty", "latin-1"],
)
def test_a_file_that_cannot_be_used_is_a_clear_error(tmp_path, fake, content, message):
    source = tmp_path / "texts.csv"
    if content is not None:
        source.write_bytes(content)
    with pytest.raises(CommandError, match=re.escape(message)) as raised:
        call_command("classify_texts", str(source), stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 2 and fake.calls == []


def test_an_unknown_city_and_an_unwritable_output(tmp_path, fake):
    source = write(tmp_path / "texts.csv", [["text"], ["Pothole"]])
    with pytest.raises(CommandError, match="There is no jurisdiction") as raised:
        call_command("classify_texts", str(source), "--jurisdiction", "atlantis", stdout=io.StringIO())
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match="Cannot write") as raised:
        call_command(
            "classify_texts", str(source), "--out", str(tmp_path / "no" / "such" / "dir.csv"), stderr=io.StringIO()
        )
    assert raised.value.returncode == 2


def test_the_real_readers_on_bad_rows(tmp_path, streets):
    texts = [
        "",
        "x" * 10_000,
        "🙂🔥🔥🙂",
        "Hay un bache enorme en la calle, ya van tres veces que llamo",
        "Das Licht an der Ecke ist seit Wochen kaputt",
        "There is a pothole in front of my house",
    ]
    rows, summary = run(str(write(tmp_path / "t.csv", [["text"], *[[text] for text in texts]])))
    assert len(rows) == len(texts) and "6 texts read" in summary
    for row in rows:
        assert row["kind"] in TextKind.values and row["sentiment"] in Sentiment.values
        assert -1 <= float(row["sentiment_score"]) <= 1 and row["unsure"] in ("yes", "no")
    assert rows[0]["unsure"] == "yes" and rows[0]["kind"] == "other" and rows[0]["method"] == "none"
    assert rows[2]["unsure"] == "yes"
    assert rows[5]["suggested_service"] == "SR-ST01"
