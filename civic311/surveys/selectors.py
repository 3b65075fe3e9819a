"""Reads of the survey engine and the phone satisfaction programme (the reader board uses `satisfaction`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.contact_details import format_phone
from civic311.service_requests.models import Channel

from .models import Answer, FollowUpTask, InstrumentVersion, Question, Response, SurveyorTraining, WorkListEntry

if TYPE_CHECKING:
    from civic311.people.models import User
    from civic311.people.roles import Someone

SATISFACTION_SLUG = "customer-satisfaction"
SATISFIED_CODE = "satisfied"  # baseline question 4: "Were you satisfied with the service you received…?"
LIST_WINDOW = dt.timedelta(hours=24)
# Channels where a person of the city took the contact. A web, mobile-app or Open311 report (or an imported
# one, whose agent we do not know) had no agent to ask about, nor has a text message: the conversation is the
# machine's, and an agent only finishes what it hands over.
AGENT_CHANNELS = frozenset({Channel.PHONE, Channel.WALK_IN, Channel.EMAIL, Channel.SOCIAL, Channel.LIAISON})


@dataclass(frozen=True)
class Satisfaction:
    responses: int
    satisfied: int
    percent: float | None


def completed_surveys(jurisdiction: Jurisdiction, start: dt.datetime, end: dt.datetime) -> dict[str, object]:
    """Filters on Response for what every satisfaction figure counts: completed phone surveys of the
    satisfaction instrument finished in [start, end) (the reader board's day, the reports' periods)."""
    return {
        "jurisdiction": jurisdiction,
        "channel": "phone",
        "outcome": Response.Outcome.COMPLETED,
        "finished_at__gte": start,
        "finished_at__lt": end,
        "version__instrument__slug": SATISFACTION_SLUG,
    }


def on_answers(scope: dict[str, object]) -> dict[str, object]:
    """The same filters on Response, for a query of their answers."""
    return {f"response__{name}": value for name, value in scope.items()}


def satisfaction(jurisdiction: Jurisdiction, day: dt.date) -> Satisfaction:
    """Completed phone surveys finished on `day` (the city's local day) that answered baseline question 4;
    `percent` is the share answering yes, or None with no such response."""
    return satisfaction_between(jurisdiction, *jurisdiction.day_bounds(day))


def satisfaction_between(jurisdiction: Jurisdiction, start: dt.datetime, end: dt.datetime) -> Satisfaction:
    """`satisfaction` of the surveys finished in [start, end)."""
    scope = completed_surveys(jurisdiction, start, end)
    counted = Answer.objects.filter(**on_answers(scope), question__code=SATISFIED_CODE).aggregate(
        responses=Count("pk"), satisfied=Count("pk", filter=Q(value=True))
    )
    responses, satisfied = counted["responses"], counted["satisfied"]
    return Satisfaction(
        responses=responses, satisfied=satisfied, percent=(satisfied / responses * 100) if responses else None
    )


def asks_about_agent(channel: str | None) -> bool:
    """Whether a survey about a contact on `channel` asks the questions about the agent."""
    return channel in AGENT_CHANNELS


def questions_for(version: InstrumentVersion, channel: str | None) -> list[Question]:
    """The version's questions a survey about a contact on `channel` asks, in order: the questions about
    the agent are skipped for a contact that had none."""
    questions = list(version.questions.all())
    return questions if asks_about_agent(channel) else [question for question in questions if not question.about_agent]


def answers_so_far(entry: WorkListEntry) -> dict[str, object]:
    """The answers typed before the call's latest transfer to a supervisor ({code: value as stored}), so
    the call page shows them again; {} when nothing was typed or transferred."""
    task = entry.follow_ups.exclude(answers={}).order_by("-pk").first()
    return dict(task.answers) if task is not None and isinstance(task.answers, dict) else {}


def current_version(jurisdiction: Jurisdiction) -> InstrumentVersion | None:
    """The newest published version of the satisfaction survey, if there is one."""
    return (
        InstrumentVersion.objects.filter(
            instrument__jurisdiction=jurisdiction, instrument__slug=SATISFACTION_SLUG, published_at__isnull=False
        )
        .order_by("-number")
        .first()
    )


# --- who may claim and resolve ----------------------------------------------------------------------------


def has_current_training(user: Someone, today: dt.date) -> bool:
    """A completed survey training course that has not expired by `today`."""
    if user is None or not user.is_authenticated:
        return False
    return SurveyorTraining.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        user_id=user.pk,
        completed_on__lte=today,
    ).exists()


def may_claim_calls(user: Someone, today: dt.date) -> bool:
    """Surveyors with current training; supervisors and administrators need no training record."""
    if not roles.may_survey(user):
        return False
    if roles.may_survey_without_training(user):
        return True
    return has_current_training(user, today)


def may_see_follow_ups(user: Someone) -> bool:
    return roles.may_take_follow_ups(user)


def may_resolve(user: Someone, task: FollowUpTask) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if task.owner_id == user.pk and roles.may_survey(user):
        return True
    return may_see_follow_ups(user) and roles.sees_jurisdiction(user, task.jurisdiction_id)


# --- the pages ---------------------------------------------------------------------------------------------


def work_list(jurisdiction: Jurisdiction, viewer: User, now: dt.datetime | None = None) -> QuerySet[WorkListEntry]:
    """Calls still to make from the last day's contacts, plus any the viewer holds: only what a surveyor
    may see (the pages show the number, the channel, the service, the agent — never a name or address)."""
    now = now or timezone.now()
    return (
        WorkListEntry.objects.filter(jurisdiction=jurisdiction)
        .exclude(state=WorkListEntry.State.DONE)
        .filter(Q(contacted_at__gt=now - LIST_WINDOW) | Q(claimed_by=viewer))
        .select_related("service", "agent", "claimed_by")
        .order_by("contacted_at", "pk")
    )


def is_free(entry: WorkListEntry, viewer: Someone, now: dt.datetime) -> bool:
    """Whether `viewer` could claim it now (open, an expired claim, or already theirs)."""
    if entry.state == WorkListEntry.State.DONE:
        return False
    return (
        entry.state == WorkListEntry.State.OPEN
        or entry.claimed_by_id == getattr(viewer, "pk", None)
        or entry.claimed_until is None
        or entry.claimed_until < now
    )


def follow_ups(
    jurisdiction: Jurisdiction, viewer: User, now: dt.datetime | None = None
) -> tuple[list[FollowUpTask], list[FollowUpTask]]:
    """(the viewer's open tasks, every open task past its deadline) of the city."""
    now = now or timezone.now()
    open_tasks = (
        FollowUpTask.objects.filter(jurisdiction=jurisdiction, state=FollowUpTask.State.OPEN)
        .select_related("owner", "entry", "entry__service", "answers_version")
        .prefetch_related("answers_version__questions")
        .order_by("deadline", "pk")
    )
    mine = [task for task in open_tasks if task.owner_id == viewer.pk]
    overdue = [task for task in open_tasks if task.deadline < now]
    return mine, overdue


def supervisors(jurisdiction: Jurisdiction) -> QuerySet[User]:
    """Who a surveyor may hand a customer to: active supervisors (of this city, or of none)."""
    users = (
        roles.offered_follow_up_owners(get_user_model().objects.filter(is_active=True, is_staff=True))
        .filter(Q(department__isnull=True) | Q(department__jurisdiction=jurisdiction))
        .distinct()
    )
    return users.order_by("username")


def transferred_answers(task: FollowUpTask) -> list[tuple[str, str]]:
    """What the customer had answered when the surveyor transferred them, for the supervisor: (question,
    answer in words), in the survey's order. The contact-details answer is shown too: the supervisor may
    need to call back."""
    if not task.answers or task.answers_version is None:
        return []
    shown: list[tuple[str, str]] = []
    for question in task.answers_version.questions.all():
        if question.code in task.answers:
            shown.append((question.localized(), answer_in_words(question, task.answers[question.code])))
    return shown


def answer_in_words(question: Question, value: object) -> str:
    if question.kind == Question.Kind.YES_NO:
        return str(_("Yes") if value is True else _("No"))
    labels = dict(question.localized_choices())
    if question.kind == Question.Kind.SINGLE_CHOICE:
        return labels.get(str(value), str(value))
    if question.kind == Question.Kind.MULTIPLE_CHOICE and isinstance(value, list):
        return ", ".join(labels.get(str(item), str(item)) for item in value)
    if question.kind == Question.Kind.CONTACT_DETAILS and isinstance(value, dict):
        shown = {**value, "phone": format_phone(str(value.get("phone") or ""))}  # "(215) 686-8686"
        return " · ".join(str(shown[part]) for part in ("name", "phone", "email") if shown.get(part))
    return str(value)
