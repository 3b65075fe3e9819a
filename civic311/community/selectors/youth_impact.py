"""A youth cohort's impact report: its survey compared before and after question by question (through
`pre_post.compare`, the one comparison of the community programs), its participation (from Part A's
`selectors.youth.attendance_summary`), and the requests its participants filed on the field walks with
their outcomes (`selectors.field_walks.cohort_outcomes`).

The report may be shared with partners and is open to leadership (`roles.may_see_programme_figures`): it
holds figures and anonymous comments only, never a participant's name, age or guardian. Comments are listed
in alphabetical order, not the participants' order, so a comment cannot be matched to a row of any list.

Also the certificates' reads: the cohort's certificate holders, and the participant a typed code belongs to.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from civic311.surveys.models import Question

from ..models import Cohort, CohortSession, Participant, Phase, YouthSurveyResponse
from ..youth_certificate_codes import CODE_LENGTH, normalise_code
from . import pre_post
from .field_walks import WalkOutcomes, cohort_outcomes
from .youth import attendance_summary, held_sessions


@dataclass(frozen=True)
class Participation:
    participants: int
    sessions_planned: int
    sessions_held: int
    mean_attended: float | None  # sessions attended per participant, over every participant
    attendance_percent: float | None  # attendances over participants times sessions held
    completed: int
    certificates: int
    answered_before: int
    answered_after: int
    answered_both: int

    @property
    def completed_percent(self) -> float | None:
        return 100 * self.completed / self.participants if self.participants else None


@dataclass(frozen=True)
class ImpactReport:
    cohort: Cohort
    partners: list[str]
    participation: Participation
    questions: list[pre_post.QuestionComparison]
    outcomes: WalkOutcomes
    generated: dt.datetime
    sessions: list[CohortSession] = field(default_factory=list)

    @property
    def yes_no(self) -> list[pre_post.QuestionComparison]:
        return [row for row in self.questions if row.kind == Question.Kind.YES_NO]

    @property
    def scales(self) -> list[pre_post.QuestionComparison]:
        return [row for row in self.questions if row.kind == Question.Kind.SCALE_1_5]

    @property
    def choice_questions(self) -> list[pre_post.QuestionComparison]:
        return [
            row for row in self.questions if row.kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE)
        ]

    @property
    def comments(self) -> list[tuple[str, list[tuple[str, int]], list[tuple[str, int]]]]:
        """(question, comments before, comments after) of each free-text question: each comment once with how
        many wrote it, in alphabetical order (never the participants' order)."""
        return [
            (row.text, _grouped(row.comments_before), _grouped(row.comments_after))
            for row in self.questions
            if row.kind == Question.Kind.FREE_TEXT and (row.comments_before or row.comments_after)
        ]


def _grouped(comments: list[str]) -> list[tuple[str, int]]:
    counted = Counter(comment.strip() for comment in comments)
    return sorted(counted.items(), key=lambda item: (item[0].casefold(), item[0]))


def _answers(cohort: Cohort) -> dict[Any, dict[str, dict[str, object]]]:
    rows = YouthSurveyResponse.objects.filter(participant__cohort=cohort).values_list(
        "participant_id", "phase", "response_id"
    )
    return pre_post.answers_of(rows)


def _questions(cohort: Cohort) -> tuple[list[Question], list[Question]]:
    before = list(Question.objects.filter(version_id=cohort.before_version_id)) if cohort.before_version_id else []
    after = list(Question.objects.filter(version_id=cohort.after_version_id)) if cohort.after_version_id else []
    return before, after


def participation(cohort: Cohort, now: dt.datetime | None = None) -> Participation:
    rows = attendance_summary(cohort, now)
    held = len(held_sessions(cohort, now))
    attended = [row.attended for row in rows]
    phases: dict[int, set[str]] = {}
    for participant_id, phase in YouthSurveyResponse.objects.filter(participant__cohort=cohort).values_list(
        "participant_id", "phase"
    ):
        phases.setdefault(participant_id, set()).add(phase)
    return Participation(
        participants=len(rows),
        sessions_planned=CohortSession.objects.filter(cohort=cohort).count(),
        sessions_held=held,
        mean_attended=statistics.fmean(attended) if attended else None,
        attendance_percent=100 * sum(attended) / (len(rows) * held) if rows and held else None,
        completed=sum(1 for row in rows if row.participant.completed_at is not None),
        certificates=sum(1 for row in rows if row.participant.certificate_code and row.participant.completed_at),
        answered_before=sum(1 for found in phases.values() if Phase.BEFORE in found),
        answered_after=sum(1 for found in phases.values() if Phase.AFTER in found),
        answered_both=sum(1 for found in phases.values() if {Phase.BEFORE, Phase.AFTER} <= found),
    )


def impact_report(cohort: Cohort, now: dt.datetime | None = None) -> ImpactReport:
    """The cohort's impact report (figures only: see the module's docstring)."""
    now = now or timezone.now()
    before, after = _questions(cohort)
    return ImpactReport(
        cohort=cohort,
        partners=list(cohort.partners.order_by("name").values_list("name", flat=True)),
        participation=participation(cohort, now),
        questions=pre_post.compare(before, after, _answers(cohort)),
        outcomes=cohort_outcomes(cohort),
        generated=now,
        sessions=list(CohortSession.objects.filter(cohort=cohort).order_by("number")),
    )


# --- the CSV ----------------------------------------------------------------------------------------------

CSV_HEADER: list[object] = [
    "section",
    "question",
    "text",
    "measure",
    "before",
    "after",
    "change",
    "answered_before",
    "answered_after",
    "pairs",
    "value",
]


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _question_rows(row: pre_post.QuestionComparison) -> Iterator[list[object]]:
    def line(
        measure: str, before: object = "", after: object = "", change: object = "", **extra: object
    ) -> list[object]:
        return [
            "survey",
            row.code,
            extra.get("text", row.text),
            measure,
            before,
            after,
            change,
            row.before_answers,
            row.after_answers,
            row.paired.pairs,
            extra.get("value", ""),
        ]

    paired = row.paired
    if row.kind == Question.Kind.YES_NO and row.yes_before is not None and row.yes_after is not None:
        yield line(
            "yes_percent",
            _number(row.yes_before.percent),
            _number(row.yes_after.percent),
            _number(row.change_in_points),
        )
        yield line("yes_count", row.yes_before.count, row.yes_after.count, row.yes_after.count - row.yes_before.count)
    elif row.kind == Question.Kind.SCALE_1_5:
        yield line(
            "mean",
            _number(row.mean_before, 2),
            _number(row.mean_after, 2),
            _number(None if row.mean_before is None or row.mean_after is None else row.mean_after - row.mean_before, 2),
        )
        yield line("paired_mean_difference", value=_number(paired.mean_difference, 2))
        yield line("paired_spread", value=_number(paired.spread, 2))
    elif row.kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
        for choice in row.choices:
            before, after = choice.before.percent, choice.after.percent
            yield line(
                f"choice_percent:{choice.key}",
                _number(before),
                _number(after),
                _number(None if before is None or after is None else after - before),
                text=f"{row.text}: {choice.label}",
            )
        yield line("paired_changed", value=paired.pairs - paired.unchanged)
        return
    elif row.kind == Question.Kind.FREE_TEXT:
        yield line("comments", len(row.comments_before), len(row.comments_after))
        return
    else:
        return
    yield line("paired_improved", value=paired.improved)
    yield line("paired_unchanged", value=paired.unchanged)
    yield line("paired_worse", value=paired.worse)


def _blank(section: str, measure: str, value: object, text: str = "") -> list[object]:
    return [section, "", text, measure, "", "", "", "", "", "", value]


def csv_rows(report: ImpactReport) -> Iterator[list[object]]:
    """The report as one table: a header, then one line per question and measure, the participation, the
    requests' outcomes, and the anonymous comments (sorted) last."""
    yield list(CSV_HEADER)
    for row in report.questions:
        yield from _question_rows(row)
    taking = report.participation
    for measure, value in (
        ("participants", taking.participants),
        ("sessions_planned", taking.sessions_planned),
        ("sessions_held", taking.sessions_held),
        ("mean_sessions_attended", _number(taking.mean_attended, 2)),
        ("attendance_percent", _number(taking.attendance_percent)),
        ("completed", taking.completed),
        ("completed_percent", _number(taking.completed_percent)),
        ("certificates", taking.certificates),
        ("answered_before", taking.answered_before),
        ("answered_after", taking.answered_after),
        ("answered_both", taking.answered_both),
    ):
        yield _blank("participation", measure, value)
    outcomes = report.outcomes
    for measure, value in (
        ("filed", outcomes.filed),
        ("closed", outcomes.closed),
        ("open", outcomes.open),
        ("median_days_to_close", _number(outcomes.median_days_to_close)),
        ("closed_with_due_date", outcomes.closed_with_due_date),
        ("closed_on_time", outcomes.closed_on_time),
        ("on_time_percent", _number(outcomes.on_time_percent)),
        ("with_before_and_after", outcomes.with_before_and_after),
    ):
        yield _blank("requests", measure, value)
    for service in outcomes.by_service:
        yield _blank("requests_by_service", "filed", service.filed, service.service)
        yield _blank("requests_by_service", "closed", service.closed, service.service)
    for session in outcomes.by_session:
        label = f"{session.number}. {session.topic}"
        yield _blank("requests_by_session", "filed", session.filed, label)
        yield _blank("requests_by_session", "closed", session.closed, label)
    for row in report.questions:
        if row.kind != Question.Kind.FREE_TEXT:
            continue
        for phase, comments in ((Phase.BEFORE, row.comments_before), (Phase.AFTER, row.comments_after)):
            for comment in sorted(comments, key=str.casefold):
                yield ["comment", row.code, row.text, str(phase), "", "", "", "", "", "", comment]


# --- certificates -----------------------------------------------------------------------------------------


def certificate_holders(cohort: Cohort) -> list[Participant]:
    """The cohort's participants who hold a certificate, in the participants' order (for printing). One
    whose completion was cleared since (a register corrected, the rule changed) is left out: a certificate
    prints the completion date, and its public check no longer confirms it."""
    return list(
        Participant.objects.select_related("cohort", "cohort__jurisdiction")
        .filter(cohort=cohort, certificate_code__isnull=False, completed_at__isnull=False)
        .exclude(certificate_code="")
    )


def find_certificate(raw_code: str) -> Participant | None:
    """The participant whose certificate carries this code (as typed: any case, spaces, dashes), or None."""
    code = normalise_code(raw_code)
    if len(code) != CODE_LENGTH:
        return None
    return Participant.objects.select_related("cohort", "cohort__jurisdiction").filter(certificate_code=code).first()
