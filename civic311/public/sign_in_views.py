"""Signing in without a password, by a link e-mailed to the visitor (`civic311.people.email_sign_in`).

A neighborhood liaison's link signs into their account (their dashboard, `liaison:dashboard`); anyone
else's opens "my requests": the requests filed in this city with that e-mail address. The form always gives
the same answer, so it tells nobody which addresses have requests or accounts. Asking is rate-limited per
address and per client. A link is used up only by the button on its page (a POST): mail scanners that
follow links in e-mails do not use it up.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311 import rate_limits
from civic311.community.selectors import liaison_work
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import public_site_url
from civic311.notifications import services as notifications
from civic311.people import email_sign_in, roles
from civic311.people.models import Requester, User
from civic311.service_requests.models import ServiceRequest

SESSION_EMAIL = "civic311_my_requests_email"
REQUESTS_PER_PAGE = 20
LIAISON_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"), max_length=254)


def _rates() -> tuple[rate_limits.Rate, rate_limits.Rate]:
    return (
        rate_limits.Rate("sign-in-link-email", settings.CIVIC311_SIGN_IN_LINKS_PER_EMAIL, 3600),
        rate_limits.Rate("sign-in-link-address", settings.CIVIC311_SIGN_IN_LINKS_PER_ADDRESS, 3600),
    )


def _refused(request: HttpRequest, email: str) -> rate_limits.Verdict | None:
    """Count one ask for this e-mail address and this client; the refusal when either is over its rate."""
    email_rate, address_rate = _rates()
    verdicts = [
        rate_limits.hit(email_rate, email.lower()),
        rate_limits.hit(address_rate, rate_limits.client_address(request)),
    ]
    refused = [verdict for verdict in verdicts if not verdict.allowed]
    return max(refused, key=lambda verdict: verdict.retry_after) if refused else None


def _has_requests(jurisdiction: Jurisdiction, email: str) -> bool:
    return _requests_of(jurisdiction, email).exists()


def _requests_of(jurisdiction: Jurisdiction, email: str) -> QuerySet[ServiceRequest]:
    """The requests filed in this city with this e-mail address (in any case), newest first."""
    requesters = Requester.objects.annotate(email_lower=Lower("email")).filter(email_lower=email.strip().lower())
    return (
        ServiceRequest.objects.filter(jurisdiction=jurisdiction, requester__in=requesters.values("pk"))
        .select_related("service")
        .order_by("-requested_at", "-pk")
    )


def _site(jurisdiction: Jurisdiction) -> str:
    return public_site_url(jurisdiction) or settings.NOTIFICATIONS_FALLBACK_URL.rstrip("/")


def send_link(jurisdiction: Jurisdiction, email: str, *, language: str) -> bool:
    """E-mail a sign-in link to `email` when it is a liaison's or has requests in this city: the link row
    and its outbox message in one transaction. Whether one was sent (never shown to the visitor)."""
    account: User | None = liaison_work.liaison_account_for_email(email)
    if account is None and not _has_requests(jurisdiction, email):
        return False
    with transaction.atomic():
        token = email_sign_in.issue_link(email, user=account)
        link = _site(jurisdiction) + reverse("public:sign_in_link", args=[token])
        context = {
            "city": jurisdiction,
            "link": link,
            "for_liaison": account is not None,
            "minutes": settings.CIVIC311_SIGN_IN_LINK_MINUTES,
        }
        subject, body = notifications.render("sign_in_link", context, language)
        notifications.queue(
            channel="email",
            recipient=email,
            subject=subject,
            body=body,
            dedup_key=f"sign-in-link:{email_sign_in.token_hash(token)[:40]}",
        )
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "public/sign_in.html", {"form": SignInForm()})
    form = SignInForm(request.POST)
    if not form.is_valid():
        return render(request, "public/sign_in.html", {"form": form}, status=400)
    email = form.cleaned_data["email"].strip()
    refusal = _refused(request, email)
    if refusal is not None:
        form.add_error(
            None,
            ngettext(
                "Too many sign-in links were asked for. Nothing was sent: please try again in %(minutes)d minute.",
                "Too many sign-in links were asked for. Nothing was sent: please try again in %(minutes)d minutes.",
                refusal.retry_after_minutes,
            )
            % {"minutes": refusal.retry_after_minutes},
        )
        return render(request, "public/sign_in.html", {"form": form}, status=429)
    send_link(site_jurisdiction(request), email, language=get_language() or settings.LANGUAGE_CODE)
    # The same answer whether or not anything was sent: the page tells nobody who has requests.
    return render(
        request, "public/sign_in_sent.html", {"email": email, "minutes": settings.CIVIC311_SIGN_IN_LINK_MINUTES}
    )


def _link_unusable(request: HttpRequest) -> HttpResponse:
    return render(request, "public/sign_in_link_unusable.html", status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a button (looking uses nothing up). POST: use the link up and sign in."""
    if request.method != "POST":
        found = email_sign_in.find(token)
        if found is None:
            return _link_unusable(request)
        # Whose link it is, so nobody signs in unawares to an account another person's link opens.
        return render(request, "public/sign_in_confirm.html", {"token": token, "email": found.email})
    link = email_sign_in.redeem(token)
    if link is None:
        return _link_unusable(request)
    if link.user is not None:
        # The account may have been closed, or the liaison withdrawn, since the link was sent.
        if not liaison_work.may_sign_in_by_link(link.user):
            return _link_unusable(request)
        login(request, link.user, backend=LIAISON_BACKEND)  # a new session key
        request.session[SESSION_EMAIL] = link.email
        # An accepted liaison not yet trained (or one whose refresher is overdue) serves no neighborhood yet:
        # their trainings are the page open to them.
        return redirect("liaison:dashboard" if roles.is_liaison(link.user) else "liaison:trainings")
    request.session.cycle_key()
    request.session[SESSION_EMAIL] = link.email
    return redirect("public:my_requests")


@never_cache
@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SESSION_EMAIL)
    if not isinstance(email, str) or not email:
        return redirect("public:sign_in")
    page = Paginator(_requests_of(site_jurisdiction(request), email), REQUESTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # A liaison's filings for neighbours carry the neighbour's address, not theirs: their own pages list them.
    context = {"email": email, "page": page, "is_liaison": roles.is_liaison(request.user)}
    return render(request, "public/my_requests.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)  # ends the session: the account and the verified e-mail address
    messages.success(request, _("You are signed out."))
    return redirect("public:home")
