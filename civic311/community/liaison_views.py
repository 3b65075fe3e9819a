"""A neighborhood liaison's dashboard: their neighborhoods' open, overdue and recently closed requests, the
history of what they filed, and the weekly digest on or off.

Liaisons are residents, not staff: they sign in with a link by e-mail (`public.sign_in_views`) and the staff
pages refuse them. `liaison_page` is the gate of their pages: anonymous visitors are sent to sign in, and a
signed-in account that is not an active liaison gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from civic311.people import roles
from civic311.people.models import User

from .selectors import liaison_work
from .services import liaison_work as liaison_work_services

View = Callable[..., HttpResponseBase]

SIGN_IN_PATH = "/sign-in/"  # the public site's (`public:sign_in`), a layer above this app


def liaison_page(view: View) -> View:
    """Decorate a liaison's view: anonymous → the sign-in page; signed in but not an active liaison → 403."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect(SIGN_IN_PATH)
        if not roles.is_liaison(user):
            record = liaison_work.liaison_of(user) if isinstance(user, User) else None
            return render(request, "community/liaison/not_a_liaison.html", {"record": record}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _liaison(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # `liaison_page` let only a liaison's account in
        raise TypeError("not an account")
    return user


@require_GET
@liaison_page
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _liaison(request)
    liaison_work_services.mark_active(user)
    context = {
        "liaison": liaison_work.liaison_of(user),
        "neighborhoods": liaison_work.neighborhood_work(user),
        "filings": liaison_work.filings_of(user),
        "rows_per_list": liaison_work.ROWS_PER_LIST,
        "recently_closed_days": liaison_work.RECENTLY_CLOSED_DAYS,
    }
    return render(request, "community/liaison/dashboard.html", context)


@require_POST
@liaison_page
def digest_setting(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("weekly_digest") == "on"
    liaison_work_services.set_weekly_digest(_liaison(request), wanted)
    if wanted:
        messages.success(request, _("You will get the weekly digest e-mail."))
    else:
        messages.success(request, _("You will no longer get the weekly digest e-mail."))
    return redirect(reverse("liaison:dashboard") + "#digest")


@require_POST
@liaison_page
def public_name_setting(request: HttpRequest) -> HttpResponse:
    """The liaison gives or withdraws their consent to their name on their neighborhoods' pages."""
    shown = request.POST.get("show_on_neighborhood_page") == "on"
    liaison_work_services.set_shown_on_neighborhood_pages(_liaison(request), shown)
    if shown:
        messages.success(request, _("Your first name and last initial are shown on your neighborhoods' pages."))
    else:
        messages.success(request, _("Your name is no longer shown on your neighborhoods' pages."))
    return redirect(reverse("liaison:dashboard") + "#public-name")
