"""The editor of the community programs' survey instruments (a cohort's survey, a pilot's feedback form):
the list, an instrument's versions, its draft's questions (add, change, remove, move; a pilot form's
dimensions), publishing. Thin: the rules are in `services.survey_forms`, the reads in
`selectors.survey_forms`; who may, `roles.may_run_community_programmes`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311.form_errors import show_service_errors
from civic311.surveys.models import Instrument, InstrumentVersion, Question

from .selectors import survey_forms as selectors
from .services import survey_forms
from .staff_views import acting_staff, community_page, programme_jurisdiction
from .youth_survey_forms import DimensionForm, QuestionForm


def _instrument(request: HttpRequest, pk: int) -> Instrument:
    found = selectors.community_instruments(programme_jurisdiction(request)).filter(pk=pk).first()
    if found is None:
        raise Http404(_("There is no such survey."))
    return found


def _question(instrument: Instrument, question_pk: int) -> Question:
    draft = selectors.draft_of(instrument)
    found = draft.questions.filter(pk=question_pk).first() if draft is not None else None
    if found is None:
        raise Http404(_("There is no such question in the draft."))
    return found


def _show(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _detail(
    request: HttpRequest,
    instrument: Instrument,
    *,
    question_form: QuestionForm | None = None,
    dimension_form: DimensionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    youth = selectors.is_youth_instrument(instrument)
    pilot = selectors.is_pilot_form(instrument)
    draft = selectors.draft_of(instrument)
    shown = draft or selectors.latest_published(instrument)
    questions = list(shown.questions.all()) if shown is not None else []
    dimensions = set(selectors.dimension_codes(shown)) if shown is not None and pilot else set()
    context: dict[str, Any] = {
        "instrument": instrument,
        "is_youth": youth,
        "is_pilot": pilot,
        "draft": draft,
        "shown": shown,
        "questions": questions,
        "dimensions": dimensions,
        "comment_codes": {f"{code}{selectors.COMMENT_SUFFIX}" for code in dimensions},
        "versions": selectors.version_uses(instrument),
        "question_form": question_form or QuestionForm(youth=youth),
        "dimension_form": dimension_form or DimensionForm(),
    }
    return render(request, "community/forms/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@community_page
def form_list(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    if request.method == "POST":  # make the city's default youth survey
        instrument = survey_forms.ensure_youth_survey(jurisdiction)
        messages.success(request, _("The default youth survey is ready."))
        return redirect("community:survey_form", pk=instrument.pk)
    rows = selectors.instrument_rows(jurisdiction)
    return render(
        request,
        "community/forms/list.html",
        {"rows": rows, "has_default": any(row.instrument.slug == selectors.YOUTH_SURVEY_SLUG for row in rows)},
    )


@require_GET
@community_page
def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _instrument(request, pk))


@require_GET
@community_page
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    version = InstrumentVersion.objects.filter(instrument=instrument, number=number).first()
    if version is None:
        raise Http404(_("There is no such version."))
    return render(
        request,
        "community/forms/version.html",
        {"instrument": instrument, "version": version, "questions": list(version.questions.all())},
    )


@require_POST
@community_page
def open_draft(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    try:
        draft = survey_forms.open_draft(instrument, actor=acting_staff(request))
    except ValidationError as error:
        _show(request, error)
    else:
        messages.success(request, _("Draft version %(number)s is open for changes.") % {"number": draft.number})
    return redirect("community:survey_form", pk=instrument.pk)


@require_POST
@community_page
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    try:
        version = survey_forms.publish(instrument, actor=acting_staff(request))
    except ValidationError as error:
        _show(request, error)
    else:
        messages.success(
            request,
            _("Version %(number)s is published. Surveys opened from now on ask it.") % {"number": version.number},
        )
    return redirect("community:survey_form", pk=instrument.pk)


@require_POST
@community_page
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    form = QuestionForm(request.POST, youth=selectors.is_youth_instrument(instrument))
    if form.is_valid():
        try:
            survey_forms.add_question(
                instrument,
                actor=acting_staff(request),
                code=form.cleaned_data["code"],
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                text_es=form.cleaned_data.get("text_es") or "",
                choices=form.choice_rows(),
                required=bool(form.cleaned_data.get("required")),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The question is added to the draft."))
            return redirect("community:survey_form", pk=instrument.pk)
    return _detail(request, instrument, question_form=form, status=400)


@require_http_methods(["GET", "POST"])
@community_page
def question_edit(request: HttpRequest, pk: int, question: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    found = _question(instrument, question)
    form = QuestionForm(request.POST or None, youth=selectors.is_youth_instrument(instrument), question=found)
    if request.method == "POST" and form.is_valid():
        try:
            survey_forms.change_question(
                found,
                actor=acting_staff(request),
                text=form.cleaned_data["text"],
                text_es=form.cleaned_data.get("text_es") or "",
                choices=form.choice_rows() if "choices" in form.fields else (),
                required=bool(form.cleaned_data.get("required")),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The question is changed."))
            return redirect("community:survey_form", pk=instrument.pk)
    return render(
        request,
        "community/forms/question.html",
        {"instrument": instrument, "question": found, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@community_page
def question_remove(request: HttpRequest, pk: int, question: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    found = _question(instrument, question)
    try:
        survey_forms.remove_question(found, actor=acting_staff(request))
    except ValidationError as error:
        _show(request, error)
    else:
        messages.success(request, _("The question is removed from the draft."))
    return redirect("community:survey_form", pk=instrument.pk)


@require_POST
@community_page
def question_move(request: HttpRequest, pk: int, question: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    found = _question(instrument, question)
    try:
        survey_forms.move_question(found, actor=acting_staff(request), up=request.POST.get("direction") != "down")
    except ValidationError as error:
        _show(request, error)
    return redirect(f"{reverse('community:survey_form', kwargs={'pk': instrument.pk})}#question-{found.pk}")


@require_POST
@community_page
def dimension_new(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _instrument(request, pk)
    form = DimensionForm(request.POST)
    if form.is_valid():
        try:
            survey_forms.add_dimension(
                instrument,
                actor=acting_staff(request),
                code=form.cleaned_data["code"],
                text=form.cleaned_data["text"],
                text_es=form.cleaned_data.get("text_es") or "",
                comment_text=form.cleaned_data.get("comment_text") or "",
                comment_text_es=form.cleaned_data.get("comment_text_es") or "",
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The dimension (a rating and its comment) is added to the draft."))
            return redirect("community:survey_form", pk=instrument.pk)
    return _detail(request, instrument, dimension_form=form, status=400)


@require_POST
@community_page
def dimension_remove(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    instrument = _instrument(request, pk)
    try:
        survey_forms.remove_dimension(instrument, code, actor=acting_staff(request))
    except ValidationError as error:
        _show(request, error)
    else:
        messages.success(request, _("The dimension and its comment are removed from the draft."))
    return redirect("community:survey_form", pk=instrument.pk)
