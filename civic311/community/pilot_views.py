"""Pilot assessments' pages: community staff's list, new/edit, the assessment (participants, sending each
phase, focus groups), the report (HTML, PDF, CSV); and the public page a participant answers through their
link, without an account. Thin: the rules are `services.pilots`', the reads `selectors.pilots`', who may do
what `civic311.people.roles`'."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311 import rate_limits
from civic311.form_errors import show_service_errors
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.pdf import pdf_download, render_pdf
from civic311.spreadsheets import csv_download
from civic311.surveys.forms import AnswersForm

from .link_pages import link_page
from .models import Phase, PilotAssessment, PilotInvitation, PilotParticipant
from .pilot_forms import AddParticipantsForm, AssessmentForm, FocusGroupForm
from .selectors import pilots as selected
from .services import pilots
from .staff_views import acting_staff, community_page, programme_jurisdiction

# --- staff: the list, new and edit ----------------------------------------------------------------------------


def _assessment(jurisdiction: Jurisdiction, slug: str) -> PilotAssessment:
    found = selected.assessment(jurisdiction, slug)
    if found is None:
        raise Http404(_("There is no such pilot assessment."))
    return found


@require_GET
@community_page
def pilot_list(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    return render(request, "community/pilots/list.html", {"assessments": selected.assessments(jurisdiction)})


@require_http_methods(["GET", "POST"])
@community_page
def pilot_new(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = AssessmentForm(request.POST or None, forms_offered=pilots.choosable_forms(jurisdiction))
    if request.method == "POST" and form.is_valid():
        try:
            created = pilots.create_assessment(jurisdiction, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The pilot assessment was created with its feedback form."))
            return redirect("community:pilot", slug=created.slug)
    return render(request, "community/pilots/form.html", {"form": form, "assessment": None})


@require_http_methods(["GET", "POST"])
@community_page
def pilot_edit(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _assessment(jurisdiction, slug)
    locked = found.before_version_id is not None
    form = AssessmentForm(
        request.POST or None, forms_offered=pilots.choosable_forms(jurisdiction), assessment=found, form_locked=locked
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = pilots.change_assessment(found, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("community:pilot", slug=changed.slug)
    return render(request, "community/pilots/form.html", {"form": form, "assessment": found, "form_locked": locked})


# --- staff: the assessment page -------------------------------------------------------------------------------


def _form_editor_url(found: PilotAssessment) -> str:
    """The survey form editor's address for the pilot's form (Part C's page), when the site has it."""
    if found.form_id is None:
        return ""
    try:
        return reverse("community:survey_form", args=[found.form_id])
    except NoReverseMatch:
        return ""


@require_GET
@community_page
def pilot_detail(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _assessment(jurisdiction, slug)
    rows = selected.participant_rows(found)
    return render(
        request,
        "community/pilots/detail.html",
        {
            "assessment": found,
            "rows": rows,
            "rates": selected.rates(found),
            "focus_groups": selected.focus_groups(found),
            "form_editor_url": _form_editor_url(found),
            "participants_open": found.after_version_id is None,
            "may_send_after": found.before_version_id is not None,
            "before": Phase.BEFORE,
            "after": Phase.AFTER,
        },
    )


@require_http_methods(["GET", "POST"])
@community_page
def pilot_participants(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: choose members of staff to add. POST: add the chosen, or remove one (`remove` = participant pk)."""
    jurisdiction = programme_jurisdiction(request)
    found = _assessment(jurisdiction, slug)
    actor = acting_staff(request)
    if request.method == "POST" and "remove" in request.POST:
        participant = PilotParticipant.objects.filter(
            assessment=found, pk=int(request.POST["remove"]) if request.POST["remove"].isdigit() else 0
        ).first()
        if participant is None:
            raise Http404(_("This person is not taking part in the pilot."))
        try:
            pilots.remove_participant(participant, actor)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The participant was removed."))
        return redirect("community:pilot", slug=found.slug)
    query = (request.GET.get("q") or "").strip()[:100]
    offered = pilots.eligible_accounts(found)
    if query:
        lowered = query.lower()
        offered = [
            user
            for user in offered
            if lowered in f"{user.first_name} {user.last_name} {user.username} {user.email}".lower()
        ]
    form = AddParticipantsForm(request.POST or None, offered=pilots.eligible_accounts(found))
    if request.method == "POST" and form.is_valid():
        try:
            added = pilots.add_participants(found, form.cleaned_data["users"], actor)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request,
                ngettext("%(count)d participant was added.", "%(count)d participants were added.", added)
                % {"count": added},
            )
            return redirect("community:pilot", slug=found.slug)
    shown = {user.pk for user in offered}
    return render(
        request,
        "community/pilots/participants.html",
        {
            "assessment": found,
            "form": form,
            "choices": [choice for choice in form["users"] if int(str(choice.data["value"])) in shown],
            "query": query,
            "participants_open": found.after_version_id is None,
        },
    )


@require_POST
@community_page
def pilot_send(request: HttpRequest, slug: str, phase: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _assessment(jurisdiction, slug)
    if phase not in Phase.values:
        raise Http404(_("There is no such phase."))
    try:
        sent = pilots.send_phase(found, phase, acting_staff(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        parts = [
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent.invited)
            % {"count": sent.invited}
        ]
        if sent.reminded:
            parts.append(
                ngettext("%(count)d reminder sent.", "%(count)d reminders sent.", sent.reminded)
                % {"count": sent.reminded}
            )
        if sent.already_today:
            parts.append(
                ngettext(
                    "%(count)d person was e-mailed today already.",
                    "%(count)d people were e-mailed today already.",
                    sent.already_today,
                )
                % {"count": sent.already_today}
            )
        if sent.answered:
            parts.append(
                ngettext("%(count)d has answered already.", "%(count)d have answered already.", sent.answered)
                % {"count": sent.answered}
            )
        messages.success(request, " ".join(parts))
    return redirect("community:pilot", slug=found.slug)


# --- staff: focus groups --------------------------------------------------------------------------------------


def _participant_choices(found: PilotAssessment) -> list[tuple[int, str]]:
    return [(row.participant.pk, row.name) for row in selected.participant_rows(found)]


@require_http_methods(["GET", "POST"])
@community_page
def focus_group_new(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _assessment(jurisdiction, slug)
    initial = {"held_on": timezone.localdate(timezone=jurisdiction.zone), "phase": Phase.BEFORE}
    if found.after_version_id is not None:
        initial["phase"] = Phase.AFTER
    form = FocusGroupForm(request.POST or None, participants=_participant_choices(found), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            pilots.record_focus_group(found, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The focus group was recorded."))
            return redirect("community:pilot", slug=found.slug)
    return render(request, "community/pilots/focus_group.html", {"assessment": found, "form": form, "group": None})


@require_http_methods(["GET", "POST"])
@community_page
def focus_group_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = _assessment(jurisdiction, slug)
    group = selected.focus_group(found, pk)
    if group is None:
        raise Http404(_("There is no such focus group."))
    form = FocusGroupForm(request.POST or None, participants=_participant_choices(found), group=group)
    if request.method == "POST" and form.is_valid():
        try:
            pilots.change_focus_group(group, form.data_for_service(), acting_staff(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("community:pilot", slug=found.slug)
    return render(request, "community/pilots/focus_group.html", {"assessment": found, "form": form, "group": group})


# --- staff: the report ----------------------------------------------------------------------------------------


def _report_context(request: HttpRequest, slug: str) -> dict[str, object]:
    jurisdiction = programme_jurisdiction(request)
    found = _assessment(jurisdiction, slug)
    return {"report": selected.report(found), "assessment": found, "generated": timezone.now()}


@require_GET
@community_page
def report(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "community/pilots/report.html", _report_context(request, slug))


@require_GET
@community_page
def report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    context = _report_context(request, slug)
    html = render_to_string("community/pilots/report_pdf.html", context, request=request)
    return pdf_download(f"pilot-{slug}.pdf", render_pdf(html))


def _cell(value: float | None) -> object:
    return "" if value is None else round(value, 2)


def csv_rows(found: selected.Report) -> Iterator[list[object]]:
    """The report as one table: per dimension (and all dimensions) one row per measure; per participant one
    row per dimension (their ratings) and their difference; the response rates; the comments."""
    yield ["section", "participant", "dimension", "measure", "before", "after", "value"]
    rows = [(row.code, row.figures) for row in found.dimensions]
    if found.pooled is not None:
        rows.append((selected.POOLED_CODE, found.pooled))
    for code, figures in rows:
        paired = figures.paired
        yield ["dimension", "", code, "answers", figures.before_answers, figures.after_answers, ""]
        yield ["dimension", "", code, "mean", _cell(figures.mean_before), _cell(figures.mean_after), ""]
        yield ["dimension", "", code, "pairs", "", "", paired.pairs]
        for measure, count, percent in (
            ("improved", paired.improved, paired.improved_percent),
            ("unchanged", paired.unchanged, paired.unchanged_percent),
            ("worse", paired.worse, paired.worse_percent),
        ):
            yield ["dimension", "", code, measure, "", "", count]
            yield ["dimension", "", code, f"{measure}_percent", "", "", _cell(percent)]
        yield ["dimension", "", code, "mean_difference", "", "", _cell(paired.mean_difference)]
        yield ["dimension", "", code, "difference_sd", "", "", _cell(paired.spread)]
    for person in found.participants:
        for code, before, after in person.ratings:
            difference = after - before if before is not None and after is not None else ""
            yield ["participant", person.name, code, "rating", _cell(before), _cell(after), difference]
        yield [
            "participant",
            person.name,
            selected.POOLED_CODE,
            "mean",
            _cell(person.figures.mean_before),
            _cell(person.figures.mean_after),
            _cell(person.figures.paired.mean_difference),
        ]
    for rate in found.rates:
        yield ["response_rate", "", "", f"{rate.phase}_invited", "", "", rate.invited]
        yield ["response_rate", "", "", f"{rate.phase}_answered", "", "", rate.answered]
        yield ["response_rate", "", "", f"{rate.phase}_percent", "", "", _cell(rate.percent)]
    for dimension in found.dimensions:
        for phase, comments in ((Phase.BEFORE, dimension.comments_before), (Phase.AFTER, dimension.comments_after)):
            for comment in comments:
                yield ["comment", "", dimension.code, str(phase), "", "", comment]
    for group in found.focus_groups:
        yield ["focus_group", "", "", str(group.phase), "", "", f"{group.held_on.isoformat()}: {group.notes}"]


@require_GET
@community_page
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    context = _report_context(request, slug)
    found = context["report"]
    assert isinstance(found, selected.Report)
    return csv_download(f"pilot-{slug}.csv", csv_rows(found))


# --- public: answering through the link -----------------------------------------------------------------------


def _link_rate() -> rate_limits.Rate:
    """Unknown links tried from one client address an hour (as many as failed sign-ins from one address):
    a valid link never counts, so a whole office answering from one address is never refused."""
    return rate_limits.Rate("pilot-answer-unknown", settings.CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS, 3600)


def _too_many(request: HttpRequest, verdict: rate_limits.Verdict) -> HttpResponse:
    return render(
        request,
        "community/pilots/answer.html",
        {"state": "limited", "minutes": verdict.retry_after_minutes},
        status=429,
    )


@link_page
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)

    def in_this_city() -> PilotInvitation | None:
        found = selected.invitation_for_token(token)
        return found if found is not None and found.participant.assessment.jurisdiction_id == jurisdiction.pk else None

    invitation, verdict = rate_limits.look_up_secret(_link_rate(), rate_limits.client_address(request), in_this_city)
    if not verdict.allowed:
        return _too_many(request, verdict)
    if invitation is None:
        return render(request, "community/pilots/answer.html", {"state": "unknown"}, status=404)
    found = invitation.participant.assessment
    context: dict[str, object] = {
        "assessment": found,
        "phase": invitation.phase,
        "is_before": invitation.phase == Phase.BEFORE,
    }
    if invitation.answered_at is not None:
        context["state"] = "answered"
        return render(request, "community/pilots/answer.html", context, status=409 if request.method == "POST" else 200)
    if not pilots.is_open(invitation):
        context["state"] = "closed"
        return render(request, "community/pilots/answer.html", context, status=410 if request.method == "POST" else 200)
    version = pilots.phase_version(found, invitation.phase)
    if version is None:
        return render(request, "community/pilots/answer.html", {"state": "unknown"}, status=404)
    form = AnswersForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            pilots.answer(token, form.answers())
        except ValidationError as error:
            code = getattr(error, "code", None)
            if code == pilots.ALREADY_ANSWERED:
                context["state"] = "answered"
                return render(request, "community/pilots/answer.html", context, status=409)
            if code in (pilots.PHASE_CLOSED, pilots.UNKNOWN_LINK):
                context["state"] = "closed"
                return render(request, "community/pilots/answer.html", context, status=410)
            form.add_service_errors(error, form.aliases)
        else:
            context["state"] = "thanks"
            return render(request, "community/pilots/answer.html", context)
    context.update({"state": "form", "form": form, "rows": _answer_rows(form)})
    return render(request, "community/pilots/answer.html", context, status=400 if form.errors else 200)


def _answer_rows(form: AnswersForm) -> list[dict[str, object]]:
    """The form's questions for the template: each rating with its comment field beside it."""
    fields = {question.code: bound for question, bounds in form.grouped() for bound in bounds[:1]}
    comment_codes = {pilots.comment_code(q.code) for q in form.questions if q.kind == "scale_1_5"}
    rows: list[dict[str, object]] = []
    for question in form.questions:
        if question.code in comment_codes:
            continue
        comment = fields.get(pilots.comment_code(question.code)) if question.kind == "scale_1_5" else None
        rows.append({"question": question, "field": fields[question.code], "comment": comment})
    return rows
