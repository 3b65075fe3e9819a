"""The satisfaction reports' pages: the monthly and quarterly report for leadership (HTML, PDF, CSV) and
an agent's own results for coaching. Thin: the figures come from `civic311.surveys.reports`, the rules
from `civic311.people.roles`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civic311.db_routing import reads_from_replica
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.pdf import pdf_download, render_pdf
from civic311.people import roles
from civic311.people.staff_pages import staff_page
from civic311.spreadsheets import csv_download

from . import reports
from .reports import MONTH, QUARTER, Period

report_page = staff_page(rule=roles.may_see_satisfaction_reports)
MONTHS_LISTED, QUARTERS_LISTED = 12, 8


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    jurisdiction = site_jurisdiction(request)
    roles.require(roles.sees_jurisdiction(request.user, jurisdiction.pk), _("These results belong to another city."))
    return jurisdiction


@require_GET
@report_page
def index(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    today = timezone.localdate(timezone=jurisdiction.zone)
    return render(
        request,
        "surveys/reports/index.html",
        {
            "this_month": Period.containing(MONTH, today),
            "this_quarter": Period.containing(QUARTER, today),
            "months": reports.recent_periods(MONTH, today, MONTHS_LISTED),
            "quarters": reports.recent_periods(QUARTER, today, QUARTERS_LISTED),
            "coached": reports.coached_agents(jurisdiction, request.user),
        },
    )


def _report(request: HttpRequest, kind: str, slug: str) -> reports.Report:
    jurisdiction = _jurisdiction(request)
    return reports.leadership_report(jurisdiction, reports.period_in_address(jurisdiction, kind, slug), request.user)


def _around(jurisdiction: Jurisdiction, period: Period) -> dict[str, object]:
    """The previous and (once begun) the next period to link to, and whether this one is still running."""
    today = timezone.localdate(timezone=jurisdiction.zone)
    following = period.following()
    return {
        "previous": period.previous(),
        "following": following if following.start <= today else None,
        "is_partial": period.end > today,
    }


def _context(request: HttpRequest, report: reports.Report) -> dict[str, object]:
    return {"report": report, "generated": timezone.now(), **_around(report.jurisdiction, report.period)}


@require_GET
@report_page
@reads_from_replica
def report(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    found = _report(request, kind, slug)
    return render(request, "surveys/reports/report.html", _context(request, found))


@require_GET
@report_page
@reads_from_replica
def report_pdf(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    found = _report(request, kind, slug)
    html = render_to_string("surveys/reports/report_pdf.html", _context(request, found), request=request)
    return pdf_download(f"satisfaction-{found.period.slug}.pdf", render_pdf(html))


@require_GET
@report_page
@reads_from_replica
def report_csv(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    found = _report(request, kind, slug)
    return csv_download(f"satisfaction-{found.period.slug}.csv", reports.csv_rows(found))


# --- coaching --------------------------------------------------------------------------------------------


@require_GET
@staff_page
def my_results(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("surveys:agent_results", args=[request.user.pk]))


@require_GET
@staff_page
@reads_from_replica
def agent_results(request: HttpRequest, agent_id: int) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    agent = get_object_or_404(get_user_model().objects.select_related("team"), pk=agent_id, is_staff=True)
    roles.require(
        roles.may_see_agent_results(request.user, agent),
        _("An agent's survey results are shown only to the agent and their team's supervisor."),
    )
    slug = request.GET.get("month")
    period = (
        reports.period_in_address(jurisdiction, MONTH, slug)
        if slug
        else Period.containing(MONTH, timezone.localdate(timezone=jurisdiction.zone))
    )
    return render(
        request,
        "surveys/reports/agent.html",
        {
            "results": reports.agent_results(jurisdiction, agent, period),
            "is_self": agent.pk == request.user.pk,
            **_around(jurisdiction, period),
        },
    )
