"""The search analytics page for supervisors, department managers and admins. Thin: the period comes from a
GET form, every figure from `selectors` (the daily rollups)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.languages import language_key
from civic311.people import roles
from civic311.people.staff_pages import staff_page
from civic311.spreadsheets import csv_download

from . import selectors
from . import social_trends as trends
from .forms import PeriodForm

analytics_page = staff_page(rule=roles.may_see_search_analytics)


def _city_if(request: HttpRequest, rule: Callable[[Any], bool], refusal: str) -> Jurisdiction:
    """The site's city, when the user passes `rule` and may see that city; else 403 with `refusal`."""
    jurisdiction = site_jurisdiction(request)
    roles.require(rule(request.user) and roles.may_see_city(request.user, jurisdiction.pk), refusal)
    return jurisdiction


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    return _city_if(request, roles.may_see_search_analytics, _("You may not see this city's search analytics."))


@require_GET
@analytics_page
def search_analytics(request: HttpRequest) -> HttpResponse:
    """Top queries, searches that found nothing, articles that do not help, most read, deflection."""
    jurisdiction = _jurisdiction(request)
    form = PeriodForm(request.GET)
    days = form.days_or_default()
    language = language_key()
    analytics = selectors.search_analytics(jurisdiction, days, language=language)
    return render(
        request,
        "insights/search.html",
        {
            "form": form,
            "days": days,
            "analytics": analytics,
            "periods": selectors.PERIODS,
            "min_answers": selectors.MIN_ANSWERS,
        },
        status=200 if not form.errors else 400,
    )


@require_GET
@analytics_page
def zero_results_csv(request: HttpRequest) -> HttpResponse:
    """The editors' work list as CSV: every query that found nothing in the period."""
    jurisdiction = _jurisdiction(request)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "\n".join(str(message) for message in form.errors.get("days", [])) + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    span = selectors.period(jurisdiction, form.days_or_default())
    with selectors.roomy_reads():
        rows = selectors.zero_result_queries(jurisdiction, span, limit=None)
    return csv_download(
        f"zero-result-searches-{span.first.isoformat()}-{span.last.isoformat()}.csv",
        [
            ["query", "language", "searches_with_no_result", "last_seen"],
            *([row["query"], row["language"], row["zero"], row["last_seen"].isoformat()] for row in rows),
        ],
    )


# -- Social trends: how the city's posts feel, week by week (supervisors, leadership, admins).

social_trends_page = staff_page(rule=roles.may_see_social_trends)


def _trends_jurisdiction(request: HttpRequest) -> Jurisdiction:
    return _city_if(request, roles.may_see_social_trends, _("You may not see this city's social trends."))


@require_GET
@social_trends_page
def social_trends(request: HttpRequest) -> HttpResponse:
    """The share of negative posts per week, the chosen week's wants, sentiment by service and neighborhood."""
    jurisdiction = _trends_jurisdiction(request)
    weeks, valid = trends.weeks_asked(request.GET.get("weeks"))
    language = language_key()
    figures = trends.social_trends(
        jurisdiction, weeks=weeks, week=trends.week_asked(request.GET.get("week")), language=language
    )
    return render(
        request,
        "insights/social_trends.html",
        {"trends": figures, "weeks": weeks, "weeks_choices": trends.WEEKS_CHOICES, "weeks_invalid": not valid},
        status=200 if valid else 400,
    )


@require_GET
@social_trends_page
def social_trends_csv(request: HttpRequest) -> HttpResponse:
    """The weekly table as CSV: posts and how they felt, per week."""
    jurisdiction = _trends_jurisdiction(request)
    weeks, valid = trends.weeks_asked(request.GET.get("weeks"))
    if not valid:
        return HttpResponse(_("Choose 4, 12 or 26 weeks.") + "\n", status=400, content_type="text/plain; charset=utf-8")
    figures = trends.social_trends(jurisdiction, weeks=weeks)
    return csv_download(
        f"social-trends-{figures.weeks[0].first.isoformat()}-{figures.weeks[-1].last.isoformat()}.csv",
        trends.weekly_rows(figures),
    )
