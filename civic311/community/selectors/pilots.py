"""Reads of the pilot assessments: the list, an assessment's participants and who answered which phase, an
invitation by its link, and the report comparing the phases (through `pre_post.compare`, like the youth
impact report).

The report, for each dimension (a 1-to-5 rating, `<code>`): each phase's mean over everyone who rated it
then; over the participants who rated it in both phases, the share improved / unchanged / worse and the
mean paired difference (after - before) with its spread (the sample standard deviation); the comments
(`<code>_comment`) of each phase. "All dimensions" pools every participant's rating of every dimension
(one pair per participant and dimension). Per participant: their ratings side by side and the same figures
over their dimensions. Response rates per phase; the focus groups' notes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import User
from civic311.surveys.models import InstrumentVersion, Question

from ..models import FocusGroup, Phase, PilotAssessment, PilotInvitation, PilotParticipant
from . import pre_post

COMMENT_SUFFIX = "_comment"
# The default form's dimensions by code, named shortly for the report (another rating shows its question).
DIMENSION_NAMES = {
    "productivity": gettext_lazy("Productivity"),
    "processes": gettext_lazy("Processes and procedures"),
    "communication": gettext_lazy("Internal and external communication"),
    "organization": gettext_lazy("Business organization"),
    "ease": gettext_lazy("Ease of the job"),
    "impact": gettext_lazy("General work impact"),
}
POOLED_CODE = "all_dimensions"
RATING_CODE = "rating"


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


# --- lists and pages -----------------------------------------------------------------------------------------


def assessments(jurisdiction: Jurisdiction) -> QuerySet[PilotAssessment]:
    """The city's pilots, newest first, with how many take part and how many answered each phase."""
    return PilotAssessment.objects.filter(jurisdiction=jurisdiction).annotate(
        participant_count=Count("participants", distinct=True),
        before_answers=Count(
            "participants__invitations",
            filter=Q(
                participants__invitations__phase=Phase.BEFORE, participants__invitations__answered_at__isnull=False
            ),
            distinct=True,
        ),
        after_answers=Count(
            "participants__invitations",
            filter=Q(
                participants__invitations__phase=Phase.AFTER, participants__invitations__answered_at__isnull=False
            ),
            distinct=True,
        ),
    )


def assessment(jurisdiction: Jurisdiction, slug: str) -> PilotAssessment | None:
    return (
        PilotAssessment.objects.select_related("form", "before_version", "after_version", "jurisdiction")
        .filter(jurisdiction=jurisdiction, slug=slug)
        .first()
    )


@dataclass(frozen=True)
class PhaseState:
    sent: bool = False
    answered: bool = False
    answered_at: object = None


@dataclass(frozen=True)
class ParticipantRow:
    participant: PilotParticipant
    name: str
    email: str
    before: PhaseState
    after: PhaseState

    @property
    def has_answered(self) -> bool:
        return self.before.answered or self.after.answered


def participant_rows(pilot: PilotAssessment) -> list[ParticipantRow]:
    """Each participant, by name, with whether each phase was sent to them and whether they answered it."""
    participants = list(pilot.participants.select_related("user").order_by("user__first_name", "user__last_name", "pk"))
    states: dict[tuple[int, str], PhaseState] = {
        (invitation.participant_id, invitation.phase): PhaseState(
            sent=True, answered=invitation.answered_at is not None, answered_at=invitation.answered_at
        )
        for invitation in PilotInvitation.objects.filter(participant__assessment=pilot)
    }
    return [
        ParticipantRow(
            participant=participant,
            name=display_name(participant.user),
            email=participant.user.email,
            before=states.get((participant.pk, Phase.BEFORE), PhaseState()),
            after=states.get((participant.pk, Phase.AFTER), PhaseState()),
        )
        for participant in participants
    ]


def focus_groups(pilot: PilotAssessment) -> list[FocusGroup]:
    return list(
        FocusGroup.objects.filter(assessment=pilot).prefetch_related("attendees__user").order_by("held_on", "pk")
    )


def focus_group(pilot: PilotAssessment, pk: int) -> FocusGroup | None:
    return FocusGroup.objects.filter(assessment=pilot, pk=pk).select_related("assessment").first()


def invitation_for_token(token: str) -> PilotInvitation | None:
    """The invitation a link carries (with its participant and assessment), or None."""
    if not token or len(token) > 64:
        return None
    return (
        PilotInvitation.objects.select_related(
            "participant__assessment__jurisdiction",
            "participant__assessment__before_version",
            "participant__assessment__after_version",
        )
        .filter(token=token)
        .first()
    )


# --- the report ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    phase: str
    label: str
    participants: int
    invited: int
    answered: int

    @property
    def percent(self) -> float | None:
        """Answered over invited."""
        return 100 * self.answered / self.invited if self.invited else None


@dataclass(frozen=True)
class Dimension:
    code: str
    text: str  # the question as asked
    figures: pre_post.QuestionComparison
    comments_before: list[str] = field(default_factory=list)
    comments_after: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """A default dimension's short name, else the question."""
        known = DIMENSION_NAMES.get(self.code)
        return str(known) if known is not None else self.text


@dataclass(frozen=True)
class ParticipantFigures:
    participant_pk: int
    name: str
    ratings: list[tuple[str, int | None, int | None]]  # (dimension code, before, after)
    figures: pre_post.QuestionComparison  # over their dimensions


@dataclass(frozen=True)
class Report:
    assessment: PilotAssessment
    dimensions: list[Dimension]
    pooled: pre_post.QuestionComparison | None  # every dimension at once
    participants: list[ParticipantFigures]
    others: list[pre_post.QuestionComparison]  # questions of the form that are neither a rating nor its comment
    rates: list[Rate]
    focus_groups: list[FocusGroup]

    @property
    def has_answers(self) -> bool:
        return any(rate.answered for rate in self.rates)


def _questions(version: InstrumentVersion | None) -> list[Question]:
    return list(version.questions.all()) if version is not None else []


def _rating(question_code: str, text: str) -> Question:
    """An unsaved 1-to-5 question, to compare pooled or per-participant ratings with `pre_post.compare`."""
    return Question(code=question_code, kind=Question.Kind.SCALE_1_5, text=text)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def report(pilot: PilotAssessment) -> Report:
    before_questions = _questions(pilot.before_version)
    after_questions = _questions(pilot.after_version)
    invitations = list(
        PilotInvitation.objects.filter(participant__assessment=pilot).select_related("participant__user")
    )
    triples: list[tuple[Hashable, str, int]] = [
        (invitation.participant_id, invitation.phase, invitation.response_id)
        for invitation in invitations
        if invitation.response_id is not None and invitation.answered_at is not None
    ]
    answers = pre_post.answers_of(triples)
    compared = {row.code: row for row in pre_post.compare(before_questions, after_questions, answers)}
    dimension_codes = [code for code, row in compared.items() if row.kind == Question.Kind.SCALE_1_5]
    comment_codes = {f"{code}{COMMENT_SUFFIX}" for code in dimension_codes}
    dimensions = [
        Dimension(
            code=code,
            text=compared[code].text,
            figures=compared[code],
            comments_before=compared[f"{code}{COMMENT_SUFFIX}"].comments_before
            if f"{code}{COMMENT_SUFFIX}" in compared
            else [],
            comments_after=compared[f"{code}{COMMENT_SUFFIX}"].comments_after
            if f"{code}{COMMENT_SUFFIX}" in compared
            else [],
        )
        for code in dimension_codes
    ]
    others = [row for code, row in compared.items() if code not in dimension_codes and code not in comment_codes]
    pooled = _pooled(answers, dimension_codes) if dimension_codes else None
    names: dict[Hashable, str] = {
        invitation.participant_id: display_name(invitation.participant.user) for invitation in invitations
    }
    participants = [
        _participant_figures(pk, names[pk], answers.get(pk, {}), dimension_codes)
        for pk in sorted(answers, key=lambda pk: (names.get(pk, ""), str(pk)))
        if isinstance(pk, int)
    ]
    return Report(
        assessment=pilot,
        dimensions=dimensions,
        pooled=pooled,
        participants=participants,
        others=others,
        rates=rates(pilot, invitations),
        focus_groups=focus_groups(pilot),
    )


def _pooled(
    answers: Mapping[Hashable, Mapping[str, Mapping[str, object]]], codes: list[str]
) -> pre_post.QuestionComparison:
    """Every participant's rating of every dimension as one subject (participant, dimension)."""
    pooled: dict[Hashable, dict[str, dict[str, object]]] = {}
    for subject, phases in answers.items():
        for code in codes:
            pooled[(subject, code)] = {
                phase: {POOLED_CODE: given[code]} for phase, given in phases.items() if code in given
            }
    [row] = pre_post.compare([], [_rating(POOLED_CODE, _("All dimensions"))], pooled)
    return row


def _participant_figures(
    pk: int, name: str, phases: Mapping[str, Mapping[str, object]], codes: Iterable[str]
) -> ParticipantFigures:
    """One participant's ratings, and the figures over their dimensions (each dimension one subject)."""
    before, after = phases.get(Phase.BEFORE, {}), phases.get(Phase.AFTER, {})
    ratings = [(code, _int(before.get(code)), _int(after.get(code))) for code in codes]
    by_dimension: dict[Hashable, dict[str, dict[str, object]]] = {
        code: {
            **({Phase.BEFORE.value: {RATING_CODE: b}} if b is not None else {}),
            **({Phase.AFTER.value: {RATING_CODE: a}} if a is not None else {}),
        }
        for code, b, a in ratings
    }
    [row] = pre_post.compare([], [_rating(RATING_CODE, name)], by_dimension)
    return ParticipantFigures(participant_pk=pk, name=name, ratings=ratings, figures=row)


def rates(pilot: PilotAssessment, invitations: Iterable[PilotInvitation] | None = None) -> list[Rate]:
    """Per phase: the participants, the invitations sent and those answered."""
    found = (
        list(invitations)
        if invitations is not None
        else list(PilotInvitation.objects.filter(participant__assessment=pilot))
    )
    participants = PilotParticipant.objects.filter(assessment=pilot).count()
    return [
        Rate(
            phase=phase,
            label=str(label),
            participants=participants,
            invited=sum(1 for invitation in found if invitation.phase == phase),
            answered=sum(1 for invitation in found if invitation.phase == phase and invitation.answered_at is not None),
        )
        for phase, label in Phase.choices
    ]
