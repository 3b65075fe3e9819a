"""The satisfaction report's PDF keeps every column on the page (issue 14: the trend and by-channel tables
were cut off at question 3). Measured in WeasyPrint's own layout of the document, the boxes it draws on
each page: no package that reads text back out of a PDF is installed, and the layout is what the reader
sees. The hand-worked month of the reports' tests, with the survey's four questions, and a longer survey
of eight, which the PDF splits into tables of four."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string

from civic311.pdf import _weasyprint_html
from civic311.surveys import reports, services
from civic311.surveys.models import InstrumentVersion, Question
from civic311.surveys.reports import MONTH, Period

from .survey_helpers import Month

pytestmark = pytest.mark.django_db

NOVEMBER = Period.parse(MONTH, "2026-11")
NOW = dt.datetime(2026, 12, 10, 15, 0, tzinfo=dt.UTC)
BREAKDOWNS = ("trend", "by-channel", "by-team", "by-agent")


def _pdf_html(report: reports.Report) -> str:
    return render_to_string(
        "surveys/reports/report_pdf.html", {"report": report, "generated": NOW, "previous": report.period.previous()}
    )


def _layout(html: str) -> tuple[list[str], dict[str, set[str]]]:
    """(every table cell that reaches past the page's printable width, {table id: question codes in its
    column headings}) of the document as WeasyPrint lays it out."""
    document = _weasyprint_html()(string=html).render()
    outside: list[str] = []
    headings: dict[str, set[str]] = {}
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box  # WeasyPrint's layout tree of the page (its public API draws it)
        right_edge = page_box.content_box_x() + page_box.width
        table_id = ""
        for box in page_box.descendants():  # depth first: a table comes before its cells
            tag = getattr(box, "element_tag", None)
            if tag == "table":
                table_id = box.element.get("id") or ""
            if tag not in ("th", "td"):
                continue
            if box.position_x + box.margin_width() > right_edge + 0.5:
                outside.append(f"page {number}, {table_id}: {''.join(box.element.itertext()).strip()[:40]!r}")
            code = box.element.get("data-code")
            if code:
                headings.setdefault(table_id, set()).add(code)
    return outside, headings


def _shown_per_breakdown(headings: dict[str, set[str]]) -> dict[str, set[str]]:
    """{breakdown: every question code shown in its tables} (a breakdown split in several: by-channel-2…)."""
    shown: dict[str, set[str]] = {}
    for table_id, codes in headings.items():
        breakdown = next(name for name in BREAKDOWNS if table_id == name or table_id.startswith(f"{name}-"))
        shown.setdefault(breakdown, set()).update(codes)
    return shown


def test_every_column_of_the_breakdowns_is_on_the_page(jurisdiction):
    month = Month(jurisdiction)
    report = reports.leadership_report(jurisdiction, NOVEMBER, month.sue)  # sees Blue's agents too
    codes = {code for code, _text in report.questions}
    assert len(codes) == 4

    outside, headings = _layout(_pdf_html(report))

    assert outside == []
    assert _shown_per_breakdown(headings) == dict.fromkeys(BREAKDOWNS, codes)


def test_a_longer_survey_is_split_into_tables_that_fit(jurisdiction):
    month = Month(jurisdiction)
    longer = InstrumentVersion.objects.create(instrument=month.version.instrument, number=2)
    for order, question in enumerate(month.version.questions.all(), start=1):
        services.add_question(
            longer,
            code=question.code,
            kind=question.kind,
            text=question.text,
            order=order,
            required=question.required,
            about_agent=question.about_agent,
        )
    for order, code in enumerate(("courteous", "resolved", "recommend", "easy_to_reach"), start=10):
        services.add_question(
            longer,
            code=code,
            kind=Question.Kind.YES_NO,
            order=order,
            text=f"Would you say that the contact centre was {code.replace('_', ' ')} this time?",
        )
    services.publish_version(longer)
    report = reports.leadership_report(jurisdiction, NOVEMBER, month.sue)
    codes = {code for code, _text in report.questions}
    assert len(codes) == 8

    outside, headings = _layout(_pdf_html(report))

    assert outside == []
    assert _shown_per_breakdown(headings) == dict.fromkeys(BREAKDOWNS, codes)
    assert {table_id: len(found) for table_id, found in headings.items() if table_id.startswith("trend")} == {
        "trend": 4,
        "trend-2": 4,
    }


def test_the_page_keeps_each_breakdown_in_one_table(client, jurisdiction):
    month = Month(jurisdiction)
    report = reports.leadership_report(jurisdiction, NOVEMBER, month.sue)
    html = render_to_string("surveys/reports/_report_body.html", {"report": report})
    assert 'id="trend"' in html and 'id="trend-2"' not in html
    assert html.count('data-code="satisfied"') == len(BREAKDOWNS)


@pytest.mark.parametrize(
    ("count", "per_table", "tables"), [(4, 4, [4]), (5, 4, [4, 1]), (8, 4, [4, 4]), (8, None, [8]), (0, 4, [0])]
)
def test_questions_in_groups_of_columns(count, per_table, tables):
    questions = [(f"q{number}", f"Question {number}?") for number in range(count)]
    groups = reports.column_groups(questions, per_table)
    assert [len(group.questions) for group in groups] == tables
    if count:
        assert groups[-1].questions[-1][0] == count and groups[0].cells.startswith("0:")
