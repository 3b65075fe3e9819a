"""The emergencies staff page: the running and coming emergencies, declaring one, ending one early.

Thin: reads from `selectors`, writes through `services` with the acting user (the rules live there).
Plain forms and full reloads; times are entered and shown in the city's zone (JurisdictionMiddleware)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User
from civic311.people.staff_pages import staff_page

from . import selectors, services
from .forms import DeclareForm
from .models import Emergency

emergency_page = staff_page(rule=roles.may_declare_emergency)


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    jurisdiction = site_jurisdiction(request)
    services.require_may_declare(request.user, jurisdiction)
    return jurisdiction


def _initial(now: dt.datetime) -> dict[str, Any]:
    start = timezone.localtime(now).replace(second=0, microsecond=0)
    return {"starts_at": start, "ends_at": start + dt.timedelta(days=1), "kind": Emergency.Kind.SNOW}


def _page(request: HttpRequest, jurisdiction: Jurisdiction, form: DeclareForm, *, status: int = 200) -> HttpResponse:
    now = timezone.now()
    current = selectors.current_and_upcoming(jurisdiction, now)
    return render(
        request,
        "emergencies/home.html",
        {
            "form": form,
            "now": now,
            "running": next((emergency for emergency in current if emergency.is_active(now)), None),
            "current": current,
            "past": selectors.past(jurisdiction, now),
            "zone": timezone.get_current_timezone_name(),
            "max_days": services.max_duration().days,
        },
        status=status,
    )


@require_GET
@emergency_page
def home(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    return _page(request, jurisdiction, DeclareForm(jurisdiction=jurisdiction, initial=_initial(timezone.now())))


@require_POST
@emergency_page
def declare(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    form = DeclareForm(request.POST, jurisdiction=jurisdiction)
    if form.is_valid():
        try:
            emergency = services.declare_emergency(jurisdiction, actor=cast(User, request.user), **form.declaration())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Emergency “%(title)s” declared.") % {"title": emergency.text("title")})
            return HttpResponseRedirect(reverse("emergencies:home"))
    return _page(request, jurisdiction, form, status=400)


@require_POST
@emergency_page
def end(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    emergency = get_object_or_404(Emergency, pk=pk, jurisdiction=jurisdiction)
    try:
        services.end_emergency(emergency, actor=cast(User, request.user))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Emergency “%(title)s” ended.") % {"title": emergency.text("title")})
    return HttpResponseRedirect(reverse("emergencies:home"))
