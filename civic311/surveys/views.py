"""The surveyors' pages: the work list, one call (answers, an outcome, a transfer), the supervisors'
follow-ups. Thin: reads from `selectors`, writes through `services` with the acting user.

The work list and the call page show only the callback number, the channel, the service and the agent:
never the customer's name, address or e-mail. Plain forms and full reloads; no JavaScript needed."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User
from civic311.people.staff_pages import staff_page

from . import selectors, services
from .forms import AnswersForm, OutcomeForm, ResolveForm, TransferForm
from .models import FollowUpTask, WorkListEntry

survey_page = staff_page(rule=roles.may_survey)
TRANSFER = "transfer"  # the transfer's fields share the call's form with the answers: kept apart by a prefix
supervisor_page = staff_page(rule=selectors.may_see_follow_ups)


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    jurisdiction = site_jurisdiction(request)
    roles.require(
        roles.may_survey(request.user) and roles.sees_jurisdiction(request.user, jurisdiction.pk),
        _("Only surveyors, supervisors and administrators make survey calls."),
    )
    return jurisdiction


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _entry(request: HttpRequest, jurisdiction: Jurisdiction, pk: int) -> WorkListEntry:
    return get_object_or_404(
        WorkListEntry.objects.select_related("service", "agent", "jurisdiction"), pk=pk, jurisdiction=jurisdiction
    )


def _home() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("surveys:home"))


def _call(entry: WorkListEntry) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("surveys:call", args=[entry.pk]))


@require_GET
@survey_page
def home(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    now = timezone.now()
    user = _user(request)
    entries = list(selectors.work_list(jurisdiction, user, now))
    rows = [
        {
            "entry": entry,
            "mine": entry.claimed_by_id == user.pk and entry.state == WorkListEntry.State.CLAIMED,
            "free": selectors.is_free(entry, user, now),
        }
        for entry in entries
    ]
    return render(
        request,
        "surveys/home.html",
        {
            "rows": rows,
            "may_claim": selectors.may_claim_calls(user, timezone.localdate(now)),
            "may_see_follow_ups": selectors.may_see_follow_ups(user),
        },
    )


@require_POST
@survey_page
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    entry = _entry(request, jurisdiction, pk)
    try:
        services.claim_entry(entry, _user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _home()
    return _call(entry)


def _call_page(
    request: HttpRequest,
    entry: WorkListEntry,
    *,
    answers: AnswersForm | None = None,
    outcome: OutcomeForm | None = None,
    transfer: TransferForm | None = None,
    status: int = 200,
) -> HttpResponse:
    jurisdiction = entry.jurisdiction
    version = services.current_version(jurisdiction)
    local_now = timezone.localtime(timezone.now())
    return render(
        request,
        "surveys/call.html",
        {
            "entry": entry,
            # Answers kept with a transfer come back: the surveyor carries on where they were.
            "answers_form": answers
            or AnswersForm(version=version, channel=entry.channel, so_far=selectors.answers_so_far(entry)),
            "outcome_form": outcome or OutcomeForm(),
            "transfer_form": transfer
            or TransferForm(
                jurisdiction=jurisdiction,
                prefix=TRANSFER,
                initial={"deadline": (local_now + dt.timedelta(days=2)).replace(second=0, microsecond=0)},
            ),
            "transfers": entry.follow_ups.select_related("owner").order_by("pk"),
            "zone": timezone.get_current_timezone_name(),
        },
        status=status,
    )


def _held_entry(request: HttpRequest, pk: int) -> WorkListEntry | None:
    """The entry when the user holds it; else None after a message (the list is the place to go)."""
    entry = _entry(request, _jurisdiction(request), pk)
    if entry.state != WorkListEntry.State.CLAIMED or entry.claimed_by_id != request.user.pk:
        if entry.state == WorkListEntry.State.DONE:
            messages.info(request, _("This call has already been made."))
        else:
            messages.error(request, _("Claim this call from the work list first."))
        return None
    return entry


@require_GET
@survey_page
def call(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _held_entry(request, pk)
    return _home() if entry is None else _call_page(request, entry)


@require_POST
@survey_page
def record(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _held_entry(request, pk)
    if entry is None:
        return _home()
    form = AnswersForm(request.POST, version=services.current_version(entry.jurisdiction), channel=entry.channel)
    if form.is_valid():
        try:
            services.record_phone_survey(entry, surveyor=_user(request), answers=form.answers())
        except ValidationError as error:
            form.add_service_errors(error, form.aliases)
        else:
            messages.success(request, _("Survey recorded. Thank you."))
            return _home()
    return _call_page(request, entry, answers=form, status=400)


@require_POST
@survey_page
def no_survey(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _held_entry(request, pk)
    if entry is None:
        return _home()
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_no_survey(entry, surveyor=_user(request), outcome=form.cleaned_data["outcome"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Call recorded: %(outcome)s.")
                % {"outcome": dict(form.fields["outcome"].choices)[form.cleaned_data["outcome"]]},  # type: ignore[attr-defined]
            )
            return _home()
    return _call_page(request, entry, outcome=form, status=400)


@require_POST
@survey_page
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _held_entry(request, pk)
    if entry is None:
        return _home()
    form = TransferForm(request.POST, jurisdiction=entry.jurisdiction, prefix=TRANSFER)
    # The answers typed so far come with the transfer (one form on the page): kept with the task.
    answers = AnswersForm(request.POST, version=services.current_version(entry.jurisdiction), channel=entry.channel)
    answers_valid = answers.is_valid()
    if form.is_valid() and answers_valid:
        try:
            services.transfer_to_supervisor(
                entry,
                words=form.cleaned_data["words"],
                owner=form.cleaned_data["owner"],
                deadline=form.cleaned_data["deadline"],
                actor=_user(request),
                answers=answers.answers(),
            )
        except ValidationError as error:
            transfer_fields = {key: texts for key, texts in error.message_dict.items() if key in form.fields}
            if transfer_fields:
                form.add_service_errors(ValidationError(transfer_fields))
            answer_fields = {key: texts for key, texts in error.message_dict.items() if key not in form.fields}
            if answer_fields:
                answers.add_service_errors(ValidationError(answer_fields), answers.aliases)
        else:
            messages.success(
                request,
                _(
                    "Transferred to %(supervisor)s. Your answers so far are kept with it: "
                    "now finish recording the call's answers or outcome."
                )
                % {"supervisor": form.cleaned_data["owner"].get_username()},
            )
            return _call(entry)
    return _call_page(request, entry, answers=answers, transfer=form, status=400)


@require_POST
@survey_page
def release(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    entry = _entry(request, jurisdiction, pk)
    try:
        services.release(entry, surveyor=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, _("The call is back on the list."))
    return _home()


# --- supervisors' follow-ups -----------------------------------------------------------------------------


def _follow_up_page(
    request: HttpRequest, jurisdiction: Jurisdiction, *, forms: dict[int, ResolveForm] | None = None, status: int = 200
) -> HttpResponse:
    mine, overdue = selectors.follow_ups(jurisdiction, _user(request))
    forms = forms or {}
    context: dict[str, Any] = {
        "mine": [
            (task, forms.get(task.pk) or ResolveForm(prefix=f"task-{task.pk}"), selectors.transferred_answers(task))
            for task in mine
        ],
        "overdue": overdue,
        "now": timezone.now(),
    }
    return render(request, "surveys/follow_ups.html", context, status=status)


@require_GET
@supervisor_page
def follow_ups(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    return _follow_up_page(request, jurisdiction)


@require_POST
@supervisor_page
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    task = get_object_or_404(FollowUpTask, pk=pk, jurisdiction=jurisdiction)
    form = ResolveForm(request.POST, prefix=f"task-{task.pk}")
    if form.is_valid():
        try:
            services.resolve_follow_up(task, text=form.cleaned_data["resolution"], actor=_user(request))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Follow-up resolved."))
            return HttpResponseRedirect(reverse("surveys:follow_ups"))
    return _follow_up_page(request, jurisdiction, forms={task.pk: form}, status=400)
