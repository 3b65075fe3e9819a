"""The Youth Engagement Program's field walks: the public walk page the participants report from (by the
walk's link only), staff's open and close of a walk's link, and the cohort's requests with their outcomes,
map and before-and-after photos. Thin: the rules are `services.field_walks`, the reads
`selectors.field_walks`, who may do what `civic311.people.roles`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311 import rate_limits
from civic311.catalogue import selectors as catalogue
from civic311.form_errors import show_service_errors
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.service_requests import services as requests_services
from civic311.service_requests.report_form import report_map_config

from .link_pages import link_page
from .models import Cohort, CohortSession
from .selectors import field_walks as walks
from .services import field_walks
from .staff_views import acting_staff, community_page, programme_jurisdiction
from .walk_forms import OtherServiceForm, WalkOpenForm, WalkReportForm

DONE_SALT = "civic311.community.walk_done"
DONE_MAX_AGE = 6 * 60 * 60


# --- rate limits -----------------------------------------------------------------------------------------------


def _refused_link_rate() -> rate_limits.Rate:
    """Unknown, closed or expired walk links one client address may open an hour before being refused any:
    as many as the public form's reports (`CIVIC311_REPORTS_PER_HOUR`)."""
    return rate_limits.Rate("youth-walk-link", settings.CIVIC311_REPORTS_PER_HOUR, 3600)


def _report_rate() -> rate_limits.Rate:
    """Reports one client address may file on one walk an hour: three times the public form's, since a
    whole class may share a school's connection."""
    return rate_limits.Rate("youth-walk-report", settings.CIVIC311_REPORTS_PER_HOUR * 3, 3600)


def _too_many(minutes: int) -> str:
    return ngettext(
        "Too much has been sent from your connection in the last hour. Nothing was sent: please try again "
        "in %(minutes)d minute, or call 311.",
        "Too much has been sent from your connection in the last hour. Nothing was sent: please try again "
        "in %(minutes)d minutes, or call 311.",
        minutes,
    ) % {"minutes": minutes}


# --- public: the walk's page -----------------------------------------------------------------------------------


def _walk_or_refusal(request: HttpRequest, token: str) -> CohortSession | HttpResponse:
    """The walk of an open link, or the page that refuses it (410 unknown/closed/expired, 429 too many)."""
    address = rate_limits.client_address(request)
    waiting = rate_limits.peek(_refused_link_rate(), address)
    if not waiting.allowed:
        return render(
            request,
            "community/youth/walk_closed.html",
            {"reason": "limited", "message": _too_many(waiting.retry_after_minutes)},
            status=429,
        )
    try:
        return field_walks.walk_for_token(token, jurisdiction=site_jurisdiction(request))
    except field_walks.WalkUnavailable as refused:
        rate_limits.hit(_refused_link_rate(), address)
        # The same page whatever the reason, but for the time an expired link closed (its walk is known
        # to whoever holds the link); never the cohort, the school or the participants.
        closed_at = refused.session.walk_closes_at if refused.reason == "expired" and refused.session else None
        return render(request, "community/youth/walk_closed.html", {"closed_at": closed_at}, status=410)


def _render_form(
    request: HttpRequest, session: CohortSession, token: str, form: WalkReportForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "community/youth/walk_form.html",
        {
            "session": session,
            "token": token,
            "form": form,
            "service": form.service,
            "map_config": report_map_config(session.cohort.jurisdiction),
            "description_max": settings.CIVIC311_DESCRIPTION_MAX_CHARS,
            "photo_max_mb": settings.CIVIC311_PHOTO_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@link_page
@require_http_methods(["GET", "POST"])
def walk(request: HttpRequest, token: str) -> HttpResponse:
    """The participants' page: choose what they found (a few services first, then anything else), then the
    report form of that service (`?service=CODE`)."""
    found = _walk_or_refusal(request, token)
    if isinstance(found, HttpResponse):
        return found
    session = found
    jurisdiction = session.cohort.jurisdiction
    code = (request.POST.get("service") or request.GET.get("service") or "").strip()[:100]
    featured, offered = walks.walk_services(jurisdiction)
    other = OtherServiceForm(request.GET if "service" in request.GET else None, services=offered)
    if not code:
        return render(
            request,
            "community/youth/walk_choose.html",
            {"session": session, "token": token, "featured": featured, "other": OtherServiceForm(services=offered)},
        )
    try:
        service = catalogue.service_for_report(jurisdiction, code)
    except ValidationError:
        other.is_valid()
        return render(
            request,
            "community/youth/walk_choose.html",
            {"session": session, "token": token, "featured": featured, "other": other, "unknown_service": True},
            status=400,
        )
    participants = walks.walk_participants(session)
    if request.method != "POST":
        return _render_form(request, session, token, WalkReportForm(service, jurisdiction, participants))

    form = WalkReportForm(service, jurisdiction, participants, data=request.POST, files=request.FILES)
    verdict = rate_limits.hit(_report_rate(), f"{session.pk}:{rate_limits.client_address(request)}")
    if not verdict.allowed:
        form.add_errors(ValidationError(_too_many(verdict.retry_after_minutes)))
        return _render_form(request, session, token, form, status=429)
    try:
        submission = field_walks.file_walk_report(token, form.to_walk_data(), form.photo, jurisdiction=jurisdiction)
    except field_walks.WalkUnavailable:
        return render(request, "community/youth/walk_closed.html", {"closed_at": None}, status=410)
    except requests_services.CannedAnswer as answer:
        return render(
            request,
            "community/youth/walk_answered.html",
            {"session": session, "token": token, "service": service, "message": answer.message},
        )
    except ValidationError as error:
        form.add_errors(error)
        return _render_form(request, session, token, form, status=400)
    number = submission.service_request.tracking_number
    query = urlencode({"t": signing.dumps(number, salt=DONE_SALT)})
    return redirect(f"{reverse('community:youth_walk_done', args=[token])}?{query}")


@link_page
@require_GET
def walk_done(request: HttpRequest, token: str) -> HttpResponse:
    """Thank you, the tracking number (from the signed link the filing redirected to), and "report another"."""
    found = _walk_or_refusal(request, token)
    if isinstance(found, HttpResponse):
        return found
    try:
        number = signing.loads(request.GET.get("t", ""), salt=DONE_SALT, max_age=DONE_MAX_AGE)
    except signing.BadSignature:
        number = None
    return render(
        request,
        "community/youth/walk_done.html",
        {"session": found, "token": token, "tracking_number": number if isinstance(number, str) else None},
    )


# --- staff: open and close a walk ------------------------------------------------------------------------------


def _cohort(request: HttpRequest, slug: str) -> Cohort:
    cohort = walks.cohort_by_slug(programme_jurisdiction(request), slug)
    if cohort is None:
        raise Http404(_("There is no such cohort."))
    return cohort


def _session(request: HttpRequest, slug: str, number: int) -> CohortSession:
    session = walks.session_of(_cohort(request, slug), number)
    if session is None:
        raise Http404(_("There is no such session."))
    return session


def session_url(session: CohortSession) -> str:
    """The session's page (the youth pages'), or the cohort's walk requests while that page is not there."""
    try:
        return reverse("community:youth_session", args=[session.cohort.slug, session.number])
    except NoReverseMatch:
        return reverse("community:youth_cohort_requests", args=[session.cohort.slug])


@require_http_methods(["GET", "POST"])
@community_page
def walk_open(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session(request, slug, number)
    default = session.walk_closes_at if session.walk_token and session.walk_closes_at else None
    form = WalkOpenForm(
        request.POST if request.method == "POST" else None,
        default=default or field_walks.default_closes_at(session, now=timezone.now()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            field_walks.open_walk(session, acting_staff(request), closes_at=form.cleaned_data.get("closes_at"))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The walk's link is open."))
            return redirect(session_url(session) + "#walk")
    return render(
        request,
        "community/youth/walk_open.html",
        {"session": session, "cohort": session.cohort, "form": form, "back_url": session_url(session)},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@community_page
def walk_close(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session(request, slug, number)
    field_walks.close_walk(session, acting_staff(request))
    messages.success(request, _("The walk's link is closed: it takes no more reports."))
    return redirect(session_url(session) + "#walk")


# --- staff: the cohort's requests ---------------------------------------------------------------------------------


@require_GET
@community_page
def cohort_requests(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    now = timezone.now()
    sessions = [(session, walks.walk_state(session, now=now)) for session in walks.walk_sessions(cohort)]
    return render(
        request,
        "community/youth/requests_list.html",
        {
            "cohort": cohort,
            "outcomes": walks.cohort_outcomes(cohort),
            "walk_requests": walks.cohort_requests(cohort),
            "sessions": sessions,
        },
    )


@require_GET
@community_page
def cohort_requests_map(request: HttpRequest, slug: str) -> JsonResponse:
    """The cohort's walk requests with a point, as GeoJSON (no participant, no description, no contact)."""
    return JsonResponse(walks.map_features(_cohort(request, slug)))  # never cached: a staff page
