"""/liaison/trainings/: a liaison's own trainings. Open to an account in the program whatever its status
(`roles.may_use_liaison_account`), since an accepted liaison not yet trained holds no role yet and signs up
for their first training here: sessions to come in a language they speak, their registrations (to leave
one), and their certificates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from civic311.people import roles
from civic311.people.models import User

from .models import Liaison
from .selectors import recruitment
from .services import training

SIGN_IN_PATH = "/sign-in/"  # the public site's (`public:sign_in`), a layer above this app


@require_http_methods(["GET", "POST"])
@never_cache
def trainings(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect(f"{SIGN_IN_PATH}?{urlencode({'next': request.get_full_path()})}")
    liaison = recruitment.liaison_of(user)
    in_programme = liaison is not None and liaison.status != Liaison.Status.WITHDRAWN
    if liaison is None or not roles.may_use_liaison_account(user, in_programme):
        return render(request, "community/liaison/not_a_liaison.html", {"record": liaison}, status=403)
    if request.method == "POST":
        _act(request, user, liaison)
        return redirect("liaison:trainings")
    mine = recruitment.my_trainings(liaison, timezone.now())
    return render(
        request,
        "community/recruitment/my_trainings.html",
        {"liaison": liaison, "offered": mine.offered, "registered": mine.registered, "now": timezone.now()},
    )


def _act(request: HttpRequest, user: User, liaison: Liaison) -> None:
    action = request.POST.get("action")
    value = request.POST.get("session" if action == "register" else "registration") or ""
    try:
        if action == "register" and value.isdigit():
            session = recruitment.session(liaison.jurisdiction, int(value))
            if session is None:
                messages.error(request, _("There is no such training session."))
                return
            training.register(session, liaison, user)
            messages.success(request, _("You are registered. We e-mailed you the details."))
        elif action == "unregister" and value.isdigit():
            registration = liaison.trainings.filter(pk=int(value)).first()
            if registration is None:
                messages.error(request, _("There is no such registration."))
                return
            training.unregister(registration, user)
            messages.success(request, _("You are no longer registered for that session."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
