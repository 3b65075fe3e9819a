"""The operations dashboard (`/insights/operations/`): volume, backlog, on-time, time to close, reopening and
completion by department, service, channel and neighborhood, with the centre's own figures beside; charts,
the same figures as tables, and a CSV that keeps the filters. Thin: every figure comes from
`operations_selectors` (the rollups), who sees which departments from `people.roles`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civic311.catalogue.models import Department, Service
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people import roles
from civic311.people.staff_pages import staff_page
from civic311.service_requests.models import Channel
from civic311.spreadsheets import csv_download

from . import operations_selectors as selectors
from .forms import OperationsFilterForm

operations_page = staff_page(rule=roles.may_see_operations)


def operations_city(request: HttpRequest) -> Jurisdiction:
    """The city of the site, when the reader may see its operations figures (the dashboard, the leadership
    report); else PermissionDenied."""
    jurisdiction = site_jurisdiction(request)
    roles.require(
        roles.may_see_operations(request.user) and roles.may_see_city(request.user, jurisdiction.pk),
        _("You may not see this city's operations figures."),
    )
    return jurisdiction


def _form(request: HttpRequest, jurisdiction: Jurisdiction, scope: frozenset[int] | None) -> OperationsFilterForm:
    """The filters, offering only the departments (and their services) the reader may see."""
    language = get_language()
    departments = Department.objects.filter(jurisdiction=jurisdiction)
    services = Service.objects.filter(jurisdiction=jurisdiction)
    if scope is not None:
        departments = departments.filter(pk__in=scope)
        services = services.filter(department_id__in=scope)

    def named(rows: Any) -> list[tuple[int, str]]:
        return sorted(((row.pk, row.localized("name", language)) for row in rows), key=lambda pair: pair[1].lower())

    return OperationsFilterForm(
        request.GET or None,
        departments=named(departments),
        services=named(services),
        neighborhoods=list(
            Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("name").values_list("pk", "name")
        ),
        channels=[(str(value), str(label)) for value, label in Channel.choices],
    )


def _filters(request: HttpRequest, jurisdiction: Jurisdiction) -> tuple[OperationsFilterForm, selectors.Filters]:
    scope = roles.operations_departments(request.user)
    form = _form(request, jurisdiction, scope)
    start, end = form.period(timezone.localtime(timezone.now(), jurisdiction.zone).date())
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = selectors.Filters(
        start=start,
        end=end,
        grain=data.get("grain")
        or ("day" if (end - start).days < 31 else "week" if (end - start).days < 200 else "month"),
        department=data.get("department"),
        service=data.get("service"),
        neighborhood=data.get("neighborhood"),
        channel=data.get("channel") or None,
        departments=scope,
    )
    return form, filters


def _grain_for(span: dt.timedelta) -> str:
    """The chart's step when the reader chose none: days up to a month, weeks up to about half a year."""
    return "day" if span.days < 31 else "week" if span.days < 200 else "month"


def _chart_data(board: selectors.Dashboard) -> dict[str, Any]:
    """What operations.js draws: the same figures as the tables."""
    return {
        "steps": [point.start.isoformat() for point in board.series],
        "filed": [point.cohort.filed for point in board.series],
        "closed": [point.cohort.closed for point in board.series],
        "on_time": [_rounded(point.cohort.on_time_rate) for point in board.series],
        "departments": [row.name for row in board.by_department],
        "department_on_time": [_rounded(row.cohort.on_time_rate) for row in board.by_department],
        "department_completion": [_rounded(row.cohort.completion_rate) for row in board.by_department],
        "labels": {
            "filed": _("Filed"),
            "closed": _("Of those, closed"),
            "on_time": _("On time (%)"),
            "completion": _("Completed (%)"),
        },
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@require_GET
@operations_page
def operations(request: HttpRequest) -> HttpResponse:
    jurisdiction = operations_city(request)
    form, filters = _filters(request, jurisdiction)
    board = selectors.dashboard(
        jurisdiction, filters, language=get_language(), with_centre=roles.may_see_centre_figures(request.user)
    )
    scope = filters.departments
    context = {
        "city": jurisdiction,
        "form": form,
        "board": board,
        "chart": _chart_data(board),
        "scope_names": [name for pk, name in form.fields["department"].choices if pk] if scope is not None else None,  # type: ignore[attr-defined]
        "csv_query": request.GET.urlencode(),
        "age_labels": _age_labels(),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "insights/operations.html", context, status=status)


def _age_labels() -> list[str]:
    return [_("Under 7 days"), _("7 to 29 days"), _("30 to 89 days"), _("90 days or more")]


def csv_rows(board: selectors.Dashboard) -> list[list[object]]:
    """The dashboard's tables, one after the other, each row naming its table; numbers unformatted."""
    head: list[object] = [
        _("Table"),
        _("Key"),
        _("Name"),
        _("Filed"),
        _("Closed"),
        _("Closed with a due date"),
        _("Closed on time"),
        _("Reopened"),
        _("Median hours to close"),
        _("90th percentile hours to close"),
        _("Open now"),
        _("Overdue now"),
    ]
    rows: list[list[object]] = [head]

    def line(
        table: str, key: str, name: str, cohort: selectors.Cohort, open_now: object = "", overdue: object = ""
    ) -> None:
        rows.append(
            [
                table,
                key,
                name,
                cohort.filed,
                cohort.closed,
                cohort.closed_with_due_date,
                cohort.closed_on_time,
                cohort.reopened,
                _hours(cohort.median_hours),
                _hours(cohort.p90_hours),
                open_now,
                overdue,
            ]
        )

    line(_("Total"), "", "", board.totals, board.backlog.open_requests, board.backlog.overdue)
    for point in board.series:
        line(_("Over time"), point.start.isoformat(), "", point.cohort)
    for table, breakdown in (
        (_("By department"), board.by_department),
        (_("By service"), board.by_service),
        (_("By channel"), board.by_channel),
        (_("By neighborhood"), board.by_neighborhood),
    ):
        for row in breakdown:
            line(table, row.key, row.name, row.cohort, row.open_now, row.overdue)
    return rows


def _hours(hours: float | None) -> object:
    if hours is None:
        return ""
    return "inf" if hours == float("inf") else round(hours, 1)


@require_GET
@operations_page
def operations_csv(request: HttpRequest) -> HttpResponse:
    jurisdiction = operations_city(request)
    form, filters = _filters(request, jurisdiction)
    if form.is_bound and not form.is_valid():
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(message + "\n", status=400, content_type="text/plain; charset=utf-8")
    board = selectors.dashboard(jurisdiction, filters, language=get_language(), with_centre=False)
    name = f"operations-{jurisdiction.slug}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return csv_download(name, csv_rows(board))
