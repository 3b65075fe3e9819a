"""The supervisors' forecast page (`/insights/forecast/`): the next weeks by day, a chosen day by hour and
half hour with the agents needed, the emergency adjustment, the staffing target, the backtest error and a
CSV. Thin: the figures come from `forecast_selectors` (stored rows), the writes from `forecast_services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.staff_pages import staff_page
from civic311.spreadsheets import csv_download

from . import forecast_selectors as selectors
from . import forecast_services as services
from .forms import AdjustmentForm, StaffingTargetForm
from .models import ForecastAdjustment

forecast_page = staff_page(rule=roles.may_see_forecasts)


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    jurisdiction = site_jurisdiction(request)
    roles.require(
        roles.may_see_forecasts(request.user) and roles.may_see_city(request.user, jurisdiction.pk),
        _("You may not see this city's forecast."),
    )
    return jurisdiction


def _chosen_day(value: str | None, figures: selectors.Forecast | None) -> tuple[dt.date | None, bool]:
    """The day asked for (?day=YYYY-MM-DD) when the forecast has it, else its first day; and whether the
    parameter was acceptable."""
    if figures is None or not figures.days:
        return None, not value
    if value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return figures.days[0].day, False
        if figures.day(day) is not None:
            return day, True
        return figures.days[0].day, False
    return figures.days[0].day, True


def _chart_data(figures: selectors.Forecast, staffing: selectors.DayStaffing | None) -> dict[str, Any]:
    """What forecast.js draws: the same figures as the tables."""
    return {
        "days": [row.day.isoformat() for row in figures.days],
        "contacts": [round(row.figures["contacts"], 1) for row in figures.days],
        "phone": [round(row.figures["phone"], 1) for row in figures.days],
        "requests": [round(row.figures["requests"], 1) for row in figures.days],
        "labels": {"contacts": _("All contacts"), "phone": _("Phone calls"), "requests": _("Service requests")},
        "half_hours": [h.start.strftime("%H:%M") for h in staffing.half_hours] if staffing else [],
        "agents": [h.need.scheduled for h in staffing.half_hours] if staffing else [],
        "calls": [round(h.calls, 1) for h in staffing.half_hours] if staffing else [],
        "agents_label": _("Agents to schedule"),
        "calls_label": _("Calls expected"),
    }


def _render(
    request: HttpRequest,
    jurisdiction: Jurisdiction,
    *,
    adjustment_form: AdjustmentForm | None = None,
    target_form: StaffingTargetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    figures = selectors.forecast(jurisdiction)
    day, valid = _chosen_day(request.GET.get("day"), figures)
    staffing = None
    if figures is not None and day is not None:
        row = figures.day(day)
        staffing = selectors.day_staffing(
            figures.run, day, figures.target, figures.in_force, row.figures["phone"] / row.multiplier if row else 0.0
        )
    may_adjust = roles.may_adjust_forecasts_in(request.user, jurisdiction.pk)
    target = figures.target if figures else selectors.staffing_target(jurisdiction)
    context = {
        "figures": figures,
        "chosen_day": day,
        "staffing": staffing,
        "may_adjust": may_adjust,
        "adjustment_form": adjustment_form or AdjustmentForm(),
        "target_form": target_form
        or StaffingTargetForm(
            initial={
                "answered_percent": target.answered_percent,
                "answer_seconds": target.answer_seconds,
                "shrinkage_percent": target.shrinkage_percent,
            }
        ),
        "target": target,
        "adjustments": selectors.recent_adjustments(jurisdiction)[:20],
        "chart": _chart_data(figures, staffing) if figures else None,
        "backtest": _backtest_rows(figures.run.backtest) if figures else [],
    }
    if not valid and status == 200:
        status = 400
        context["day_invalid"] = True
    return render(request, "insights/forecast.html", context, status=status)


def _backtest_rows(backtest: dict[str, Any]) -> list[dict[str, Any]]:
    labels = {"contacts": _("All contacts"), "requests": _("Service requests")}
    rows = []
    for kind, label in labels.items():
        error = backtest.get(kind) or {}
        if error.get("model") is None:
            continue
        rows.append(
            {
                "label": label,
                "model": round(100 * error["model"], 1),
                "baseline": round(100 * error["baseline"], 1) if error.get("baseline") is not None else None,
                "days": error.get("days"),
            }
        )
    return rows


@require_GET
@forecast_page
def forecast(request: HttpRequest) -> HttpResponse:
    return _render(request, _jurisdiction(request))


@require_POST
@forecast_page
def adjust(request: HttpRequest) -> HttpResponse:
    """A supervisor's emergency adjustment (a multiplier over days, with a reason)."""
    jurisdiction = _jurisdiction(request)
    roles.require(
        roles.may_adjust_forecasts_in(request.user, jurisdiction.pk), _("You may not adjust this city's forecast.")
    )
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            services.adjust_forecast(
                jurisdiction,
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
                multiplier=form.cleaned_data["multiplier"],
                reason=form.cleaned_data["reason"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            for field_name, problems in error.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, problems)
        else:
            messages.success(request, _("The adjustment applies to the forecast."))
            return redirect(f"{reverse('insights:forecast')}?day={form.cleaned_data['first_day'].isoformat()}")
    return _render(request, jurisdiction, adjustment_form=form, status=400)


@require_POST
@forecast_page
def withdraw(request: HttpRequest, adjustment_id: int) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    adjustment = get_object_or_404(ForecastAdjustment, pk=adjustment_id, jurisdiction=jurisdiction)
    try:
        services.withdraw_adjustment(adjustment, actor=request.user)  # type: ignore[arg-type]
    except ValidationError:
        messages.info(request, _("This adjustment was already withdrawn."))
    else:
        messages.success(request, _("The adjustment was withdrawn."))
    return redirect("insights:forecast")


@require_http_methods(["POST"])
@forecast_page
def set_target(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    form = StaffingTargetForm(request.POST)
    if form.is_valid():
        try:
            services.set_staffing_target(jurisdiction, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            for field_name, problems in error.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, problems)
        else:
            messages.success(request, _("The staffing target was saved."))
            return redirect("insights:forecast")
    return _render(request, jurisdiction, target_form=form, status=400)


@require_GET
@forecast_page
def forecast_csv(request: HttpRequest) -> HttpResponse:
    """Every stored day of every series, with the adjustments applied."""
    jurisdiction = _jurisdiction(request)
    run = selectors.latest_run(jurisdiction)
    if run is None:
        return HttpResponse(_("There is no forecast yet.") + "\n", status=404, content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime(run.made_at, jurisdiction.zone).date().isoformat()
    return csv_download(f"forecast-{jurisdiction.slug}-{stamp}.csv", selectors.csv_rows(jurisdiction, run))
