"""Following a request by e-mail: ask (POST from the track page), confirm (link in the e-mail), stop
(one-click link, or an RFC 8058 one-click POST from the mail client)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from civic311 import rate_limits
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.service_requests import selectors as requests_selectors

from . import services

FOLLOW_ANCHOR = "#follow"


def _subscribe_rate() -> rate_limits.Rate:
    return rate_limits.Rate("subscribe", settings.NOTIFICATIONS_SUBSCRIBE_PER_HOUR, 3600)


# No CSRF check: following acts for nobody's account (the address is confirmed by the link e-mailed to it, and
# asking is rate-limited per client), and the track page the form is on is the same for every visitor.
@csrf_exempt
@require_POST
def subscribe(request: HttpRequest, tracking_number: str) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    service_request = requests_selectors.request_for_tracking(jurisdiction, tracking_number[:40])
    if service_request is None:
        raise Http404(_("There is no request with that tracking number."))
    track = redirect("public:track_request", tracking_number=service_request.tracking_number)
    track["Location"] += FOLLOW_ANCHOR
    verdict = rate_limits.hit(_subscribe_rate(), rate_limits.client_address(request))
    if not verdict.allowed:
        messages.error(
            request,
            ngettext(
                "Too many requests from your connection. Try again in %(minutes)d minute.",
                "Too many requests from your connection. Try again in %(minutes)d minutes.",
                verdict.retry_after_minutes,
            )
            % {"minutes": verdict.retry_after_minutes},
        )
        return track
    try:
        services.subscribe(service_request, request.POST.get("email", ""), language=get_language() or "")
    except services.SubscriptionError as error:
        messages.error(request, str(error))
        return track
    messages.success(request, _("Check your e-mail: open the link we sent to start following this request."))
    return track


@require_http_methods(["GET"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscription = services.confirm(token)
    if subscription is None:
        return render(
            request,
            "notifications/link_result.html",
            {"ok": False, "message": _("This link is not valid or has expired. Ask again from the request's page.")},
            status=400,
        )
    return render(
        request,
        "notifications/link_result.html",
        {
            "ok": True,
            "service_request": subscription.service_request,
            "message": _("You are now following this request. Every public update will be e-mailed to you."),
        },
    )


@csrf_exempt  # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click with no cookie or token of ours
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    service_request = services.unsubscribe(token)
    if service_request is None:
        return render(
            request,
            "notifications/link_result.html",
            {"ok": False, "message": _("This unsubscribe link is not valid.")},
            status=400,
        )
    return render(
        request,
        "notifications/link_result.html",
        {
            "ok": True,
            "service_request": service_request,
            "message": _("You will get no more e-mails about this request."),
        },
    )
