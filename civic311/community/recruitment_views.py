"""The Neighborhood Liaison Program's recruitment and training pages: the public application form, and
community staff's home, application review and training sessions; the certificate download (staff and
the liaison it was made for). Thin: the rules are in `services.applications` and `services.training`,
who may do what in `civic311.people.roles`, the reads in `selectors.recruitment`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from civic311 import rate_limits
from civic311.form_errors import show_service_errors
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.pdf import pdf_download
from civic311.people import roles

from . import certificates
from .models import LiaisonApplication, TrainingSession
from .recruitment_forms import ApplicationFilterForm, ApplicationForm, DeclineForm, RegisterForm, SessionForm
from .selectors import programme, recruitment
from .services import applications, training
from .staff_views import acting_staff, community_page, programme_jurisdiction

SIGN_IN_PATH = "/sign-in/"  # the public site's e-mailed link sign-in (`public:sign_in`), a layer above


# --- public: the application form ---------------------------------------------------------------------------


def _application_rate() -> rate_limits.Rate:
    """Applications sent from one client address an hour: as many as reports (`CIVIC311_REPORTS_PER_HOUR`)."""
    return rate_limits.Rate("liaison-application", settings.CIVIC311_REPORTS_PER_HOUR, 3600)


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    choices = list(programme.city_neighborhoods(jurisdiction).values_list("pk", "name"))
    form = ApplicationForm(request.POST or None, neighborhoods=choices)
    if request.method == "POST" and form.is_valid():
        verdict = rate_limits.hit(_application_rate(), rate_limits.client_address(request))
        if not verdict.allowed:
            form.add_error(
                None,
                _("Too many applications were sent from your connection. Try again in %(minutes)d minutes.")
                % {"minutes": verdict.retry_after_minutes},
            )
            return render(
                request,
                "community/recruitment/apply.html",
                {"form": form, "terms_version": applications.TERMS_VERSION, "has_neighborhoods": bool(choices)},
                status=429,
            )
        try:
            applications.apply_from_form(jurisdiction, form.data_for_service(translation.get_language() or ""))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return redirect("community:apply_done")
    return render(
        request,
        "community/recruitment/apply.html",
        {"form": form, "terms_version": applications.TERMS_VERSION, "has_neighborhoods": bool(choices)},
    )


@require_GET
def apply_done(request: HttpRequest) -> HttpResponse:
    return render(request, "community/recruitment/apply_done.html", {})


# --- staff: home and applications ----------------------------------------------------------------------------


@require_GET
@community_page
def staff_home(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    return render(
        request,
        "community/recruitment/staff_home.html",
        {
            "pending": recruitment.pending_applications(jurisdiction),
            "upcoming": list(
                recruitment.upcoming_sessions(jurisdiction, timezone.now())[: recruitment.UPCOMING_ON_HOME]
            ),
        },
    )


@require_GET
@community_page
def application_list(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = ApplicationFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    if not request.GET:
        status = LiaisonApplication.Status.PENDING
        form = ApplicationFilterForm(initial={"status": status})
    return render(
        request,
        "community/recruitment/applications.html",
        {"form": form, "applications": recruitment.applications(jurisdiction, status)[:200], "status": status},
    )


@require_http_methods(["GET", "POST"])
@community_page
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = recruitment.application(jurisdiction, pk)
    if found is None:
        raise Http404(_("There is no such application."))
    decline_form = DeclineForm(request.POST if request.POST.get("action") == "decline" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                applications.accept(found, acting_staff(request))
                messages.success(request, _("Accepted. The applicant was e-mailed about training."))
                return redirect("community:application", pk=found.pk)
            if action == "decline" and decline_form.is_valid():
                applications.decline(found, acting_staff(request), decline_form.cleaned_data.get("reason") or "")
                messages.success(request, _("Declined. The applicant was e-mailed the reason."))
                return redirect("community:application", pk=found.pk)
        except ValidationError as error:
            if action == "decline":
                show_service_errors(decline_form, error)
            else:
                for message in error.messages:
                    messages.error(request, message)
    return render(
        request,
        "community/recruitment/application.html",
        {
            "application": found,
            "liaison": recruitment.liaison_of_application(found),
            "languages": [applications.language_name(code) for code in found.languages],
            "decline_form": decline_form,
            "pending": found.status == LiaisonApplication.Status.PENDING,
        },
    )


# --- staff: training sessions -------------------------------------------------------------------------------


@require_GET
@community_page
def training_list(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    now = timezone.now()
    return render(
        request,
        "community/recruitment/trainings.html",
        {
            "upcoming": recruitment.upcoming_sessions(jurisdiction, now),
            "past": recruitment.past_sessions(jurisdiction, now)[:100],
        },
    )


@require_http_methods(["GET", "POST"])
@community_page
def training_new(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = SessionForm(request.POST or None, initial={"language": translation.get_language(), "capacity": 20})
    if request.method == "POST" and form.is_valid():
        try:
            created = training.create_session(jurisdiction, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The session is scheduled."))
            return redirect("community:training", pk=created.pk)
    return render(request, "community/recruitment/training_form.html", {"form": form, "session": None})


@require_http_methods(["GET", "POST"])
@community_page
def training_edit(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = recruitment.session(jurisdiction, pk)
    if found is None:
        raise Http404(_("There is no such training session."))
    local = timezone.localtime
    initial = {
        "title": found.title,
        "kind": found.kind,
        "starts_at": local(found.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": local(found.ends_at).strftime("%Y-%m-%dT%H:%M"),
        "place": found.place,
        "online_url": found.online_url,
        "trainer": found.trainer,
        "capacity": found.capacity,
        "language": found.language,
    }
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            training.change_session(found, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request, _("The session is changed; registered liaisons were told of a new time or place.")
            )
            return redirect("community:training", pk=found.pk)
    return render(request, "community/recruitment/training_form.html", {"form": form, "session": found})


@require_http_methods(["GET", "POST"])
@community_page
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = recruitment.session(jurisdiction, pk)
    if found is None:
        raise Http404(_("There is no such training session."))
    register_form = RegisterForm(
        request.POST if request.POST.get("action") == "register" else None,
        liaisons=recruitment.registrable_liaisons(found),
    )
    if request.method == "POST":
        done = _session_action(request, found, register_form)
        if done is not None:
            return done
    now = timezone.now()
    registered = list(recruitment.registrations(found))
    return render(
        request,
        "community/recruitment/training.html",
        {
            "session": found,
            "registrations": registered,
            "register_form": register_form,
            "started": found.starts_at <= now,
            "cancelled": found.cancelled_at is not None,
            "seats_left": max(0, found.capacity - len(registered)),
            "language": applications.language_name(found.language),
        },
    )


def _session_action(request: HttpRequest, found: TrainingSession, register_form: RegisterForm) -> HttpResponse | None:
    """Carry out one of the session page's buttons; a redirect when done, None to show the page with errors."""
    action = request.POST.get("action")
    actor = acting_staff(request)
    back = redirect("community:training", pk=found.pk)
    try:
        if action == "register":
            if not register_form.is_valid():
                return None
            training.register(found, register_form.cleaned_data["liaison"], actor)
            messages.success(request, _("The liaison is registered and was e-mailed the details."))
        elif action == "unregister":
            training.unregister(_registration_of(found, request.POST.get("registration")), actor)
            messages.success(request, _("The liaison is off the session."))
        elif action == "attendance":
            # A completed registration's box is shown ticked and disabled (not sent): it keeps its attendance.
            ids = [r.liaison_id for r in recruitment.registrations(found) if r.completed_at is None]
            came = {int(value) for value in request.POST.getlist("attended") if value.isdigit()}
            training.record_attendance(found, {pk: pk in came for pk in ids}, actor)
            messages.success(request, _("The register is saved."))
        elif action == "complete":
            training.complete(_registration_of(found, request.POST.get("registration")), actor)
            messages.success(request, _("Training completed: the certificate was e-mailed and the liaison is active."))
        elif action == "cancel":
            training.cancel_session(found, actor)
            messages.success(request, _("The session is cancelled; registered liaisons were told."))
        else:
            return back
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return back


def _registration_of(found: TrainingSession, value: str | None) -> Any:
    registration = found.registrations.filter(pk=int(value)).first() if value and value.isdigit() else None
    if registration is None:
        raise Http404(_("There is no such registration."))
    return registration


# --- certificates ----------------------------------------------------------------------------------------


@require_GET
@never_cache
def certificate(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A completed training's certificate as PDF: for community staff and for the liaison themselves."""
    if not request.user.is_authenticated:
        return redirect(f"{SIGN_IN_PATH}?{urlencode({'next': request.get_full_path()})}")
    found = recruitment.registration(pk)
    if found is None or found.completed_at is None:
        raise Http404(_("There is no such certificate."))
    if not roles.may_download_certificate(request.user, found.liaison.user_id):
        raise PermissionDenied(_("This certificate is not yours."))
    if roles.may_run_community_programmes(request.user):
        roles.require(
            roles.sees_jurisdiction(request.user, found.session.jurisdiction_id),
            _("This certificate is another city's."),
        )
    return pdf_download(certificates.certificate_filename(found), certificates.certificate_pdf(found))
