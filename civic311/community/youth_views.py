"""The Youth Engagement Program's cohort pages, for community staff: the cohorts, a cohort's hub (its
dates, site, partners, schedule and participants), sessions and their registers, participants and their
guardians' consent, partner organizations, the city's retention settings. Thin: the rules are in
`services.youth`, the reads in `selectors.youth`, who may do what in `civic311.people.roles`. The
participants are minors: these pages are staff pages only, never cached."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311.catalogue.models import Department
from civic311.form_errors import show_service_errors
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.contact_details import format_phone

from .models import Cohort, CohortSession
from .selectors import programme
from .selectors import youth as selectors
from .services import youth
from .staff_views import acting_staff, community_page, programme_jurisdiction
from .youth_forms import CohortForm, ParticipantForm, PartnerForm, SessionForm, SettingsForm, WeeklySessionsForm


def _cohort(jurisdiction: Jurisdiction, slug: str) -> Cohort:
    found = selectors.cohort(jurisdiction, slug)
    if found is None:
        raise Http404(_("There is no such cohort."))
    return found


def _session(cohort: Cohort, number: int) -> CohortSession:
    found = selectors.session(cohort, number)
    if found is None:
        raise Http404(_("There is no such session."))
    return found


def _partner_choices(jurisdiction: Jurisdiction) -> list[tuple[int, str]]:
    return list(selectors.partners(jurisdiction).values_list("pk", "name"))


def _department_choices(jurisdiction: Jurisdiction) -> list[tuple[int, str]]:
    return list(Department.objects.filter(jurisdiction=jurisdiction).order_by("name").values_list("pk", "name"))


def _local_input(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""  # type: ignore[arg-type]


# --- cohorts ---------------------------------------------------------------------------------------------------


@require_GET
@community_page
def cohort_list(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    return render(request, "community/youth/cohort_list.html", {"cohorts": selectors.cohorts(jurisdiction)})


def _cohort_form(request: HttpRequest, jurisdiction: Jurisdiction, **kwargs: object) -> CohortForm:
    return CohortForm(
        request.POST or None,
        neighborhoods=list(programme.city_neighborhoods(jurisdiction).values_list("pk", "name")),
        partners=_partner_choices(jurisdiction),
        **kwargs,  # type: ignore[arg-type]
    )


@require_http_methods(["GET", "POST"])
@community_page
def cohort_new(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = _cohort_form(request, jurisdiction, initial={"sessions_to_complete": 4, "site_kind": "school"})
    if request.method == "POST" and form.is_valid():
        try:
            created = youth.create_cohort(jurisdiction, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error, {"neighborhood_id": "neighborhood"})
        else:
            messages.success(request, _("The cohort is created. Now add its sessions and participants."))
            return redirect("community:youth_cohort", slug=created.slug)
    return render(request, "community/youth/cohort_form.html", {"form": form, "cohort": None})


@require_http_methods(["GET", "POST"])
@community_page
def cohort_edit(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    initial = {
        "name": found.name,
        "site_name": found.site_name,
        "site_kind": found.site_kind,
        "site_address": found.site_address,
        "neighborhood": str(found.neighborhood_id or ""),
        "starts_on": found.starts_on,
        "ends_on": found.ends_on,
        "partners": [str(pk) for pk in found.partners.values_list("pk", flat=True)],
        "sessions_to_complete": found.sessions_to_complete,
        "after_survey_to_complete": found.after_survey_to_complete,
        "signatory_name": found.signatory_name,
        "signatory_title": found.signatory_title,
        "second_signatory_name": found.second_signatory_name,
        "second_signatory_title": found.second_signatory_title,
    }
    form = _cohort_form(request, jurisdiction, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            youth.change_cohort(found, form.data_for_service(found.slug), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error, {"neighborhood_id": "neighborhood"})
        else:
            messages.success(request, _("The cohort is changed."))
            return redirect("community:youth_cohort", slug=found.slug)
    return render(request, "community/youth/cohort_form.html", {"form": form, "cohort": found})


@require_GET
@community_page
def cohort_detail(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    overview = selectors.cohort_overview(found)
    return render(
        request,
        "community/youth/cohort_detail.html",
        {"cohort": found, "overview": overview, "weekly_form": WeeklySessionsForm(initial={"duration_minutes": 120})},
    )


# --- sessions --------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@community_page
def session_new(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    action = request.POST.get("action", "one")
    weekly_form = WeeklySessionsForm(
        request.POST if request.method == "POST" and action == "weekly" else None,
        initial={"duration_minutes": 120},
        prefix="weekly",
    )
    following = (found.sessions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    form = SessionForm(
        request.POST if request.method == "POST" and action == "one" else None,
        initial={"number": following},
        departments=_department_choices(jurisdiction),
        partners=_partner_choices(jurisdiction),
    )
    if request.method == "POST":
        try:
            if action == "weekly" and weekly_form.is_valid():
                made = youth.create_weekly_sessions(
                    found,
                    weekly_form.cleaned_data.get("first_starts_at"),
                    weekly_form.cleaned_data.get("duration_minutes"),
                    acting_staff(request),
                )
                messages.success(
                    request, _("%(count)d weekly sessions are scheduled; give each its topic.") % {"count": len(made)}
                )
                return redirect("community:youth_cohort", slug=found.slug)
            if action == "one" and form.is_valid():
                created = youth.create_session(found, form.data_for_service(), acting_staff(request))
                messages.success(request, _("The session is scheduled."))
                return redirect("community:youth_session", slug=found.slug, number=created.number)
        except ValidationError as error:
            show_service_errors(weekly_form if action == "weekly" else form, error)
    return render(
        request,
        "community/youth/session_form.html",
        {
            "cohort": found,
            "session": None,
            "form": form,
            "weekly_form": weekly_form,
            "offer_weekly": not found.sessions.exists(),
            "seed_topics": youth.seed_topics(),
        },
    )


@require_http_methods(["GET", "POST"])
@community_page
def session_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    current = _session(found, number)
    initial = {
        "number": current.number,
        "starts_at": _local_input(current.starts_at),
        "ends_at": _local_input(current.ends_at),
        "topic": current.topic,
        "presenting_departments": [str(each.pk) for each in current.presenting_departments.all()],
        "presenting_partners": [str(each.pk) for each in current.presenting_partners.all()],
        "other_presenters": current.other_presenters,
        "has_field_walk": current.has_field_walk,
    }
    form = SessionForm(
        request.POST or None,
        initial=initial,
        departments=_department_choices(jurisdiction),
        partners=_partner_choices(jurisdiction),
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = youth.change_session(current, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The session is changed."))
            return redirect("community:youth_session", slug=found.slug, number=changed.number)
    return render(
        request,
        "community/youth/session_form.html",
        {"cohort": found, "session": current, "form": form, "weekly_form": None, "offer_weekly": False},
    )


@require_GET
@community_page
def session_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    current = _session(found, number)
    rows = selectors.register(current)
    return render(
        request,
        "community/youth/session_detail.html",
        {
            "cohort": found,
            "session": current,
            "rows": rows,
            "recorded": any(row.present is not None for row in rows),
            "present_count": sum(row.present is True for row in rows),
            "started": current.starts_at <= timezone.now(),
            "closed": found.anonymised_at is not None,
        },
    )


@require_POST
@community_page
def attendance(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    current = _session(found, number)
    present = [int(value) for value in request.POST.getlist("present") if value.isdigit()]
    try:
        count = youth.record_attendance(current, present, acting_staff(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The register is saved: %(count)d present.") % {"count": count})
    return redirect("community:youth_session", slug=found.slug, number=current.number)


# --- participants ----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@community_page
def participant_new(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    form = ParticipantForm(request.POST or None, initial={"consented_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            youth.add_participant(found, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The participant is added."))
            if request.POST.get("another"):
                return redirect("community:youth_participant_new", slug=found.slug)
            return redirect("community:youth_cohort", slug=found.slug)
    return render(request, "community/youth/participant_form.html", {"cohort": found, "form": form})


@require_http_methods(["GET", "POST"])
@community_page
def participant_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _cohort(jurisdiction, slug)
    person = selectors.participant(found, pk)
    if person is None:
        raise Http404(_("There is no such participant."))
    anonymised = person.anonymised_at is not None
    initial = {
        "first_name": person.first_name,
        "last_initial": person.last_initial,
        "age_band": person.age_band,
        "guardian_name": person.guardian_name,
        "guardian_contact": person.guardian_contact
        if "@" in person.guardian_contact
        else format_phone(person.guardian_contact),
        "consent_method": person.consent_method,
        "consented_on": person.consented_on,
    }
    action = request.POST.get("action", "change")
    form = ParticipantForm(request.POST if request.method == "POST" and action == "change" else None, initial=initial)
    if request.method == "POST":
        if anonymised:
            messages.error(request, _("This participant was anonymised; their details cannot be changed."))
            return redirect("community:youth_participant", slug=found.slug, pk=person.pk)
        if action == "remove":
            youth.remove_participant(person, acting_staff(request))
            messages.success(request, _("The participant and their records are removed."))
            return redirect("community:youth_cohort", slug=found.slug)
        if form.is_valid():
            try:
                youth.change_participant(person, form.data_for_service(), acting_staff(request))
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(request, _("The participant's details are saved."))
                return redirect("community:youth_participant", slug=found.slug, pk=person.pk)
    return render(
        request,
        "community/youth/participant_detail.html",
        {
            "cohort": found,
            "participant": person,
            "form": form,
            "anonymised": anonymised,
            "sessions": selectors.participant_attendance(person),
        },
    )


# --- partners --------------------------------------------------------------------------------------------------


@require_GET
@community_page
def partner_list(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    return render(request, "community/youth/partner_list.html", {"partners": selectors.partners(jurisdiction)})


@require_http_methods(["GET", "POST"])
@community_page
def partner_new(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            youth.create_partner(jurisdiction, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The partner is added."))
            return redirect("community:youth_partners")
    return render(request, "community/youth/partner_form.html", {"form": form, "partner": None})


@require_http_methods(["GET", "POST"])
@community_page
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = selectors.partner(jurisdiction, pk)
    if found is None:
        raise Http404(_("There is no such partner."))
    initial = {
        "name": found.name,
        "website": found.website,
        "contact_name": found.contact_name,
        "contact_email": found.contact_email,
        "contact_phone": format_phone(found.contact_phone) if found.contact_phone else "",
        "notes": found.notes,
    }
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            youth.change_partner(found, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The partner is saved."))
            return redirect("community:youth_partners")
    return render(
        request,
        "community/youth/partner_form.html",
        {"form": form, "partner": found, "cohorts": selectors.partner_cohorts(found)},
    )


# --- the city's settings ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@community_page
def settings_page(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    current = youth.settings_for(jurisdiction)
    form = SettingsForm(
        request.POST or None,
        initial={"guardian_contact_days": current.guardian_contact_days, "retention_days": current.retention_days},
    )
    if request.method == "POST" and form.is_valid():
        try:
            youth.change_settings(
                jurisdiction,
                form.cleaned_data.get("guardian_contact_days"),
                form.cleaned_data.get("retention_days"),
                acting_staff(request),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The settings are saved; the nightly job follows them from tonight."))
            return redirect("community:youth_settings")
    return render(request, "community/youth/settings.html", {"form": form, "settings": current})
