"""Staff sign-in with an optional authenticator code, and the pages to set one up and remove it.

The admin's login (/admin/login/) is this module's two-step sign-in: the password first (Django's
AdminAuthenticationForm, argon2 hashes), then, only for staff with a confirmed authenticator, a code on a
second page. Between the two steps nobody is logged in: the session holds the half-authenticated user's id
and a fingerprint of their password hash, for five minutes at most. Wrong passwords and codes are counted
per account and per client address outside the session, and audited (civic311/people/sign_in.py).
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import segno
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from civic311 import rate_limits

from . import roles, second_factor, sign_in, totp
from .models import StaffTOTPDevice, User

PENDING_KEY = "civic311_second_factor_pending"
PENDING_SECONDS = 300


class SignInForm(AdminAuthenticationForm):
    """The password step: refused outright while the account or the address is locked out (before the
    password is even checked, so a locked account learns nothing), and every wrong password counted."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = rate_limits.client_address(self.request) if self.request else ""
        tried = bool(username and self.cleaned_data.get("password"))
        locked = sign_in.attempt(username, address) if tried else sign_in.refusal(username, address)
        if locked is not None:
            sign_in.record_refusal(username, address)
            raise ValidationError(sign_in.refusal_message(locked), code="locked_out")
        try:
            cleaned = super().clean()
        except ValidationError:
            if tried:
                sign_in.record_failure(sign_in.Outcome.WRONG_PASSWORD, username, address)
            raise
        if tried:
            sign_in.passed(username, address)
        return cleaned


def _admin_context(request: HttpRequest) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
    }


class AdminSignInView(LoginView):
    """The admin's login page, step one: the password. Logs in at once only without an authenticator."""

    template_name = "people/sign_in.html"  # civic311's own page, not the admin's "Django administration"
    authentication_form = SignInForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "GET" and admin.site.has_permission(request):
            return redirect(reverse("admin:index"))  # as AdminSite.login does
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(_admin_context(self.request))
        if REDIRECT_FIELD_NAME not in self.request.GET and REDIRECT_FIELD_NAME not in self.request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index")
        return context

    def form_valid(self, form: AdminAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if not second_factor.is_required(user):
            sign_in.record_sign_in(user, rate_limits.client_address(self.request))
            return super().form_valid(form)
        # Not logged in yet: remember who passed the password step, in a fresh session.
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": getattr(user, "backend", None),
            "hash": user.get_session_auth_hash(),
            "next": self.get_success_url(),
            "since": int(time.time()),
        }
        return redirect("admin_sign_in_code")


def _pending_user(pending: Any) -> User | None:
    """The user half-way through signing in, if the pending state is still good."""
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(pending.get("user") or 0)).first()
    if user is None or not roles.may_sign_in_as_staff(user):
        return None
    # A password changed since step one ends the attempt.
    if not hmac.compare_digest(str(pending.get("hash", "")), user.get_session_auth_hash()):
        return None
    if not second_factor.is_required(user):
        return None
    return user


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def admin_sign_in_code(request: HttpRequest) -> HttpResponse:
    """Step two: the code from the authenticator app. Wrong codes count with wrong passwords (sign_in.py)."""
    pending = request.session.get(PENDING_KEY)
    user = _pending_user(pending)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        if pending is not None:
            messages.error(request, _("Your sign-in took too long or is no longer valid. Please sign in again."))
        return redirect("admin:login")
    assert isinstance(pending, dict)
    error = ""
    username, address = user.get_username(), rate_limits.client_address(request)
    if request.method == "POST":
        locked = sign_in.attempt(username, address)
        if locked is not None:
            sign_in.record_refusal(username, address, user)
            request.session.pop(PENDING_KEY, None)
            messages.error(request, sign_in.refusal_message(locked))
            return redirect("admin:login")
        if second_factor.verify(user, request.POST.get("code", "")):
            del request.session[PENDING_KEY]
            sign_in.passed(username, address)
            sign_in.record_sign_in(user, address)
            auth_login(request, user, backend=pending.get("backend"))  # rotates the session key
            next_url = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = reverse("admin:index")
            return redirect(next_url)
        if sign_in.record_failure(sign_in.Outcome.WRONG_CODE, username, address, user):
            request.session.pop(PENDING_KEY, None)
            locked = sign_in.refusal(username, address)
            messages.error(
                request, sign_in.refusal_message(locked) if locked else _("Too many wrong codes. Please sign in again.")
            )
            return redirect("admin:login")
        error = _("That code is not right, or it has already been used. Try the next one.")
    context = {
        **_admin_context(request),
        "title": _("Enter your authentication code"),
        "error": error,
        "attempts_left": sign_in.tries_left(username, address),
        "pending_username": user.get_username(),
    }
    return render(request, "people/admin_sign_in_code.html", context, status=200 if not error else 400)


# Setting up and removing an authenticator.


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


@never_cache
@staff_member_required
def manage(request: HttpRequest) -> HttpResponse:
    """The staff member's authenticator: set one up (secret, URI, QR code, confirm), or remove it."""
    user: User = request.user  # type: ignore[assignment]
    device = second_factor.device_for(user)
    context: dict[str, Any] = {"device": device, "enrolling": device is not None and device.confirmed_at is None}
    if context["enrolling"]:
        assert device is not None
        jurisdiction = getattr(request, "jurisdiction", None)
        uri = totp.provisioning_uri(
            device.secret, user.get_username(), totp.issuer_name(jurisdiction.name if jurisdiction else None)
        )
        context.update(secret_grouped=totp.grouped(device.secret), otpauth_uri=uri, qr_data_uri=_qr_svg(uri))
    return render(request, "people/second_factor.html", context)


@require_POST
@staff_member_required
def start(request: HttpRequest) -> HttpResponse:
    try:
        second_factor.start_enrolment(request.user)  # type: ignore[arg-type]
    except second_factor.SecondFactorError as error:
        messages.error(request, str(error))
    return redirect("people:second_factor")


@require_POST
@sensitive_post_parameters("code")
@staff_member_required
def confirm(request: HttpRequest) -> HttpResponse:
    try:
        second_factor.confirm_enrolment(request.user, request.POST.get("code", ""))  # type: ignore[arg-type]
    except second_factor.SecondFactorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your authenticator is set up. Signing in will now ask for a code."))
    return redirect("people:second_factor")


@require_POST
@sensitive_post_parameters("code")
@staff_member_required
def remove(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        second_factor.remove(user, actor=user, code=request.POST.get("code", ""))
    except second_factor.SecondFactorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your authenticator is removed. Signing in asks for your password only."))
    return redirect("people:second_factor")


@never_cache
@staff_member_required
def reset(request: HttpRequest) -> HttpResponse:
    """Superusers only: remove another staff member's authenticator (a lost or replaced phone)."""
    actor: User = request.user  # type: ignore[assignment]
    if not roles.may_reset_second_factor(actor):
        raise PermissionDenied
    if request.method == "POST":
        target = get_object_or_404(get_user_model(), pk=request.POST.get("user"))
        second_factor.remove(target, actor=actor)
        messages.success(
            request,
            _(
                "The authenticator of %(user)s is removed. They sign in with their "
                "password only until they set up a new one."
            )
            % {"user": target},
        )
        return redirect("people:second_factor_reset")
    devices = (
        StaffTOTPDevice.objects.filter(confirmed_at__isnull=False)
        .exclude(user=actor)
        .select_related("user")
        .order_by("user__username")
    )
    return render(request, "people/second_factor_reset.html", {"devices": devices})
