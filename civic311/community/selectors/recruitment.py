"""Reads for recruitment and training: the applications to review, the training sessions and their
registrations, the liaisons a session may take, and a liaison's own trainings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from civic311.community.models import Liaison, LiaisonApplication, TrainingRegistration, TrainingSession
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import User

UPCOMING_ON_HOME = 5


def pending_applications(jurisdiction: Jurisdiction) -> int:
    return LiaisonApplication.objects.filter(
        jurisdiction=jurisdiction, status=LiaisonApplication.Status.PENDING
    ).count()


def applications(jurisdiction: Jurisdiction, status: str = "") -> QuerySet[LiaisonApplication]:
    """The city's applications, newest first; of one status when given."""
    found = LiaisonApplication.objects.filter(jurisdiction=jurisdiction).prefetch_related("neighborhoods")
    if status in LiaisonApplication.Status.values:
        found = found.filter(status=status)
    return found


def application(jurisdiction: Jurisdiction, pk: int) -> LiaisonApplication | None:
    return (
        LiaisonApplication.objects.filter(jurisdiction=jurisdiction, pk=pk)
        .select_related("decided_by")
        .prefetch_related("neighborhoods")
        .first()
    )


def liaison_of_application(found: LiaisonApplication) -> Liaison | None:
    return Liaison.objects.filter(application=found).first()


def sessions(jurisdiction: Jurisdiction) -> QuerySet[TrainingSession]:
    """The city's sessions with how many are registered (`registered`) and completed (`completed`)."""
    return TrainingSession.objects.filter(jurisdiction=jurisdiction).annotate(
        registered=Count("registrations"),
        completed=Count("registrations", filter=Q(registrations__completed_at__isnull=False)),
    )


def upcoming_sessions(jurisdiction: Jurisdiction, now: dt.datetime) -> QuerySet[TrainingSession]:
    return sessions(jurisdiction).filter(cancelled_at__isnull=True, starts_at__gt=now).order_by("starts_at", "pk")


def past_sessions(jurisdiction: Jurisdiction, now: dt.datetime) -> QuerySet[TrainingSession]:
    return sessions(jurisdiction).filter(Q(starts_at__lte=now) | Q(cancelled_at__isnull=False)).order_by("-starts_at")


def session(jurisdiction: Jurisdiction, pk: int) -> TrainingSession | None:
    return TrainingSession.objects.filter(jurisdiction=jurisdiction, pk=pk).select_related("created_by").first()


def registrations(found: TrainingSession) -> QuerySet[TrainingRegistration]:
    return found.registrations.select_related("liaison").order_by("liaison__last_name", "liaison__first_name", "pk")


def registrable_liaisons(found: TrainingSession) -> QuerySet[Liaison]:
    """The liaisons staff may put on the session: in the program (accepted, active or lapsed; a refresher
    only for those trained), not on it already."""
    wanted = [Liaison.Status.ACTIVE, Liaison.Status.LAPSED]
    if found.kind == TrainingSession.Kind.INITIAL:
        wanted.append(Liaison.Status.ACCEPTED)
    return (
        Liaison.objects.filter(jurisdiction_id=found.jurisdiction_id, status__in=wanted)
        .exclude(trainings__session=found)
        .order_by("last_name", "first_name", "pk")
    )


def registration(pk: int) -> TrainingRegistration | None:
    return (
        TrainingRegistration.objects.filter(pk=pk)
        .select_related("session", "session__jurisdiction", "liaison", "liaison__jurisdiction")
        .first()
    )


# --- a liaison's own -------------------------------------------------------------------------------------


def liaison_of(user: User) -> Liaison | None:
    """The program's record of this account (None for an account without one)."""
    if not user.is_authenticated:
        return None
    return Liaison.objects.filter(user_id=user.pk).select_related("jurisdiction").first()


@dataclass(frozen=True)
class MyTrainings:
    """What a liaison's trainings page shows: sessions they may join and their own registrations."""

    offered: list[TrainingSession]
    registered: list[TrainingRegistration]


def my_trainings(liaison: Liaison, now: dt.datetime) -> MyTrainings:
    """Sessions to come in a language the liaison speaks (of the kind they need) that they are not on,
    and every registration of theirs, newest first."""
    spoken = set(liaison.languages) | ({liaison.language} if liaison.language else set())
    # A liaison trained once needs refreshers (active, or lapsed and coming back), never the first training.
    kinds = [TrainingSession.Kind.REFRESHER if liaison.trained_at is not None else TrainingSession.Kind.INITIAL]
    offered = list(
        upcoming_sessions(liaison.jurisdiction, now)
        .filter(language__in=sorted(spoken), kind__in=kinds)
        .exclude(registrations__liaison=liaison)
    )
    registered = list(liaison.trainings.select_related("session").order_by("-session__starts_at", "-pk"))
    return MyTrainings(offered=offered, registered=registered)
