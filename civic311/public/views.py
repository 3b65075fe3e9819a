"""The public site: residents find a service, report a problem and track it.

The views are thin: they read through the selectors, write through `civic311.service_requests.services`, and
turn what those answer into pages. Every page works without JavaScript.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import set_language

from civic311 import rate_limits
from civic311.catalogue import selectors as catalogue
from civic311.insights import services as insights
from civic311.insights.middleware import visitor_of
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge import search as knowledge_search
from civic311.knowledge import selectors as knowledge
from civic311.knowledge.models import SearchDocument
from civic311.service_requests import selectors as requests_selectors
from civic311.service_requests import services as requests_services
from civic311.service_requests.models import Channel, ServiceRequest
from civic311.service_requests.report_form import ReportForm, report_map_config

from . import duplicate_panel, service_suggestions, track_page
from .forms import TrackForm

CONFIRMATION_SALT = "civic311.public.confirmation"
CONFIRMATION_MAX_AGE = 24 * 60 * 60  # the filer's own confirmation link, for a day

SEARCH_MAX_CHARS = 200
SERVICE_RESULTS_MAX = 20


def _path_value(value: str) -> str:
    """A code or number from the URL; one no city could have (a NUL, say) is simply not found."""
    if "\x00" in value or len(value) > 100:
        raise Http404(_("There is no such page."))
    return value


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    return site_jurisdiction(request)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    jurisdiction = getattr(request, "jurisdiction", None)
    groups = catalogue.services_in_groups(jurisdiction) if jurisdiction else []
    return render(request, "public/home.html", {"groups": groups, "track_form": TrackForm()})


@require_http_methods(["GET", "POST"])
def choose_service(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    query = " ".join(request.GET.get("q", "").split())[:SEARCH_MAX_CHARS]
    # "Describe what's wrong": the services the resident's words point to, to pick from (nothing is chosen
    # for them). The words are only ever posted (they may hold personal data; addresses end up in logs): as
    # they type, htmx posts them for the suggestions alone; without JavaScript the form posts the page.
    described = request.POST.get("description") if request.method == "POST" else None
    description = service_suggestions.described(described)
    suggested = service_suggestions.suggested_services(jurisdiction, description, language=get_language())
    context: dict = {"query": query, "description": description, "suggested": suggested}
    context["description_max"] = service_suggestions.DESCRIBE_MAX_CHARS
    if request.headers.get("HX-Request") == "true":
        response = render(request, "public/_service_suggestions.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    if query:
        # The one search (`/help/`'s, the console's): typos and accents forgiven, in the visitor's language.
        found = knowledge_search.search(
            jurisdiction, query, language=get_language(), limit=SERVICE_RESULTS_MAX, kinds=[SearchDocument.Kind.SERVICE]
        )
        context["results"] = [hit.service for hit in found if hit.service is not None and hit.service.accepts_requests]
        context["corrected"] = found.corrected
    else:
        context["groups"] = catalogue.services_in_groups(jurisdiction)
    response = render(request, "public/choose_service.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, service_code: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    try:
        service = catalogue.service_for_report(jurisdiction, _path_value(service_code))
    except ValidationError:
        raise Http404(_("There is no service with that code.")) from None

    if request.method != "POST":
        form = ReportForm(service, jurisdiction)
        # The words the resident gave on the choose-service page ("Describe what's wrong"), kept in their
        # session by `start_report` (never in an address) and carried on to edit, once.
        form.values["description"] = service_suggestions.carried_words(request.session, service.code)
        return _render_report_form(request, form)

    form = ReportForm(service, jurisdiction, data=request.POST, files=request.FILES)
    if request.POST.get("action") == duplicate_panel.CHECK_DUPLICATES:
        # "Check for existing reports" without JavaScript: the form again, with what is open nearby; nothing filed.
        return _render_report_form(request, form, **duplicate_panel.panel(request, jurisdiction, service, form.values))
    refused = _public_write_refused(request, "report", settings.CIVIC311_REPORTS_PER_HOUR)
    if refused:
        form.add_errors(ValidationError(refused))
        return _render_report_form(request, form, status=429)
    try:
        submission = requests_services.submit(jurisdiction, replace(form.to_report(), channel=_report_channel(request)))
    except requests_services.CannedAnswer as answer:
        return render(request, "public/canned_answer.html", {"service": service, "message": answer.message})
    except ValidationError as error:
        form.add_errors(error)
        return _render_report_form(request, form, status=400)
    insights.note_request_filed(jurisdiction, visitor=visitor_of(request))
    filed = submission.service_request
    url = reverse("public:confirmation", args=[filed.tracking_number])
    if filed.is_private:
        # Only the browser that filed it sees what a private request is about (a signed, short-lived link).
        url += "?" + urlencode({"t": signing.dumps(filed.tracking_number, salt=CONFIRMATION_SALT)})
    return redirect(url)


def _report_channel(request: HttpRequest) -> str:
    """`mobile` when the form was sent from the installed app (the form's script saw display-mode
    standalone, or the visit started from the app's start URL: `source=app`, exactly) or from a phone that
    says so (the Sec-CH-UA-Mobile client hint), else `web`. Only these signals count: a channel posted by
    the form itself is never read."""
    installed = request.POST.get("display_mode", "") == "standalone" or request.POST.get("source", "") == "app"
    phone = request.headers.get("Sec-CH-UA-Mobile", "").strip() == "?1"
    return Channel.MOBILE if installed or phone else Channel.WEB


def _public_write_refused(request: HttpRequest, scope: str, per_hour: int) -> str:
    """Count one public write of the client's address; the message to show when it is one too many."""
    verdict = rate_limits.hit(rate_limits.Rate(scope, per_hour, 3600), rate_limits.client_address(request))
    if verdict.allowed:
        return ""
    return ngettext(
        "Too much has been sent from your connection in the last hour. Nothing was sent: please try again "
        "in %(minutes)d minute, or call 311.",
        "Too much has been sent from your connection in the last hour. Nothing was sent: please try again "
        "in %(minutes)d minutes, or call 311.",
        verdict.retry_after_minutes,
    ) % {"minutes": verdict.retry_after_minutes}


def _render_report_form(request: HttpRequest, form: ReportForm, status: int = 200, **extra: object) -> HttpResponse:
    jurisdiction = form.jurisdiction
    map_config = report_map_config(jurisdiction)
    return render(
        request,
        "public/report_form.html",
        {
            "form": form,
            "service": form.service,
            "map_config": map_config,
            "articles": [
                knowledge.localized(article, get_language()) for article in knowledge.articles_for_service(form.service)
            ],
            "description_max": settings.CIVIC311_DESCRIPTION_MAX_CHARS,
            "photos_max": settings.CIVIC311_PHOTOS_PER_REQUEST,
            "photo_max_mb": settings.CIVIC311_PHOTO_MAX_BYTES // (1024 * 1024),
            **extra,
        },
        status=status,
    )


@require_GET
def confirmation(request: HttpRequest, tracking_number: str) -> HttpResponse:
    service_request = _request_or_404(request, tracking_number)
    if service_request.is_private and not _filed_here(request, service_request):
        # Tracking numbers are consecutive: anyone else sees only that it exists and is private.
        return render(request, "public/track_private.html", {"tracking_number": service_request.tracking_number})
    return render(request, "public/confirmation.html", {"service_request": service_request})


def _filed_here(request: HttpRequest, service_request: ServiceRequest) -> bool:
    try:
        number = signing.loads(request.GET.get("t", ""), salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.BadSignature:
        return False
    return bool(number == service_request.tracking_number)


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    if "number" not in request.GET:
        return render(request, "public/track.html", {"track_form": TrackForm()})
    form = TrackForm(request.GET)
    if not form.is_valid():
        return render(request, "public/track.html", {"track_form": form}, status=400)
    number = form.cleaned_data["number"]
    service_request = requests_selectors.request_for_tracking(_jurisdiction(request), number)
    if service_request is None:
        return _not_found(request, number, form)
    return redirect("public:track_request", tracking_number=service_request.tracking_number)


@require_GET
def track_request(request: HttpRequest, tracking_number: str) -> HttpResponse:
    service_request = requests_selectors.request_for_tracking(_jurisdiction(request), _path_value(tracking_number))
    if service_request is None:
        return _not_found(request, tracking_number, TrackForm(initial={"number": tracking_number[:40]}))
    if service_request.is_private:
        # Only that it exists and is private: no service, status, dates or history to piece together.
        private_context = {"tracking_number": service_request.tracking_number}
        token = request.GET.get("t", "")
        if token and requests_services.resident_token_is_valid(service_request, token):
            private_context["followup_url"] = _followup_url(service_request, token)
        return render(request, "public/track_private.html", private_context)
    now = timezone.now()
    # A plain visit (no link token, no message waiting) gets the page every visitor gets: kept rendered.
    key = None
    if not request.GET and not len(messages.get_messages(request)):
        key = track_page.page_key(service_request, request.path, get_language() or "", now)
        kept = track_page.kept_page(key)
        if kept is not None:
            return HttpResponse(kept)
    context = {
        "service_request": service_request,
        "is_overdue": service_request.is_overdue(now),
        "history": requests_selectors.public_history(service_request),
        "photos": requests_selectors.public_photos(service_request),
        "answers": requests_selectors.public_answers(service_request),
    }
    token = request.GET.get("t", "")
    if token and requests_services.resident_token_is_valid(service_request, token):
        context["followup_url"] = _followup_url(service_request, token)
    response = render(request, "public/track_request.html", context)
    if key is not None:
        track_page.keep_page(key, response.content)
    return response


# Django's language switch without its CSRF check: the form is on every page, and with a token in it no page
# could be the same for two visitors (the track page is kept rendered, track_page.py). Choosing a language
# changes nothing but the chooser's own language cookie; `next` is still checked to be one of our pages.
choose_language = csrf_exempt(set_language)


def _followup_url(service_request: ServiceRequest, token: str) -> str:
    return reverse("public:resident_followup", args=[service_request.tracking_number]) + "?" + urlencode({"t": token})


@require_http_methods(["GET", "POST"])
def resident_followup(request: HttpRequest, tracking_number: str) -> HttpResponse:
    """The requester, holding the signed link from our e-mails, comments on or reopens their request."""
    service_request = _request_or_404(request, tracking_number)
    token = (request.POST if request.method == "POST" else request.GET).get("t", "")
    context = {
        "service_request": service_request,
        "token": token,
        "reopen_days": settings.CIVIC311_RESIDENT_REOPEN_DAYS,
    }
    if not requests_services.resident_token_is_valid(service_request, token):
        context["bad_link"] = True
        return render(request, "public/resident_followup.html", context, status=403)
    now = timezone.now()
    context.update(
        {
            "window_open": requests_services.resident_window_open(service_request, now),
            "can_reopen": service_request.status == "closed",
        }
    )
    if request.method != "POST":
        return render(request, "public/resident_followup.html", context)
    comment = request.POST.get("comment", "")
    context["comment"] = comment[: settings.CIVIC311_DESCRIPTION_MAX_CHARS]
    refused = _public_write_refused(request, "comment", settings.CIVIC311_COMMENTS_PER_HOUR)
    if refused:
        context["errors"] = [refused]
        return render(request, "public/resident_followup.html", context, status=429)
    try:
        if request.POST.get("action") == "reopen":
            requests_services.resident_reopen(service_request, token=token, comment=comment)
            done = _("Your request is open again. We will look at it.")
        else:
            requests_services.resident_comment(service_request, token=token, comment=comment)
            done = _("Thank you. Your comment was sent to the city.")
    except ValidationError as error:
        context["errors"] = [message for messages_ in error.message_dict.values() for message in messages_]
        return render(request, "public/resident_followup.html", context, status=400)
    messages.success(request, done)
    track = reverse("public:track_request", args=[service_request.tracking_number])
    return redirect(f"{track}?{urlencode({'t': token})}")


def _not_found(request: HttpRequest, number: str, form: TrackForm) -> HttpResponse:
    return render(request, "public/track.html", {"track_form": form, "not_found": number[:40]}, status=404)


def _request_or_404(request: HttpRequest, tracking_number: str) -> ServiceRequest:
    service_request = requests_selectors.request_for_tracking(_jurisdiction(request), _path_value(tracking_number))
    if service_request is None:
        raise Http404(_("There is no request with that tracking number."))
    return service_request


@require_GET
def neighborhoods_geojson(request: HttpRequest) -> HttpResponse:
    """The city's neighborhoods for the report map, so it is useful even when map tiles cannot load."""
    jurisdiction = _jurisdiction(request)
    features = [
        {"type": "Feature", "properties": {"slug": slug, "name": name}, "geometry": boundary}
        for slug, name, boundary in places.neighborhoods(jurisdiction).values_list("slug", "name", "boundary")
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    patch_cache_control(response, public=True, max_age=300)
    return response


# --- possible duplicates on the report form (civic311.public.duplicate_panel) ------------------------------------


@require_http_methods(["POST"])
def possible_duplicates(request: HttpRequest, service_code: str) -> HttpResponse:
    """The report form's "Already reported?" panel alone: htmx posts the place and the words as the resident
    gives them (a POST, so what they wrote stays out of addresses and logs). Nothing is filed."""
    jurisdiction = _jurisdiction(request)
    try:
        service = catalogue.service_for_report(jurisdiction, _path_value(service_code))
    except ValidationError:
        raise Http404(_("There is no service with that code.")) from None
    context = {"service": service, **duplicate_panel.panel(request, jurisdiction, service, request.POST)}
    return render(request, "public/_possible_duplicates.html", {**context, "live": True})


# --- "Describe what's wrong": a suggested service picked (civic311.public.service_suggestions) --------------------


@require_http_methods(["POST"])
def start_report(request: HttpRequest, service_code: str) -> HttpResponse:
    """A suggested service picked on the choose-service page: the resident's words go into their session (a
    POST, so they stay out of addresses and logs) and the service's report form starts from them, once."""
    jurisdiction = _jurisdiction(request)
    try:
        service = catalogue.service_for_report(jurisdiction, _path_value(service_code))
    except ValidationError:
        raise Http404(_("There is no service with that code.")) from None
    service_suggestions.keep_words(request.session, service.code, request.POST.get("description"))
    return redirect(reverse("public:report", args=[service.code]))
