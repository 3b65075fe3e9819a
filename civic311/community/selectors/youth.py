"""Reads of the Youth Engagement Program's cohorts, for community staff (the participants are minors: these
reads are for staff pages only, never public ones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from civic311.jurisdictions.models import Jurisdiction

from ..models import Attendance, Cohort, CohortSession, Participant, Partner


@dataclass(frozen=True)
class AttendanceRow:
    """A participant's attendance: sessions attended of the sessions held so far."""

    participant: Participant
    attended: int
    held: int


@dataclass(frozen=True)
class RegisterRow:
    """A participant on a session's register: present, absent, or not yet recorded (None)."""

    participant: Participant
    present: bool | None


@dataclass(frozen=True)
class CohortOverview:
    cohort: Cohort
    partners: list[Partner]
    sessions: list[CohortSession]
    held: int
    attendance: list[AttendanceRow]
    completed: int


def _count(queryset: QuerySet[CohortSession] | QuerySet[Participant]) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values("cohort").annotate(n=Count("pk")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def cohorts(jurisdiction: Jurisdiction, now: dt.datetime | None = None) -> QuerySet[Cohort]:
    """The city's cohorts, latest first, each with `participant_count`, `sessions_held` (begun by now) and
    `completed_count`."""
    now = now or timezone.now()
    return (
        Cohort.objects.filter(jurisdiction=jurisdiction)
        .order_by("-starts_on", "name")
        .annotate(
            participant_count=_count(Participant.objects.filter(cohort=OuterRef("pk"))),
            session_count=_count(CohortSession.objects.filter(cohort=OuterRef("pk"))),
            sessions_held=_count(CohortSession.objects.filter(cohort=OuterRef("pk"), starts_at__lte=now)),
            completed_count=_count(Participant.objects.filter(cohort=OuterRef("pk"), completed_at__isnull=False)),
        )
    )


def cohort(jurisdiction: Jurisdiction, slug: str) -> Cohort | None:
    """The city's cohort of that short name."""
    return (
        Cohort.objects.filter(jurisdiction=jurisdiction, slug=slug)
        .select_related("jurisdiction", "neighborhood", "coordinator")
        .first()
    )


def held_sessions(cohort: Cohort, now: dt.datetime | None = None) -> list[CohortSession]:
    """The cohort's sessions held so far: begun by now, or with a register taken."""
    now = now or timezone.now()
    return list(
        CohortSession.objects.filter(cohort=cohort)
        .filter(Q(starts_at__lte=now) | Q(attendance__isnull=False))
        .distinct()
        .order_by("number")
    )


def attendance_summary(cohort: Cohort, now: dt.datetime | None = None) -> list[AttendanceRow]:
    """Per participant (in the participants' order): sessions attended, and sessions held so far."""
    held = len(held_sessions(cohort, now))
    participants = (
        Participant.objects.filter(cohort=cohort)
        .annotate(present_count=Count("attendance", filter=Q(attendance__present=True)))
        .order_by("first_name", "last_initial", "pk")
    )
    return [AttendanceRow(participant=found, attended=found.present_count, held=held) for found in participants]


def sessions(cohort: Cohort) -> list[CohortSession]:
    """The cohort's schedule, with its presenters."""
    return list(
        CohortSession.objects.filter(cohort=cohort)
        .prefetch_related("presenting_departments", "presenting_partners")
        .order_by("number")
    )


def cohort_overview(cohort: Cohort, now: dt.datetime | None = None) -> CohortOverview:
    """The cohort's page: its partners, schedule, and participants with their attendance."""
    attendance = attendance_summary(cohort, now)
    return CohortOverview(
        cohort=cohort,
        partners=list(cohort.partners.all()),
        sessions=sessions(cohort),
        held=len(held_sessions(cohort, now)),
        attendance=attendance,
        completed=sum(row.participant.completed_at is not None for row in attendance),
    )


def session(cohort: Cohort, number: int) -> CohortSession | None:
    return (
        CohortSession.objects.filter(cohort=cohort, number=number)
        .prefetch_related("presenting_departments", "presenting_partners")
        .first()
    )


def register(found: CohortSession) -> list[RegisterRow]:
    """The register of a session: every participant of the cohort, with what was recorded for them."""
    recorded = dict(Attendance.objects.filter(session=found).values_list("participant_id", "present"))
    return [
        RegisterRow(participant=participant, present=recorded.get(participant.pk))
        for participant in Participant.objects.filter(cohort_id=found.cohort_id).order_by(
            "first_name", "last_initial", "pk"
        )
    ]


def participant(cohort: Cohort, pk: int) -> Participant | None:
    return Participant.objects.filter(cohort=cohort, pk=pk).first()


def participant_attendance(found: Participant) -> list[tuple[CohortSession, bool | None]]:
    """Each session of the participant's cohort, with whether they were there (None: not recorded)."""
    recorded = dict(Attendance.objects.filter(participant=found).values_list("session_id", "present"))
    return [
        (each, recorded.get(each.pk))
        for each in CohortSession.objects.filter(cohort_id=found.cohort_id).order_by("number")
    ]


def partners(jurisdiction: Jurisdiction) -> QuerySet[Partner]:
    """The city's partner organizations, each with `cohort_count`."""
    return (
        Partner.objects.filter(jurisdiction=jurisdiction).annotate(cohort_count=Count("cohorts")).order_by("name", "pk")
    )


def partner(jurisdiction: Jurisdiction, pk: int) -> Partner | None:
    return Partner.objects.filter(jurisdiction=jurisdiction, pk=pk).first()


def partner_cohorts(found: Partner) -> QuerySet[Cohort]:
    return found.cohorts.all()
