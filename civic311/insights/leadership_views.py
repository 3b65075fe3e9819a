"""The operational leadership report's pages (`/insights/leadership/`): the list of months and quarters, and
one period's report as a page, a PDF and a CSV. Thin: the figures come from `leadership` (the operations
rollups), the periods from the satisfaction reports, the rules from `civic311.people.roles`."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from civic311.db_routing import reads_from_replica
from civic311.pdf import pdf_download, render_pdf
from civic311.people import roles
from civic311.people.staff_pages import staff_page
from civic311.spreadsheets import csv_download
from civic311.surveys.reports import MONTH, QUARTER, Period, period_in_address, recent_periods

from . import leadership
from .operations_views import operations_city

PDF_KEPT_SECONDS = 600

leadership_page = staff_page(rule=roles.may_see_operations)
MONTHS_LISTED, QUARTERS_LISTED = 12, 4


def _report(request: HttpRequest, kind: str, slug: str) -> leadership.LeadershipReport:
    jurisdiction = operations_city(request)
    return leadership.leadership_report(
        jurisdiction,
        period_in_address(jurisdiction, kind, slug),
        departments=roles.operations_departments(request.user),
        language=get_language(),
    )


def _context(report: leadership.LeadershipReport) -> dict[str, object]:
    """The report, the periods to link to (the next once begun) and whether this one is still running."""
    today = timezone.localdate(timezone=report.city.zone)
    following = report.period.following()
    return {
        "report": report,
        "following": following if following.start <= today else None,
        "is_partial": report.period.end > today,
        "generated": timezone.now(),
    }


@require_GET
@leadership_page
def index(request: HttpRequest) -> HttpResponse:
    jurisdiction = operations_city(request)
    today = timezone.localdate(timezone=jurisdiction.zone)
    return render(
        request,
        "insights/leadership/index.html",
        {
            "lists": [
                ("months", Period.containing(MONTH, today), recent_periods(MONTH, today, MONTHS_LISTED)),
                ("quarters", Period.containing(QUARTER, today), recent_periods(QUARTER, today, QUARTERS_LISTED)),
            ]
        },
    )


@require_GET
@leadership_page
@reads_from_replica
def report(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    found = _report(request, kind, slug)
    return render(request, "insights/leadership/report.html", _context(found))


@require_GET
@leadership_page
@reads_from_replica
def report_pdf(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    found = _report(request, kind, slug)
    html = render_to_string("insights/leadership/report_pdf.html", _context(found), request=request)
    # Laying out a PDF costs more than reading its figures: the same document (the same figures, language
    # and reader's departments) is laid out once and kept until the figures change.
    key = "leadership-pdf:" + hashlib.sha256(html.encode()).hexdigest()
    pdf = cache.get(key)
    if pdf is None:
        pdf = render_pdf(html)
        cache.set(key, pdf, PDF_KEPT_SECONDS)
    return pdf_download(f"leadership-{found.period.slug}.pdf", pdf)


@require_GET
@leadership_page
@reads_from_replica
def report_csv(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    found = _report(request, kind, slug)
    return csv_download(f"leadership-{found.period.slug}.csv", leadership.csv_rows(found))
