"""Writes of the survey engine and the phone satisfaction programme.

The work list: `build_work_list` (hourly, `tasks.build_survey_work_lists`), `claim_entry` (one surveyor at
a time, a lease of `CLAIM_LEASE`), then `record_phone_survey` or `record_no_survey`, or `release`.
A concerned customer goes to a supervisor with `transfer_to_supervisor`; `resolve_follow_up` closes it.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User
from civic311.people.services import check_email, check_phone, normalize_phone
from civic311.service_requests.models import Contact

from . import selectors
from .models import (
    Answer,
    FollowUpTask,
    Instrument,
    InstrumentVersion,
    Question,
    Response,
    WorkListEntry,
)

if TYPE_CHECKING:
    from civic311.people.models import User

logger = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(minutes=30)
WINDOW = dt.timedelta(hours=24)  # contacts ended this recently are listed
WEEK = dt.timedelta(days=7)  # nobody is called more than once in this
FREE_TEXT_MAX = 2000

SATISFACTION = selectors.SATISFACTION_SLUG

# The six baseline questions of the customer satisfaction survey (version 1), English and Spanish.
BASELINE: tuple[tuple[str, str, bool, str, str], ...] = (
    (
        "explained",
        Question.Kind.YES_NO,
        True,
        "Did the agent explain the process for resolving your issues or concerns?",
        "¿Le explicó el agente el proceso para resolver sus problemas o inquietudes?",
    ),
    (
        "informed",
        Question.Kind.YES_NO,
        True,
        "Did the agent have access to the necessary information to meet your request?",
        "¿Tenía el agente acceso a la información necesaria para atender su solicitud?",
    ),
    (
        "timely",
        Question.Kind.YES_NO,
        True,
        "Was your call (or e-mail, or visit) handled in a timely manner?",
        "¿Se atendió su llamada (o correo electrónico, o visita) a tiempo?",
    ),
    (
        selectors.SATISFIED_CODE,
        Question.Kind.YES_NO,
        True,
        "Were you satisfied with the service you received from the contact centre?",
        "¿Quedó satisfecho con el servicio que recibió del centro de atención?",
    ),
    (
        "feedback",
        Question.Kind.FREE_TEXT,
        False,
        "Would you like to provide any additional feedback about your experience with the contact centre?",
        "¿Desea darnos algún otro comentario sobre su experiencia con el centro de atención?",
    ),
    (
        "contact",
        Question.Kind.CONTACT_DETAILS,
        False,
        "Would you like to provide your name, phone number or e-mail address, if you would like to be contacted?",
        "¿Desea darnos su nombre, teléfono o correo electrónico, si quiere que lo contactemos?",
    ),
)


# The baseline's questions about the agent: skipped for a contact that had none (`selectors.asks_about_agent`).
AGENT_QUESTIONS = frozenset({"explained", "informed"})


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# --- the engine ----------------------------------------------------------------------------------------


def ensure_instrument(
    jurisdiction: Jurisdiction,
    slug: str,
    *,
    name: str,
    purpose: str,
    questions: tuple[tuple[str, str, bool, str, str], ...],
    about_agent: frozenset[str] = frozenset(),
    now: dt.datetime | None = None,
) -> InstrumentVersion:
    """A city's built-in survey, version 1 with `questions` (code, kind, required, English, Spanish; the
    codes in `about_agent` are about the agent), made once and published; later calls return it unchanged."""
    with transaction.atomic():
        instrument, _created = Instrument.objects.get_or_create(
            jurisdiction=jurisdiction, slug=slug, defaults={"name": name, "purpose": purpose}
        )
        version, created = InstrumentVersion.objects.get_or_create(instrument=instrument, number=1)
        if created:
            for order, (code, kind, required, english, spanish) in enumerate(questions, start=1):
                Question.objects.create(
                    version=version,
                    code=code,
                    order=order,
                    kind=kind,
                    text=english,
                    translations={"es": {"text": spanish}},
                    required=required,
                    about_agent=code in about_agent,
                )
            version.published_at = _now(now)
            version.save(update_fields=["published_at"])
    return version


def ensure_baseline(jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> InstrumentVersion:
    """The customer satisfaction survey's version 1 with the six baseline questions (made once, published)."""
    return ensure_instrument(
        jurisdiction,
        SATISFACTION,
        name="Customer satisfaction survey",
        purpose="The contact centre's phone survey of consenting customers (SPEC section 6).",
        questions=BASELINE,
        about_agent=AGENT_QUESTIONS,
        now=now,
    )


def current_version(jurisdiction: Jurisdiction) -> InstrumentVersion:
    """The newest published version of the satisfaction survey (the baseline, made on first use)."""
    return selectors.current_version(jurisdiction) or ensure_baseline(jurisdiction)


def _refuse_if_published(version: InstrumentVersion) -> None:
    if InstrumentVersion.objects.filter(pk=version.pk, published_at__isnull=False).exists():
        raise ValidationError(_("This version is published and can no longer change; make a new version."))


def add_question(
    version: InstrumentVersion,
    *,
    code: str,
    kind: str,
    text: str,
    order: int = 0,
    choices: list[dict[str, str]] | None = None,
    translations: Mapping[str, Mapping[str, object]] | None = None,  # language → field → text ("choices": key → label)
    required: bool = False,
    about_agent: bool = False,
) -> Question:
    """Add a question to a draft version (a published one refuses)."""
    _refuse_if_published(version)
    if kind not in Question.Kind.values:
        raise ValidationError({"kind": [_("Choose a known kind of question.")]})
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE) and not choices:
        raise ValidationError({"choices": [_("A choice question needs choices.")]})
    question = Question(
        version=version,
        code=code,
        kind=kind,
        text=text,
        order=order,
        choices=choices or [],
        translations=translations or {},
        required=required,
        about_agent=about_agent,
    )
    question.full_clean(exclude=["version"])
    question.save()
    return question


def change_question(question: Question, **fields: Any) -> Question:
    """Change a draft version's question; a published version's questions never change."""
    _refuse_if_published(question.version)
    allowed = {"text", "translations", "choices", "required", "order", "about_agent"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError(_("“%(field)s” cannot be changed here."), params={"field": unknown[0]})
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=list(fields))
    return question


def remove_question(question: Question) -> None:
    _refuse_if_published(question.version)
    question.delete()


def publish_version(version: InstrumentVersion, *, now: dt.datetime | None = None) -> InstrumentVersion:
    """Freeze a version: from now on its questions never change and answers keep pointing at it."""
    _refuse_if_published(version)
    if not version.questions.exists():
        raise ValidationError(_("A version needs at least one question before it is published."))
    version.published_at = _now(now)
    version.save(update_fields=["published_at"])
    return version


def new_draft_version(instrument: Instrument) -> InstrumentVersion:
    """A new unpublished version (the latest number + 1) with copies of the latest version's questions,
    their translations and choices, to edit and publish; published versions stay as they were.

    Refuses while the instrument already has an unpublished draft (edit that one)."""
    with transaction.atomic():
        # Lock the instrument so two editors cannot both open a draft with the same number.
        Instrument.objects.select_for_update().filter(pk=instrument.pk).first()
        versions = InstrumentVersion.objects.filter(instrument=instrument)
        if versions.filter(published_at__isnull=True).exists():
            raise ValidationError(_("This survey already has a draft; edit or publish it first."))
        latest = versions.order_by("-number").first()
        draft = InstrumentVersion.objects.create(instrument=instrument, number=(latest.number + 1) if latest else 1)
        if latest is not None:
            Question.objects.bulk_create(
                [
                    Question(
                        version=draft,
                        code=question.code,
                        order=question.order,
                        kind=question.kind,
                        text=question.text,
                        translations=copy.deepcopy(question.translations),
                        choices=copy.deepcopy(question.choices),
                        required=question.required,
                        about_agent=question.about_agent,
                    )
                    for question in latest.questions.all()
                ]
            )
    return draft


def record_response(
    version: InstrumentVersion,
    raw: Mapping[str, object],
    *,
    jurisdiction: Jurisdiction,
    channel: str,
    now: dt.datetime | None = None,
) -> Response:
    """A completed response to a published `version` with its answers (by question code, checked by
    `validate_answers`), written in one transaction: call it inside the caller's own transaction to write
    the row that links it (a youth or pilot answer) all or nothing. A draft version refuses."""
    now = _now(now)
    if not InstrumentVersion.objects.filter(pk=version.pk, published_at__isnull=False).exists():
        raise ValidationError(_("This survey version is not published yet; publish it before collecting answers."))
    if version.instrument.jurisdiction_id != jurisdiction.pk:
        raise ValidationError(_("This survey belongs to another city."))
    cleaned = validate_answers(version, raw)
    with transaction.atomic():
        response = Response.objects.create(
            jurisdiction=jurisdiction,
            version=version,
            channel=channel,
            outcome=Response.Outcome.COMPLETED,
            started_at=now,
            finished_at=now,
        )
        Answer.objects.bulk_create(
            [Answer(response=response, question=question, value=value) for question, value in cleaned.items()]
        )
    return response


def _yes_no(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("no", "n", "false", "0"):
        return False
    return None


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return not value
    if isinstance(value, Mapping):
        return all(_is_blank(part) for part in value.values())
    return False


def _clean_value(question: Question, value: object, errors: dict[str, list[str]]) -> object:
    """The value to store for one answer, or an error under the question's code."""
    code = question.code
    kind = question.kind
    keys = [key for key, _label in question.localized_choices()]
    if kind == Question.Kind.YES_NO:
        answer = _yes_no(value)
        if answer is None:
            errors.setdefault(code, []).append(_("Answer yes or no."))
        return answer
    if kind == Question.Kind.SCALE_1_5:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            number = 0
        if isinstance(value, bool) or not 1 <= number <= 5:
            errors.setdefault(code, []).append(_("Answer with a whole number from 1 to 5."))
        return number
    if kind == Question.Kind.SINGLE_CHOICE:
        if str(value) not in keys:
            errors.setdefault(code, []).append(_("Choose one of the answers offered."))
        return str(value)
    if kind == Question.Kind.MULTIPLE_CHOICE:
        chosen = [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]
        if any(item not in keys for item in chosen) or len(set(chosen)) != len(chosen):
            errors.setdefault(code, []).append(_("Choose only answers offered, each once."))
        return chosen
    if kind == Question.Kind.FREE_TEXT:
        text = str(value).strip() if isinstance(value, str) else ""
        if not isinstance(value, str):
            errors.setdefault(code, []).append(_("Answer in words."))
        elif len(text) > FREE_TEXT_MAX:
            errors.setdefault(code, []).append(_("Keep the answer under %(max)s characters.") % {"max": FREE_TEXT_MAX})
        return text
    # Contact details: {"name": …, "phone": …, "email": …}, any of them.
    if not isinstance(value, Mapping) or set(value) - {"name", "phone", "email"}:
        errors.setdefault(code, []).append(_("Give a name, a phone number or an e-mail address."))
        return {}
    details = {key: " ".join(str(value.get(key) or "").split()) for key in ("name", "phone", "email")}
    if len(details["name"]) > 200:
        errors.setdefault(code, []).append(_("Keep the name under 200 characters."))
    if details["phone"]:
        details["phone"], _key = check_phone(details["phone"], errors, code)  # stored as E.164
    if details["email"]:
        check_email(details["email"], errors, code)
    return {key: text for key, text in details.items() if text}


def validate_answers(
    version: InstrumentVersion, raw: Mapping[str, object], *, channel: str | None = None, partial: bool = False
) -> dict[Question, object]:
    """Answers keyed by question code, checked by each question's kind: {question: value to store}.

    A blank answer is left out (an error for a required question, unless `partial`: the answers typed so
    far, kept with a transfer); an unknown code is an error. With the `channel` of the contact surveyed
    about, the questions about the agent of a contact that had none are not asked, and an answer to one is
    an error. Raises ValidationError keyed by question code.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError(_("Give the answers keyed by question code."))
    every = {question.code: question for question in version.questions.all()}
    asked = (
        every
        if channel is None
        else {question.code: question for question in selectors.questions_for(version, channel)}
    )
    errors: dict[str, list[str]] = {}
    for code in raw:
        if code not in every:
            errors.setdefault("__all__", []).append(
                _("“%(code)s” is not a question of this survey.") % {"code": str(code)[:40]}
            )
        elif code not in asked and not _is_blank(raw.get(code)):
            errors.setdefault(str(code), []).append(
                _("This question is about the agent; the contact had none, so it is not asked.")
            )
    cleaned: dict[Question, object] = {}
    for code, question in asked.items():
        value = raw.get(code)
        if _is_blank(value):
            if question.required and not partial:
                errors.setdefault(code, []).append(_("This question needs an answer."))
            continue
        cleaned[question] = _clean_value(question, value, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- the work list -----------------------------------------------------------------------------------------


def build_work_list(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> int:
    """List every contact that ended in the last 24 hours whose customer agreed to a survey call and left
    a number; returns how many were added. Safe to run again (and on two workers at once).

    Skipped: a contact already listed (never twice), and a customer called or listed in the last seven
    days — matched by customer record, and also by the callback digits (a customer-less caller, or a
    customer calling from a number already listed).
    """
    now = _now(now)
    contacts = (
        Contact.objects.filter(
            jurisdiction=jurisdiction,
            survey_consent=True,
            ended_at__gt=now - WINDOW,
            ended_at__lte=now,
            survey_entry__isnull=True,
        )
        .exclude(callback_phone="")
        .exclude(outcome=Contact.Outcome.PENDING)
        .order_by("ended_at", "pk")
    )
    added = 0
    for contact in contacts:
        digits = normalize_phone(contact.callback_phone)
        if not digits:
            continue
        recent = Q(created_at__gt=now - WEEK) | Q(response__finished_at__gt=now - WEEK)
        same_person = Q(callback_digits=digits)
        if contact.customer_id is not None:
            same_person |= Q(customer_id=contact.customer_id)
        if WorkListEntry.objects.filter(same_person, recent, jurisdiction=jurisdiction).exists():
            continue
        try:
            with transaction.atomic():
                WorkListEntry.objects.create(
                    jurisdiction=jurisdiction,
                    contact=contact,
                    callback_phone=contact.callback_phone,
                    callback_digits=digits,
                    customer_id=contact.customer_id,
                    channel=contact.channel,
                    service_id=contact.service_id,
                    agent_id=contact.agent_id,
                    contacted_at=contact.ended_at or contact.started_at,
                    created_at=now,
                )
        except IntegrityError:  # another worker listed it first
            continue
        added += 1
    if added:
        logger.info("survey work list: %s entries added", added)
    return added


def build_all_work_lists(now: dt.datetime | None = None) -> int:
    return sum(build_work_list(jurisdiction, now) for jurisdiction in Jurisdiction.objects.all())


def _may_work(surveyor: User, entry: WorkListEntry) -> None:
    roles.require(roles.may_survey(surveyor), _("Only surveyors, supervisors and administrators make survey calls."))
    roles.require(
        roles.sees_jurisdiction(surveyor, entry.jurisdiction_id), _("This call belongs to another city's work list.")
    )


def claim_entry(entry: WorkListEntry, surveyor: User, now: dt.datetime | None = None) -> WorkListEntry:
    """Take one call for `CLAIM_LEASE`: exactly one surveyor at a time; an expired claim may be taken over.

    A surveyor needs a current training record (`selectors.has_current_training`); supervisors and
    administrators need none.
    """
    now = _now(now)
    _may_work(surveyor, entry)
    roles.require(
        selectors.may_claim_calls(surveyor, timezone.localdate(now, entry.jurisdiction.zone)),
        _("You need a current survey training record before you make survey calls."),
    )
    free = Q(state=WorkListEntry.State.OPEN) | Q(claimed_until__lt=now) | Q(claimed_by=surveyor)
    taken = (
        WorkListEntry.objects.filter(free, pk=entry.pk)
        .exclude(state=WorkListEntry.State.DONE)
        .update(state=WorkListEntry.State.CLAIMED, claimed_by=surveyor, claimed_until=now + CLAIM_LEASE)
    )
    entry.refresh_from_db()
    if not taken:
        if entry.state == WorkListEntry.State.DONE:
            raise ValidationError(_("This call has already been made."))
        raise ValidationError(_("Another surveyor is making this call."))
    return entry


def _held(entry: WorkListEntry, surveyor: User) -> WorkListEntry:
    """The entry, locked, if `surveyor` holds it (an expired claim nobody took over still counts)."""
    current = WorkListEntry.objects.select_for_update().select_related("jurisdiction").get(pk=entry.pk)
    if current.state == WorkListEntry.State.DONE:
        raise ValidationError(_("This call has already been made."))
    if current.state != WorkListEntry.State.CLAIMED or current.claimed_by_id != surveyor.pk:
        raise ValidationError(_("Claim this call before recording it; another surveyor may have it."))
    return current


def _finish(
    entry: WorkListEntry, *, surveyor: User, outcome: str, now: dt.datetime, version: InstrumentVersion
) -> Response:
    team_id = (
        User.objects.filter(pk=entry.agent_id).values_list("team_id", flat=True).first() if entry.agent_id else None
    )
    response = Response.objects.create(
        jurisdiction_id=entry.jurisdiction_id,
        version=version,
        channel="phone",
        contact_id=entry.contact_id,
        contact_channel=entry.channel,
        agent_id=entry.agent_id,
        team_id=team_id,
        surveyor=surveyor,
        outcome=outcome,
        started_at=(entry.claimed_until - CLAIM_LEASE) if entry.claimed_until else now,
        finished_at=now,
    )
    entry.state = WorkListEntry.State.DONE
    entry.outcome = outcome
    entry.response = response
    entry.claimed_until = None
    entry.save(update_fields=["state", "outcome", "response", "claimed_until"])
    return response


def record_phone_survey(
    entry: WorkListEntry, *, surveyor: User, answers: Mapping[str, object], now: dt.datetime | None = None
) -> Response:
    """The customer answered: store the answers (by question code) against the current version."""
    now = _now(now)
    _may_work(surveyor, entry)
    version = current_version(entry.jurisdiction)
    cleaned = validate_answers(version, answers, channel=entry.channel)
    with transaction.atomic():
        current = _held(entry, surveyor)
        response = _finish(current, surveyor=surveyor, outcome=Response.Outcome.COMPLETED, now=now, version=version)
        Answer.objects.bulk_create(
            [Answer(response=response, question=question, value=value) for question, value in cleaned.items()]
        )
    _sync(entry, current)
    return response


def record_no_survey(entry: WorkListEntry, *, surveyor: User, outcome: str, now: dt.datetime | None = None) -> Response:
    """No survey: no answer, declined or a wrong number. The contact is not called again."""
    now = _now(now)
    _may_work(surveyor, entry)
    if outcome not in (Response.Outcome.NO_ANSWER, Response.Outcome.DECLINED, Response.Outcome.WRONG_NUMBER):
        raise ValidationError({"outcome": [_("Choose no answer, declined or wrong number.")]})
    version = current_version(entry.jurisdiction)
    with transaction.atomic():
        current = _held(entry, surveyor)
        response = _finish(current, surveyor=surveyor, outcome=outcome, now=now, version=version)
    _sync(entry, current)
    return response


def release(entry: WorkListEntry, *, surveyor: User) -> WorkListEntry:
    """Give a claimed call back to the list."""
    _may_work(surveyor, entry)
    released = WorkListEntry.objects.filter(pk=entry.pk, state=WorkListEntry.State.CLAIMED, claimed_by=surveyor).update(
        state=WorkListEntry.State.OPEN, claimed_by=None, claimed_until=None
    )
    entry.refresh_from_db()
    if not released:
        raise ValidationError(_("You do not hold this call."))
    return entry


def _sync(entry: WorkListEntry, current: WorkListEntry) -> None:
    for name in ("state", "outcome", "response_id", "claimed_until"):
        setattr(entry, name, getattr(current, name))


# --- follow-ups for supervisors ---------------------------------------------------------------------------


def transfer_to_supervisor(
    source: WorkListEntry | Response,
    *,
    words: str,
    owner: User,
    deadline: dt.datetime,
    actor: User,
    answers: Mapping[str, object] | None = None,
    now: dt.datetime | None = None,
) -> FollowUpTask:
    """Hand a concerned or dissatisfied customer to a supervisor: a task with an owner, a deadline and the
    customer's words. The call itself is still recorded (answers or an outcome) as usual.

    `answers` (by question code) are the answers typed so far on the call: checked by kind (none is
    required yet) and kept with the task, for the supervisor to read and for the call page to show again,
    so a transfer mid-call loses nothing."""
    now = _now(now)
    entry = source if isinstance(source, WorkListEntry) else getattr(source, "work_list_entry", None)
    response = source if isinstance(source, Response) else source.response
    jurisdiction_id = source.jurisdiction_id
    roles.require(roles.may_survey(actor), _("Only surveyors, supervisors and administrators transfer customers."))
    roles.require(roles.sees_jurisdiction(actor, jurisdiction_id), _("This customer belongs to another city."))
    if isinstance(source, WorkListEntry):
        fresh = WorkListEntry.objects.get(pk=source.pk)
        if fresh.state != WorkListEntry.State.DONE and fresh.claimed_by_id != actor.pk:
            raise PermissionDenied(_("Claim this call before transferring the customer."))
    errors: dict[str, list[str]] = {}
    words = (words or "").strip()
    if not words:
        errors["words"] = [_("Write down what the customer said.")]
    elif len(words) > FREE_TEXT_MAX:
        errors["words"] = [_("Keep the customer's words under %(max)s characters.") % {"max": FREE_TEXT_MAX}]
    if owner is None or not roles.may_take_follow_ups(owner):
        errors["owner"] = [_("Choose a supervisor.")]
    if deadline is None or deadline <= now:
        errors["deadline"] = [_("Set a deadline in the future.")]
    version: InstrumentVersion | None = None
    kept: dict[str, object] = {}
    if answers:
        version = current_version(source.jurisdiction)
        channel = entry.channel if entry is not None else getattr(response, "contact_channel", None)
        try:
            kept = {
                question.code: value
                for question, value in validate_answers(version, answers, channel=channel, partial=True).items()
            }
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    task = FollowUpTask.objects.create(
        jurisdiction_id=jurisdiction_id,
        entry=entry,
        response=response,
        owner=owner,
        created_by=actor,
        deadline=deadline,
        words=words,
        created_at=now,
        answers=kept,
        answers_version=version if kept else None,
    )
    logger.info("survey follow-up %s opened", task.pk)
    return task


def resolve_follow_up(task: FollowUpTask, *, text: str, actor: User, now: dt.datetime | None = None) -> FollowUpTask:
    """Close a follow-up with what was done: its owner, or any supervisor or administrator of the city."""
    now = _now(now)
    roles.require(selectors.may_resolve(actor, task), _("Only the task's owner or a supervisor may resolve it."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"resolution": [_("Say how the customer's concern was resolved.")]})
    with transaction.atomic():
        current = FollowUpTask.objects.select_for_update().get(pk=task.pk)
        if current.state == FollowUpTask.State.RESOLVED:
            raise ValidationError(_("This follow-up is already resolved."))
        current.state = FollowUpTask.State.RESOLVED
        current.resolution = text[:FREE_TEXT_MAX]
        current.resolved_at = now
        current.resolved_by = actor
        current.save(update_fields=["state", "resolution", "resolved_at", "resolved_by"])
    return current
