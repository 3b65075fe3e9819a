"""A youth cohort's before and after surveys: the staff page (which survey, open and close each phase,
who has not answered, typing a paper form) and the public page a participant answers on (a shared tablet
or their phones: pick your name, answer, thank you, back to the names). Thin: the rules are in
`services.youth_surveys`, the reads in `selectors.youth_surveys`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311 import rate_limits
from civic311.form_errors import show_service_errors
from civic311.surveys.forms import AnswersForm

from . import instruments as form_selectors
from .link_pages import link_page
from .models import Cohort, Phase
from .selectors import youth as youth_selectors
from .selectors import youth_surveys as selectors
from .services import survey_forms, youth_surveys
from .staff_views import acting_staff, community_page, programme_jurisdiction
from .youth_survey_forms import AttachForm


def _token_rate() -> rate_limits.Rate:
    """Survey links that do not open (unknown or closed) from one client address an hour."""
    return rate_limits.Rate(
        "youth-survey-link", getattr(settings, "CIVIC311_YOUTH_SURVEY_BAD_LINKS_PER_HOUR", 20), 3600
    )


def _answer_rate() -> rate_limits.Rate:
    """Answers sent from one client address an hour (a class on one tablet stays well under it)."""
    return rate_limits.Rate(
        "youth-survey-answer", getattr(settings, "CIVIC311_YOUTH_SURVEY_ANSWERS_PER_HOUR", 120), 3600
    )


def _cohort(request: HttpRequest, slug: str) -> Cohort:
    found = youth_selectors.cohort(programme_jurisdiction(request), slug)
    if found is None:
        raise Http404(_("There is no such cohort."))
    return found


def _phase(phase: str) -> str:
    if phase not in Phase.values:
        raise Http404(_("There is no such survey."))
    return phase


def _show(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- staff ---------------------------------------------------------------------------------------------------


def _attach_form(cohort: Cohort, data: object = None) -> AttachForm:
    youth_ids = form_selectors.youth_instrument_ids(cohort.jurisdiction_id)
    instruments = form_selectors.community_instruments(cohort.jurisdiction).filter(pk__in=youth_ids)
    return AttachForm(data, instruments=instruments, initial={"survey": cohort.survey_id})


@require_GET
@community_page
def cohort_survey(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    return _cohort_page(request, cohort, _attach_form(cohort))


def _cohort_page(request: HttpRequest, cohort: Cohort, form: AttachForm, status: int = 200) -> HttpResponse:
    phases = selectors.cohort_survey_state(cohort)
    links = {
        state.phase: request.build_absolute_uri(reverse("community:youth_survey_take", args=[state.token]))
        for state in phases
        if state.token
    }
    return render(
        request,
        "community/youth/survey_cohort.html",
        {
            "cohort": cohort,
            "phases": [(state, links.get(state.phase, "")) for state in phases],
            "attach_form": form,
            "answered_any": any(state.answered for state in phases),
            "latest": form_selectors.latest_published(cohort.survey) if cohort.survey else None,
        },
        status=status,
    )


@require_POST
@community_page
def attach(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    form = _attach_form(cohort, request.POST)
    if form.is_valid():
        try:
            youth_surveys.attach_survey(cohort, form.cleaned_data.get("survey"), actor=acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The cohort's survey is chosen."))
            return redirect("community:youth_survey", slug=cohort.slug)
    return _cohort_page(request, cohort, form, status=400)


@require_POST
@community_page
def open_phase(request: HttpRequest, slug: str, phase: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    try:
        youth_surveys.open_phase(cohort, _phase(phase), actor=acting_staff(request))
    except ValidationError as error:
        _show(request, error)
    else:
        messages.success(request, _("The survey is open. Share its link with the participants."))
    return redirect("community:youth_survey", slug=cohort.slug)


@require_POST
@community_page
def close_phase(request: HttpRequest, slug: str, phase: str) -> HttpResponse:
    cohort = _cohort(request, slug)
    try:
        youth_surveys.close_phase(cohort, _phase(phase), actor=acting_staff(request))
    except ValidationError as error:
        _show(request, error)
    else:
        messages.success(request, _("The survey is closed. Its link no longer opens."))
    return redirect("community:youth_survey", slug=cohort.slug)


@require_http_methods(["GET", "POST"])
@community_page
def enter_paper(request: HttpRequest, slug: str, phase: str, participant: int) -> HttpResponse:
    cohort = _cohort(request, slug)
    which = _phase(phase)
    person = youth_selectors.participant(cohort, participant)
    if person is None:
        raise Http404(_("There is no such participant."))
    answered = not any(p.pk == person.pk for p in selectors.waiting(cohort, which))
    # The version the service will record against: the phase's pinned one, else the newest of the cohort's
    # survey (the city's default youth survey when none was chosen).
    survey = cohort.survey or survey_forms.ensure_youth_survey(cohort.jurisdiction)
    version = (cohort.before_version if which == Phase.BEFORE else cohort.after_version) or (
        form_selectors.latest_published(survey)
    )
    form = AnswersForm(request.POST or None, version=version) if version is not None and not answered else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            youth_surveys.record_paper(cohort, which, person, form.answers(), actor=acting_staff(request))
        except ValidationError as error:
            form.add_service_errors(error, form.aliases)
        else:
            messages.success(request, _("%(name)s's paper form is saved.") % {"name": person.display_name})
            return redirect("community:youth_survey", slug=cohort.slug)
    return render(
        request,
        "community/youth/survey_enter.html",
        {
            "cohort": cohort,
            "phase": which,
            "phase_label": Phase(which).label,
            "participant": person,
            "answered": answered,
            "form": form,
            "no_survey": version is None,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- public: the participants' page ---------------------------------------------------------------------------


def _open(request: HttpRequest, token: str) -> tuple[Cohort, str] | HttpResponse:
    """The cohort and phase of an open link, or the page that says it does not open (counted). A client over
    the limit is refused before the link is looked up, a right one too: otherwise the limit would only make
    the wrong guesses answer 429 and a right guess would still show the participants' names."""
    jurisdiction = getattr(request, "jurisdiction", None)

    def in_this_city() -> tuple[Cohort, Phase] | None:
        found = youth_surveys.cohort_for_token(token)
        if found is not None and (jurisdiction is None or found[0].jurisdiction_id == jurisdiction.pk):
            return found
        return None

    found, verdict = rate_limits.look_up_secret(_token_rate(), rate_limits.client_address(request), in_this_city)
    if found is not None:
        return found[0], found[1].value
    return render(
        request,
        "community/youth/survey_closed.html",
        {"too_many": not verdict.allowed},
        status=429 if not verdict.allowed else 404,
    )


@link_page
@require_GET
def take(request: HttpRequest, token: str) -> HttpResponse:
    found = _open(request, token)
    if isinstance(found, HttpResponse):
        return found
    cohort, phase = found
    return render(
        request,
        "community/youth/survey_take.html",
        {
            "cohort": cohort,
            "phase_label": Phase(phase).label,
            "token": token,
            "names": selectors.waiting(cohort, phase),
            "thanks": request.GET.get("thanks") == "1",
        },
    )


@link_page
@require_http_methods(["GET", "POST"])
def take_participant(request: HttpRequest, token: str, participant: int) -> HttpResponse:
    found = _open(request, token)
    if isinstance(found, HttpResponse):
        return found
    cohort, phase = found
    person = next((p for p in selectors.waiting(cohort, phase) if p.pk == participant), None)
    if person is None:  # not of this cohort, or already answered: back to the names
        return redirect("community:youth_survey_take", token=token)
    version = cohort.before_version if phase == Phase.BEFORE else cohort.after_version
    if version is None:
        raise Http404(_("There is no such survey."))
    form = AnswersForm(request.POST or None, version=version)
    status = 200
    if request.method == "POST":
        status = 400
        verdict = rate_limits.hit(_answer_rate(), rate_limits.client_address(request))
        if not verdict.allowed:
            form.add_error(
                None,
                _("Too many answers were sent from this device. Try again in %(minutes)d minutes.")
                % {"minutes": verdict.retry_after_minutes},
            )
            status = 429
        elif form.is_valid():
            try:
                youth_surveys.record_on_link(token, person, form.answers())
            except ValidationError as error:
                form.add_service_errors(error, form.aliases)
            else:
                return redirect(f"{reverse('community:youth_survey_take', args=[token])}?thanks=1")
    return render(
        request,
        "community/youth/survey_answer.html",
        {"cohort": cohort, "phase_label": Phase(phase).label, "token": token, "participant": person, "form": form},
        status=status,
    )
