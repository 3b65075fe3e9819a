"""Before-and-after comparison of one survey asked twice of the same people: the youth cohorts' pre- and
post-program surveys and the pilot assessments' feedback forms both read their figures here.

Questions are matched across the two phases by code (the phases may be asked on different versions of the
instrument; a question in one phase only shows that side, and so does a code the after version asks as
another kind than the before version did). For every question, each phase's figures over
everyone who answered it in that phase, and the paired figures over those who answered it in both:

- yes or no: the share answering yes; paired, how many went no → yes (improved), yes → no (worse), stayed.
- scale of 1 to 5: the mean; paired, improved / unchanged / worse and the mean paired difference with its
  spread (the sample standard deviation of the differences).
- one choice, several choices: the share choosing each choice; paired, how many changed their answer.
- free text: the answers, as comments. Contact details are never compared (nor shown).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from civic311.surveys.models import Answer, Question

from ..models import Phase

# subject (a participant's pk) → phase → question code → stored answer value
Answers = Mapping[Hashable, Mapping[str, Mapping[str, object]]]


@dataclass(frozen=True)
class Share:
    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return 100 * self.count / self.total if self.total else None


@dataclass(frozen=True)
class ChoiceShift:
    key: str
    label: str
    before: Share
    after: Share


@dataclass(frozen=True)
class Paired:
    """The subjects who answered the question in both phases."""

    pairs: int
    improved: int = 0
    unchanged: int = 0
    worse: int = 0
    mean_difference: float | None = None  # after - before (scales only)
    spread: float | None = None  # sample standard deviation of the differences (two pairs or more)

    def share(self, count: int) -> float | None:
        return 100 * count / self.pairs if self.pairs else None

    @property
    def improved_percent(self) -> float | None:
        return self.share(self.improved)

    @property
    def unchanged_percent(self) -> float | None:
        return self.share(self.unchanged)

    @property
    def worse_percent(self) -> float | None:
        return self.share(self.worse)


@dataclass(frozen=True)
class QuestionComparison:
    code: str
    text: str
    kind: str
    before_answers: int
    after_answers: int
    paired: Paired
    yes_before: Share | None = None  # yes or no
    yes_after: Share | None = None
    mean_before: float | None = None  # scale
    mean_after: float | None = None
    choices: list[ChoiceShift] = field(default_factory=list)  # one or several choices
    comments_before: list[str] = field(default_factory=list)  # free text
    comments_after: list[str] = field(default_factory=list)

    @property
    def change_in_points(self) -> float | None:
        """Yes or no: the share answering yes after minus before, in percentage points."""
        if self.yes_before is None or self.yes_after is None:
            return None
        before, after = self.yes_before.percent, self.yes_after.percent
        return None if before is None or after is None else after - before


def _questions_by_code(before: Iterable[Question], after: Iterable[Question]) -> list[Question]:
    """Every question of either phase once, in the after version's order then the before-only ones; the
    after version's wording wins (the newer text)."""
    chosen: dict[str, Question] = {}
    for question in list(after) + list(before):
        chosen.setdefault(question.code, question)
    return list(chosen.values())


def _in_phase(answers: Answers, phase: str, code: str) -> dict[Hashable, object]:
    found: dict[Hashable, object] = {}
    for subject, phases in answers.items():
        given = phases.get(phase, {})
        if code in given and given[code] is not None:
            found[subject] = given[code]
    return found


def _compare_one(question: Question, answers: Answers, *, before_kind_differs: bool = False) -> QuestionComparison:
    # A code the before version asked as another kind (removed, then added anew) is another question: its
    # before answers are not comparable (a choice is no rating), so only the after side is shown.
    before = {} if before_kind_differs else _in_phase(answers, Phase.BEFORE, question.code)
    after = _in_phase(answers, Phase.AFTER, question.code)
    both = [subject for subject in before if subject in after]
    base = {
        "code": question.code,
        "text": question.localized(),
        "kind": question.kind,
        "before_answers": len(before),
        "after_answers": len(after),
    }
    kind = question.kind
    if kind == Question.Kind.YES_NO:
        went = [(bool(before[s]), bool(after[s])) for s in both]
        return QuestionComparison(
            **base,  # type: ignore[arg-type]
            yes_before=Share(sum(1 for v in before.values() if v is True), len(before)),
            yes_after=Share(sum(1 for v in after.values() if v is True), len(after)),
            paired=Paired(
                pairs=len(went),
                improved=sum(1 for b, a in went if not b and a),
                unchanged=sum(1 for b, a in went if b == a),
                worse=sum(1 for b, a in went if b and not a),
            ),
        )
    if kind == Question.Kind.SCALE_1_5:
        pairs = [(int(before[s]), int(after[s])) for s in both]  # type: ignore[call-overload]
        differences = [a - b for b, a in pairs]
        return QuestionComparison(
            **base,  # type: ignore[arg-type]
            mean_before=statistics.fmean(int(v) for v in before.values()) if before else None,  # type: ignore[call-overload]
            mean_after=statistics.fmean(int(v) for v in after.values()) if after else None,  # type: ignore[call-overload]
            paired=Paired(
                pairs=len(pairs),
                improved=sum(1 for d in differences if d > 0),
                unchanged=sum(1 for d in differences if d == 0),
                worse=sum(1 for d in differences if d < 0),
                mean_difference=statistics.fmean(differences) if differences else None,
                spread=statistics.stdev(differences) if len(differences) >= 2 else None,
            ),
        )
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):

        def chosen(value: object) -> set[str]:
            return {str(item) for item in value} if isinstance(value, list) else {str(value)}

        changed = sum(1 for s in both if chosen(before[s]) != chosen(after[s]))
        return QuestionComparison(
            **base,  # type: ignore[arg-type]
            choices=[
                ChoiceShift(
                    key=key,
                    label=label,
                    before=Share(sum(1 for v in before.values() if key in chosen(v)), len(before)),
                    after=Share(sum(1 for v in after.values() if key in chosen(v)), len(after)),
                )
                for key, label in question.localized_choices()
            ],
            paired=Paired(pairs=len(both), unchanged=len(both) - changed),
        )
    if kind == Question.Kind.FREE_TEXT:
        return QuestionComparison(
            **base,  # type: ignore[arg-type]
            comments_before=[str(v) for v in before.values() if str(v).strip()],
            comments_after=[str(v) for v in after.values() if str(v).strip()],
            paired=Paired(pairs=len(both)),
        )
    raise ValueError(f"{kind} answers are not compared")


def compare(before: Iterable[Question], after: Iterable[Question], answers: Answers) -> list[QuestionComparison]:
    """Each question of the two phases' versions compared (contact details left out), in order."""
    before = list(before)
    before_kinds = {question.code: question.kind for question in before}
    return [
        _compare_one(
            question, answers, before_kind_differs=before_kinds.get(question.code, question.kind) != question.kind
        )
        for question in _questions_by_code(before, after)
        if question.kind != Question.Kind.CONTACT_DETAILS
    ]


def answers_of(responses: Iterable[tuple[Hashable, str, int]]) -> dict[Hashable, dict[str, dict[str, object]]]:
    """The answers of (subject, phase, survey response pk) triples, keyed for `compare`: one query."""
    by_response: dict[int, tuple[Hashable, str]] = {pk: (subject, phase) for subject, phase, pk in responses}
    found: dict[Hashable, dict[str, dict[str, object]]] = defaultdict(lambda: defaultdict(dict))
    rows = Answer.objects.filter(response_id__in=list(by_response)).values_list(
        "response_id", "question__code", "value"
    )
    for response_id, code, value in rows.iterator(chunk_size=2_000):
        subject, phase = by_response[response_id]
        found[subject][phase][code] = value
    return {subject: dict(phases) for subject, phases in found.items()}
