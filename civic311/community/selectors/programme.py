"""Each liaison's activity, for community staff: requests filed (all and in the last 90 days), when last
active, trainings completed and the next refresher due, status; filtered by neighborhood, status and
language spoken, searched by name or e-mail.

A page of the list is one query (the counts are correlated subqueries in it, not one query per row) plus
one for the page's neighborhoods.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from civic311.jurisdictions.models import Jurisdiction, Neighborhood

from ..models import CommunityMeeting, Liaison, LiaisonFiling, ProgrammeMessage, TrainingRegistration

RECENT_DAYS = 90
RECENT_FILINGS_SHOWN = 20


@dataclass(frozen=True)
class LiaisonFilter:
    """What the list is narrowed to; empty values filter nothing."""

    neighborhood: int | None = None
    status: str = ""
    language: str = ""
    search: str = ""


def _count(queryset: QuerySet[LiaisonFiling] | QuerySet[TrainingRegistration]) -> Subquery:
    counted = queryset.order_by().values("liaison_id").annotate(n=Count("pk")).values("n")
    return Subquery(counted, output_field=IntegerField())


def liaisons_with_activity(
    jurisdiction: Jurisdiction, wanted: LiaisonFilter | None = None, *, now: dt.datetime | None = None
) -> QuerySet[Liaison]:
    """The city's liaisons with `filed`, `filed_recently` (last 90 days), `last_filed_at`,
    `trainings_completed` annotated, and their neighborhoods prefetched; ordered by name."""
    wanted = wanted or LiaisonFilter()
    since = (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)
    filings = LiaisonFiling.objects.filter(liaison_id=OuterRef("pk"))
    liaisons = (
        Liaison.objects.filter(jurisdiction=jurisdiction)
        .annotate(
            filed=Coalesce(_count(filings), Value(0)),
            filed_recently=Coalesce(_count(filings.filter(filed_at__gte=since)), Value(0)),
            last_filed_at=Subquery(
                filings.order_by().values("liaison_id").annotate(last=Max("filed_at")).values("last")
            ),
            trainings_completed=Coalesce(
                _count(TrainingRegistration.objects.filter(liaison_id=OuterRef("pk"), completed_at__isnull=False)),
                Value(0),
            ),
        )
        .prefetch_related(Prefetch("neighborhoods", queryset=Neighborhood.objects.only("pk", "name").order_by("name")))
        .order_by("last_name", "first_name", "pk")
    )
    if wanted.neighborhood is not None:
        liaisons = liaisons.filter(neighborhoods__pk=wanted.neighborhood)
    if wanted.status:
        liaisons = liaisons.filter(status=wanted.status)
    if wanted.language:
        # The codes are a JSON list (["en", "es"]); the quoted code matches only a whole code, on every database.
        liaisons = liaisons.filter(languages__icontains=f'"{wanted.language.strip().lower()}"')
    for word in wanted.search.split()[:5]:
        liaisons = liaisons.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return liaisons


def last_active(liaison: Liaison) -> dt.datetime | None:
    """When a liaison last did something: signed in or used the site (`last_active_at`), or filed."""
    moments = [moment for moment in (liaison.last_active_at, getattr(liaison, "last_filed_at", None)) if moment]
    return max(moments) if moments else None


@dataclass(frozen=True)
class LiaisonDetail:
    liaison: Liaison
    trainings: list[TrainingRegistration]
    recent_filings: list[LiaisonFiling]
    filed: int
    filed_recently: int
    last_active: dt.datetime | None


def liaison_detail(jurisdiction: Jurisdiction, pk: int, *, now: dt.datetime | None = None) -> LiaisonDetail | None:
    """One liaison for community staff: contact details, neighborhoods, trainings and recent filings."""
    liaison = liaisons_with_activity(jurisdiction, now=now).select_related("user", "application").filter(pk=pk).first()
    if liaison is None:
        return None
    trainings = list(
        TrainingRegistration.objects.filter(liaison=liaison)
        .select_related("session")
        .order_by("-session__starts_at", "-pk")
    )
    filings = list(
        LiaisonFiling.objects.filter(liaison=liaison)
        .select_related("service_request__service", "meeting")
        .order_by("-filed_at", "-pk")[:RECENT_FILINGS_SHOWN]
    )
    return LiaisonDetail(
        liaison=liaison,
        trainings=trainings,
        recent_filings=filings,
        filed=int(getattr(liaison, "filed", 0)),
        filed_recently=int(getattr(liaison, "filed_recently", 0)),
        last_active=last_active(liaison),
    )


def languages_spoken(jurisdiction: Jurisdiction) -> list[str]:
    """The language codes the city's liaisons speak, for the list's filter."""
    codes: set[str] = set()
    for languages in Liaison.objects.filter(jurisdiction=jurisdiction).values_list("languages", flat=True):
        codes.update(code for code in languages or () if isinstance(code, str))
    return sorted(codes)


def meetings(jurisdiction: Jurisdiction) -> QuerySet[CommunityMeeting]:
    """The city's community meetings, newest first, each with the number of requests filed from it."""
    return (
        CommunityMeeting.objects.filter(jurisdiction=jurisdiction)
        .select_related("neighborhood", "recorded_by")
        .annotate(filed=Count("filings"))
        .order_by("-held_on", "-pk")
    )


def messages_sent(jurisdiction: Jurisdiction) -> QuerySet[ProgrammeMessage]:
    """The messages sent to the city's liaisons, newest first."""
    return ProgrammeMessage.objects.filter(jurisdiction=jurisdiction).select_related("neighborhood", "sent_by")


def city_neighborhoods(jurisdiction: Jurisdiction) -> QuerySet[Neighborhood]:
    """The city's neighborhoods by name (the program's forms offer them)."""
    return Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("name")
