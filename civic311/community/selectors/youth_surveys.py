"""Reads of a youth cohort's before and after surveys: per phase, whether its link is open, the version
it asks, how many participants answered, and who has not answered yet (the names the public page offers
to pick from: `display_name` only)."""

from __future__ import annotations

from dataclasses import dataclass

from civic311.surveys.models import InstrumentVersion

from ..models import Cohort, Participant, Phase, YouthSurveyResponse


@dataclass(frozen=True)
class PhaseState:
    phase: str
    label: str
    is_open: bool
    token: str
    version: InstrumentVersion | None
    answered: int
    participants: int
    waiting: list[Participant]  # not answered yet (anonymised participants no longer answer)
    on_paper: int  # of `answered`, typed in by staff from a paper form


def waiting(cohort: Cohort, phase: str) -> list[Participant]:
    """The cohort's participants who have not answered `phase` yet, by name."""
    return list(
        Participant.objects.filter(cohort=cohort, anonymised_at__isnull=True)
        .exclude(survey_responses__phase=phase)
        .order_by("first_name", "last_initial", "pk")
    )


def phase_state(cohort: Cohort, phase: str) -> PhaseState:
    which = Phase(phase)
    token = cohort.before_survey_token if which == Phase.BEFORE else cohort.after_survey_token
    version = cohort.before_version if which == Phase.BEFORE else cohort.after_version
    responses = YouthSurveyResponse.objects.filter(participant__cohort=cohort, phase=which)
    return PhaseState(
        phase=which.value,
        label=str(which.label),
        is_open=bool(token),
        token=token,
        version=version,
        answered=responses.count(),
        participants=Participant.objects.filter(cohort=cohort).count(),
        waiting=waiting(cohort, which.value),
        on_paper=responses.filter(entered_by__isnull=False).count(),
    )


def cohort_survey_state(cohort: Cohort) -> list[PhaseState]:
    """Both phases, before then after."""
    return [phase_state(cohort, phase) for phase in Phase.values]
