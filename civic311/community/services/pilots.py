"""Pilot assessments of a new technology: the staff who use it rate their work on the same feedback form
before the pilot and after it, focus groups add notes, and the report (`selectors.pilots`) compares the
phases.

- `create_assessment` / `change_assessment`: the technology, its goals and dates (the short name is unique in
  the city). Unless another form is chosen, creation makes the default feedback form (`make_default_form`):
  an instrument of the survey engine, published version 1, six dimensions each rated 1 to 5 with a comment.
- `add_participants` / `remove_participant`: active staff accounts of the city, until the after phase is sent.
- `send_phase`: pins the form's newest published version to the phase (on its first sending), gives every
  participant one invitation (a link with a random token, no account needed) and queues one e-mail each in
  the same transaction. Sending again reminds those who have not answered, with the same link, at most once
  a day. The after phase is sent only once the before phase was.
- `answer`: the participant's answers through the link, recorded by `surveys.services.record_response`
  with the invitation in one transaction; one answer per phase.
- `record_focus_group` / `change_focus_group`: date, phase, facilitator, attendees, notes.

Who may do what: `roles.may_run_community_programmes_in` (community staff of the city); the
participants: `roles.pilot_participant_accounts`.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from civic311.community import emails
from civic311.community.models import FocusGroup, Phase, PilotAssessment, PilotInvitation, PilotParticipant
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications import services as notifications
from civic311.people import roles
from civic311.people.models import User
from civic311.surveys import services as surveys
from civic311.surveys.models import Instrument, InstrumentVersion, Question, Response

from ..instruments import COMMENT_SUFFIX

logger = logging.getLogger(__name__)

NAME_MAX_CHARS = 200
SLUG_MAX_CHARS = 80
TECHNOLOGY_MAX_CHARS = 200
GOALS_MAX_CHARS = 4000
FACILITATOR_MAX_CHARS = 200
NOTES_MAX_CHARS = 20000
# Short names the pages' addresses use themselves (/community/pilots/new/, /community/pilots/answer/<token>/).
RESERVED_SLUGS = frozenset({"new", "answer"})

CHANNEL = "web"

# The default feedback form: (code, English dimension, Spanish dimension, English question, Spanish question).
# The same form is answered before and after the pilot: each rates the dimension as it is at the time,
# 1 (very poor) to 5 (very good), so the two phases compare directly.
DIMENSIONS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "productivity",
        "Productivity",
        "Productividad",
        "How would you rate your productivity at work at present?",
        "¿Cómo calificaría su productividad en el trabajo actualmente?",
    ),
    (
        "processes",
        "Processes and procedures",
        "Procesos y procedimientos",
        "How well do the processes and procedures you follow work at present?",
        "¿Qué tan bien funcionan actualmente los procesos y procedimientos que usted sigue?",
    ),
    (
        "communication",
        "Internal and external communication",
        "Comunicación interna y externa",
        "How would you rate communication with your colleagues, other departments and residents at present?",
        "¿Cómo calificaría actualmente la comunicación con sus colegas, otros departamentos y los residentes?",
    ),
    (
        "organization",
        "Business organization",
        "Organización del trabajo",
        "How well is the work of your unit organized at present?",
        "¿Qué tan bien está organizado actualmente el trabajo de su unidad?",
    ),
    (
        "ease",
        "Ease of the job",
        "Facilidad del trabajo",
        "How easy is it to do your job at present?",
        "¿Qué tan fácil es hacer su trabajo actualmente?",
    ),
    (
        "impact",
        "General work impact",
        "Impacto general en el trabajo",
        "Overall, how would you rate your working day at present?",
        "En general, ¿cómo calificaría su jornada de trabajo actualmente?",
    ),
)
SCALE_HINT_EN = "1 = very poor, 5 = very good"
SCALE_HINT_ES = "1 = muy mal, 5 = muy bien"
COMMENT_EN = "Comments on {dimension} (optional): what helps, what gets in the way?"
COMMENT_ES = "Comentarios sobre {dimension} (opcional): ¿qué ayuda y qué estorba?"


# --- the rules -----------------------------------------------------------------------------------------------


def _require_staff(actor: User | None, jurisdiction_id: int) -> None:
    roles.require(
        roles.may_run_community_programmes_in(actor, jurisdiction_id),
        _("Only community staff run pilot assessments."),
    )


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def comment_code(code: str) -> str:
    """The code of a dimension's comment question (`productivity` → `productivity_comment`)."""
    return f"{code}{COMMENT_SUFFIX}"


# --- the assessment ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentData:
    name: str
    slug: str
    technology: str
    goals: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    form_id: int | None = None  # one of `choosable_forms`; None: keep the form (a new assessment: the default)


def choosable_forms(jurisdiction: Jurisdiction) -> list[Instrument]:
    """The city's forms a pilot may use instead of a new default one: the feedback forms of its other pilots
    that have a published version (never the contact centre's surveys, nor a youth cohort's)."""
    return list(
        Instrument.objects.filter(
            jurisdiction=jurisdiction,
            pk__in=PilotAssessment.objects.filter(jurisdiction=jurisdiction, form__isnull=False).values("form_id"),
            versions__published_at__isnull=False,
        )
        .distinct()
        .order_by("name", "pk")
    )


def _check(jurisdiction: Jurisdiction, data: AssessmentData, *, exclude_pk: int | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name, slug, technology = data.name.strip(), data.slug.strip(), data.technology.strip()
    if not name:
        errors["name"] = [_("Give the pilot a name.")]
    elif len(name) > NAME_MAX_CHARS:
        errors["name"] = [_("Keep the name under %(max)d characters.") % {"max": NAME_MAX_CHARS}]
    if not slug:
        errors["slug"] = [_("Give a short name for the pilot's address.")]
    elif slug != slugify(slug) or len(slug) > SLUG_MAX_CHARS:
        errors["slug"] = [
            _("Use lowercase letters, digits and hyphens only, at most %(max)d of them.") % {"max": SLUG_MAX_CHARS}
        ]
    elif slug in RESERVED_SLUGS:
        errors["slug"] = [_("“%(slug)s” is used by the pages themselves; choose another short name.") % {"slug": slug}]
    elif PilotAssessment.objects.filter(jurisdiction=jurisdiction, slug=slug).exclude(pk=exclude_pk or 0).exists():
        errors["slug"] = [_("Another pilot of this city has this short name.")]
    if not technology:
        errors["technology"] = [_("Name the technology being piloted.")]
    elif len(technology) > TECHNOLOGY_MAX_CHARS:
        errors["technology"] = [_("Keep the technology under %(max)d characters.") % {"max": TECHNOLOGY_MAX_CHARS}]
    if len(data.goals) > GOALS_MAX_CHARS:
        errors["goals"] = [_("Keep the goals under %(max)d characters.") % {"max": GOALS_MAX_CHARS}]
    if data.starts_on is None:
        errors["starts_on"] = [_("Give the pilot's first day.")]
    if data.ends_on is None:
        errors["ends_on"] = [_("Give the pilot's last day.")]
    elif data.starts_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = [_("The last day cannot be before the first day.")]
    if data.form_id is not None and data.form_id not in {form.pk for form in choosable_forms(jurisdiction)}:
        errors["form"] = [_("Choose one of the forms offered.")]
    return errors


def _form_slug(jurisdiction: Jurisdiction, slug: str) -> str:
    base = f"pilot-{slug}"[:44].rstrip("-")
    taken = set(
        Instrument.objects.filter(jurisdiction=jurisdiction, slug__startswith=base).values_list("slug", flat=True)
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def make_default_form(
    jurisdiction: Jurisdiction, slug: str, name: str, *, now: dt.datetime | None = None
) -> Instrument:
    """A new instrument with the default feedback form as its published version 1: for each of the six
    dimensions a rating of 1 to 5 (`<code>`, required) and a comment (`<code>_comment`), in English and
    Spanish."""
    with transaction.atomic():
        instrument = Instrument.objects.create(
            jurisdiction=jurisdiction,
            slug=_form_slug(jurisdiction, slug),
            name=f"Pilot feedback: {name}"[:200],
            purpose="The feedback form of a pilot assessment, answered before and after the pilot.",
        )
        version = InstrumentVersion.objects.create(instrument=instrument, number=1)
        order = 0
        for code, dimension_en, dimension_es, question_en, question_es in DIMENSIONS:
            order += 1
            surveys.add_question(
                version,
                code=code,
                kind=Question.Kind.SCALE_1_5,
                text=f"{dimension_en}: {question_en} ({SCALE_HINT_EN})",
                translations={"es": {"text": f"{dimension_es}: {question_es} ({SCALE_HINT_ES})"}},
                order=order,
                required=True,
            )
            order += 1
            surveys.add_question(
                version,
                code=comment_code(code),
                kind=Question.Kind.FREE_TEXT,
                text=COMMENT_EN.format(dimension=dimension_en.lower()),
                translations={"es": {"text": COMMENT_ES.format(dimension=dimension_es.lower())}},
                order=order,
            )
        surveys.publish_version(version, now=now)
    return instrument


def create_assessment(
    jurisdiction: Jurisdiction, data: AssessmentData, actor: User | None, *, now: dt.datetime | None = None
) -> PilotAssessment:
    """A new pilot assessment of the city, with its feedback form (the default one unless one is chosen)."""
    _require_staff(actor, jurisdiction.pk)
    errors = _check(jurisdiction, data)
    if errors:
        raise ValidationError(errors)
    now = _now(now)
    slug = data.slug.strip()
    assert data.starts_on is not None and data.ends_on is not None  # checked above
    try:
        with transaction.atomic():
            form = (
                Instrument.objects.get(pk=data.form_id)
                if data.form_id is not None
                else make_default_form(jurisdiction, slug, data.name.strip(), now=now)
            )
            assessment = PilotAssessment.objects.create(
                jurisdiction=jurisdiction,
                name=data.name.strip(),
                slug=slug,
                technology=data.technology.strip(),
                goals=data.goals.strip(),
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                form=form,
                created_by=actor,
                created_at=now,
            )
    except IntegrityError:  # the same short name, saved a moment before by someone else
        raise ValidationError({"slug": [_("Another pilot of this city has this short name.")]}) from None
    return assessment


def change_assessment(assessment: PilotAssessment, data: AssessmentData, actor: User | None) -> PilotAssessment:
    """Change the name, short name, technology, goals and dates; the form only until the before phase is sent."""
    _require_staff(actor, assessment.jurisdiction_id)
    jurisdiction = assessment.jurisdiction
    errors = _check(jurisdiction, data, exclude_pk=assessment.pk)
    with transaction.atomic():
        current = PilotAssessment.objects.select_for_update().get(pk=assessment.pk)
        changes_form = data.form_id is not None and data.form_id != current.form_id
        if changes_form and current.before_version_id is not None:
            errors.setdefault("form", []).append(
                _("The before phase was sent with this form; it cannot change now (edit the form instead).")
            )
        if errors:
            raise ValidationError(errors)
        current.name = data.name.strip()
        current.slug = data.slug.strip()
        current.technology = data.technology.strip()
        current.goals = data.goals.strip()
        assert data.starts_on is not None and data.ends_on is not None  # checked above
        current.starts_on = data.starts_on
        current.ends_on = data.ends_on
        if changes_form:
            current.form_id = data.form_id
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            raise ValidationError({"slug": [_("Another pilot of this city has this short name.")]}) from None
    return current


# --- participants --------------------------------------------------------------------------------------------


def eligible_accounts(assessment: PilotAssessment) -> list[User]:
    """The city's active staff accounts not yet taking part, by name."""
    return list(
        roles.pilot_participant_accounts(User.objects.all(), assessment.jurisdiction_id)
        .exclude(pk__in=PilotParticipant.objects.filter(assessment=assessment).values("user_id"))
        .order_by("first_name", "last_name", "username", "pk")
    )


def add_participants(
    assessment: PilotAssessment, users: Iterable[User], actor: User | None, *, now: dt.datetime | None = None
) -> int:
    """Add members of the city's staff (with an e-mail address) as participants, until the after phase is
    sent; someone taking part already is skipped. How many were added."""
    _require_staff(actor, assessment.jurisdiction_id)
    chosen = list(users)
    if not chosen:
        raise ValidationError({"users": [_("Choose at least one member of staff.")]})
    now = _now(now)
    with transaction.atomic():
        current = PilotAssessment.objects.select_for_update().get(pk=assessment.pk)
        if current.after_version_id is not None:
            raise ValidationError({"users": [_("The after phase was sent; participants can no longer change.")]})
        allowed = set(
            roles.pilot_participant_accounts(
                User.objects.filter(pk__in=[user.pk for user in chosen]), current.jurisdiction_id
            ).values_list("pk", flat=True)
        )
        errors: list[str] = []
        for user in chosen:
            if user.pk not in allowed:
                errors.append(_("%(name)s is not an active member of this city's staff.") % {"name": _name(user)})
            elif not user.email:
                errors.append(
                    _("%(name)s has no e-mail address; add one to their account first.") % {"name": _name(user)}
                )
        if errors:
            raise ValidationError({"users": errors})
        present = set(PilotParticipant.objects.filter(assessment=current).values_list("user_id", flat=True))
        new = [
            PilotParticipant(assessment=current, user=user, added_at=now)
            for user in {user.pk: user for user in chosen}.values()
            if user.pk not in present
        ]
        PilotParticipant.objects.bulk_create(new)
    return len(new)


def remove_participant(participant: PilotParticipant, actor: User | None) -> None:
    """Take someone off the pilot before the after phase is sent, unless they have answered already (their
    answers stay in the report)."""
    assessment = participant.assessment
    _require_staff(actor, assessment.jurisdiction_id)
    with transaction.atomic():
        current = PilotAssessment.objects.select_for_update().get(pk=assessment.pk)
        if current.after_version_id is not None:
            raise ValidationError({"participant": [_("The after phase was sent; participants can no longer change.")]})
        if PilotInvitation.objects.filter(participant_id=participant.pk, answered_at__isnull=False).exists():
            raise ValidationError(
                {"participant": [_("This participant has answered already; their answers stay in the report.")]}
            )
        PilotParticipant.objects.filter(pk=participant.pk, assessment=current).delete()


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


# --- sending a phase -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    invited: int = 0  # new invitations e-mailed
    reminded: int = 0  # e-mailed again, the same link (not answered yet)
    answered: int = 0  # answered already: nothing sent
    already_today: int = 0  # e-mailed today already: nothing sent again
    version: InstrumentVersion | None = field(default=None, compare=False)


def _language_of(user: User) -> str:
    """The participant's language for the e-mail: their account's when it keeps one, else the site's."""
    return str(getattr(user, "language", "") or settings.LANGUAGE_CODE)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def send_phase(assessment: PilotAssessment, phase: str, actor: User | None, *, now: dt.datetime | None = None) -> Sent:
    """Send the form of `phase` to every participant (see the module's docstring)."""
    _require_staff(actor, assessment.jurisdiction_id)
    if phase not in Phase.values:
        raise ValidationError({"phase": [_("Choose before or after.")]})
    now = _now(now)
    with transaction.atomic():
        current = PilotAssessment.objects.select_for_update().select_related("jurisdiction").get(pk=assessment.pk)
        if current.form_id is None:
            raise ValidationError({"phase": [_("The pilot has no feedback form yet; choose one first.")]})
        if phase == Phase.BEFORE and current.after_version_id is not None:
            raise ValidationError({"phase": [_("The after phase was sent: the before phase is closed.")]})
        if phase == Phase.AFTER and current.before_version_id is None:
            raise ValidationError({"phase": [_("Send the before phase first: the after phase compares with it.")]})
        participants = list(current.participants.select_related("user"))
        if not participants:
            raise ValidationError({"phase": [_("Add participants before sending the form.")]})
        pinned_field = "before_version" if phase == Phase.BEFORE else "after_version"
        version: InstrumentVersion | None = getattr(current, pinned_field)
        if version is None:
            version = (
                InstrumentVersion.objects.filter(instrument_id=current.form_id, published_at__isnull=False)
                .order_by("-number")
                .first()
            )
            if version is None:
                raise ValidationError({"phase": [_("The feedback form has no published version; publish it first.")]})
            setattr(current, pinned_field, version)
            current.save(update_fields=[pinned_field])
        existing = {
            invitation.participant_id: invitation
            for invitation in PilotInvitation.objects.filter(participant__assessment=current, phase=phase)
        }
        invited = reminded = answered = already = 0
        for participant in participants:
            invitation = existing.get(participant.pk)
            if invitation is not None and invitation.answered_at is not None:
                answered += 1
                continue
            if invitation is None:
                invitation = PilotInvitation.objects.create(
                    participant=participant, phase=phase, token=new_token(), sent_at=now
                )
                is_new = True
            else:
                is_new = False
            if not participant.user.email:
                continue
            queued = _invite(current, participant, invitation, now)
            if queued and is_new:
                invited += 1
            elif queued:
                reminded += 1
                PilotInvitation.objects.filter(pk=invitation.pk).update(sent_at=now)
            else:
                already += 1
    assessment.before_version_id = current.before_version_id
    assessment.after_version_id = current.after_version_id
    return Sent(invited=invited, reminded=reminded, answered=answered, already_today=already, version=version)


def _invite(
    assessment: PilotAssessment, participant: PilotParticipant, invitation: PilotInvitation, now: dt.datetime
) -> bool:
    """Queue the invitation's e-mail; False when it was e-mailed already today (its dedup key)."""
    jurisdiction = assessment.jurisdiction
    user = participant.user
    day = timezone.localdate(now, timezone=jurisdiction.zone).isoformat()
    subject, body = emails.render(
        "pilot_invitation",
        {
            "assessment": assessment,
            "jurisdiction": jurisdiction,
            "first_name": user.first_name or user.get_username(),
            "is_before": invitation.phase == Phase.BEFORE,
            "link": emails.link(jurisdiction, reverse("community:pilot_answer", args=[invitation.token])),
        },
        _language_of(user),
    )
    message = notifications.queue(
        channel=notifications.Channel.EMAIL,
        recipient=user.email,
        subject=subject,
        body=body,
        dedup_key=f"pilot-invitation:{invitation.pk}:{day}",
    )
    return message is not None


# --- answering -----------------------------------------------------------------------------------------------

ALREADY_ANSWERED = "already_answered"
UNKNOWN_LINK = "unknown_link"
PHASE_CLOSED = "phase_closed"


def phase_version(assessment: PilotAssessment, phase: str) -> InstrumentVersion | None:
    """The version the phase was sent with (None until it is sent)."""
    return assessment.before_version if phase == Phase.BEFORE else assessment.after_version


def is_open(invitation: PilotInvitation) -> bool:
    """Whether the invitation may still be answered: not answered, and a before-phase link only until the
    after phase is sent (a before answer given after that would not be "before")."""
    if invitation.answered_at is not None:
        return False
    assessment = invitation.participant.assessment
    return not (invitation.phase == Phase.BEFORE and assessment.after_version_id is not None)


def answer(token: str, raw: Mapping[str, object], *, now: dt.datetime | None = None) -> PilotInvitation:
    """Record the answers given through an invitation's link (no account needed): the survey response and
    the invitation's answer, in one transaction. One answer per phase. A refusal is a ValidationError whose
    `code` is UNKNOWN_LINK, ALREADY_ANSWERED or PHASE_CLOSED; answers that do not validate are keyed by
    question code."""
    now = _now(now)
    with transaction.atomic():
        invitation = (
            PilotInvitation.objects.select_for_update()
            .select_related("participant__assessment__jurisdiction")
            .filter(token=token[:64])
            .first()
        )
        if invitation is None or not token:
            raise ValidationError(_("This link is not valid."), code=UNKNOWN_LINK)
        if invitation.answered_at is not None:
            raise ValidationError(_("You have already answered this form. Thank you."), code=ALREADY_ANSWERED)
        assessment = invitation.participant.assessment
        if not is_open(invitation):
            raise ValidationError(
                _("The time for the before-pilot answers has ended: the after-pilot form was sent."), code=PHASE_CLOSED
            )
        version = phase_version(assessment, invitation.phase)
        if version is None:  # cannot happen: an invitation exists only once its phase is sent
            raise ValidationError(_("This link is not valid."), code=UNKNOWN_LINK)
        response: Response = surveys.record_response(
            version, raw, jurisdiction=assessment.jurisdiction, channel=CHANNEL, now=now
        )
        invitation.response = response
        invitation.answered_at = now
        invitation.save(update_fields=["response", "answered_at"])
    logger.info("pilot answer recorded: assessment=%s phase=%s", assessment.pk, invitation.phase)
    return invitation


# --- focus groups --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FocusGroupData:
    held_on: dt.date | None
    phase: str
    facilitator: str
    notes: str
    attendee_ids: list[int] = field(default_factory=list)  # participants' pks


def _check_focus_group(assessment: PilotAssessment, data: FocusGroupData) -> list[PilotParticipant]:
    errors: dict[str, list[str]] = {}
    if data.held_on is None:
        errors["held_on"] = [_("Give the day the focus group met.")]
    if data.phase not in Phase.values:
        errors["phase"] = [_("Choose before or after.")]
    if len(data.facilitator.strip()) > FACILITATOR_MAX_CHARS:
        errors["facilitator"] = [_("Keep the facilitator under %(max)d characters.") % {"max": FACILITATOR_MAX_CHARS}]
    if not data.notes.strip():
        errors["notes"] = [_("Write down what the group said.")]
    elif len(data.notes) > NOTES_MAX_CHARS:
        errors["notes"] = [_("Keep the notes under %(max)d characters.") % {"max": NOTES_MAX_CHARS}]
    attendees = list(PilotParticipant.objects.filter(assessment=assessment, pk__in=set(data.attendee_ids)))
    if len(attendees) != len(set(data.attendee_ids)):
        errors["attendees"] = [_("Choose the attendees among the pilot's participants.")]
    if errors:
        raise ValidationError(errors)
    return attendees


def record_focus_group(
    assessment: PilotAssessment, data: FocusGroupData, actor: User | None, *, now: dt.datetime | None = None
) -> FocusGroup:
    _require_staff(actor, assessment.jurisdiction_id)
    attendees = _check_focus_group(assessment, data)
    assert data.held_on is not None  # checked above
    with transaction.atomic():
        group = FocusGroup.objects.create(
            assessment=assessment,
            held_on=data.held_on,
            phase=data.phase,
            facilitator=data.facilitator.strip(),
            notes=data.notes.strip(),
            recorded_by=actor,
            recorded_at=_now(now),
        )
        group.attendees.set(attendees)
    return group


def change_focus_group(group: FocusGroup, data: FocusGroupData, actor: User | None) -> FocusGroup:
    assessment = group.assessment
    _require_staff(actor, assessment.jurisdiction_id)
    attendees = _check_focus_group(assessment, data)
    assert data.held_on is not None  # checked above
    with transaction.atomic():
        group.held_on = data.held_on
        group.phase = data.phase
        group.facilitator = data.facilitator.strip()
        group.notes = data.notes.strip()
        group.save(update_fields=["held_on", "phase", "facilitator", "notes"])
        group.attendees.set(attendees)
    return group
