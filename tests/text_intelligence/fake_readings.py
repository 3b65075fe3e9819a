"""Readings made by hand, for the tests of what the inbox, the staff API and `classify_texts` do with a reading
(the readers themselves are tested in their own modules)."""

from __future__ import annotations

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Neighborhood
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.mood import Mood
from civic311.text_intelligence.places import FoundPlace
from civic311.text_intelligence.reading import Reading
from civic311.text_intelligence.suggesting import ServiceSuggestion, Suggestions


def reading(
    *services: tuple[Service, float, tuple[str, ...]],
    unsure: bool = False,
    method: str = "model",
    kind: str = TextKind.COMPLAINT,
    sentiment: str = Sentiment.NEGATIVE,
    score: float = -0.62,
    cues: tuple[str, ...] = ("again",),
    places: tuple[FoundPlace, ...] = (),
) -> Reading:
    return Reading(
        suggestions=Suggestions(
            services=tuple(ServiceSuggestion(service, confidence, words) for service, confidence, words in services),
            unsure=unsure,
            method=method,
            model_version=7 if method == "model" else None,
        ),
        mood=Mood(kind=TextKind(kind), sentiment=Sentiment(sentiment), score=score, cues=cues),
        places=places,
    )


def corner(neighborhood: Neighborhood | None = None, *, lat: float = 39.9526, long: float = -75.1635) -> FoundPlace:
    return FoundPlace(
        kind="intersection",
        text="Broad and Market",
        label="N Broad St & Market St",
        lat=lat,
        long=long,
        neighborhood=neighborhood,
    )


def named(neighborhood: Neighborhood) -> FoundPlace:
    return FoundPlace(
        kind="neighborhood",
        text=neighborhood.name.lower(),
        label=neighborhood.name,
        lat=None,
        long=None,
        neighborhood=neighborhood,
    )
