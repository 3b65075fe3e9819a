"""All that text intelligence reads in one text: the one call the staff API, `classify_texts`, the inbox
and the console use, so each shows the same reading."""

from __future__ import annotations

from dataclasses import dataclass

from civic311.jurisdictions.models import Jurisdiction

from .mood import Mood, read_mood
from .places import FoundPlace, places_in_text
from .suggesting import Suggestions, suggest


@dataclass(frozen=True)
class Reading:
    suggestions: Suggestions
    mood: Mood
    places: tuple[FoundPlace, ...]

    @property
    def place(self) -> FoundPlace | None:
        """The most precise place found that has a point."""
        return next((place for place in self.places if place.lat is not None), None)


def read_text(
    jurisdiction: Jurisdiction,
    text: str,
    *,
    lat: float | None = None,
    long: float | None = None,
    language: str | None = None,
    limit: int = 3,
) -> Reading:
    """Services, kind, sentiment and places of `text`. A place found in the words stands in for a point
    the caller does not have."""
    places = tuple(places_in_text(jurisdiction, text))
    if lat is None or long is None:
        found = next((place for place in places if place.lat is not None), None)
        if found is not None:
            lat, long = found.lat, found.long
    return Reading(
        suggestions=suggest(jurisdiction, text, lat=lat, long=long, language=language, limit=limit),
        mood=read_mood(text, language=language),
        places=places,
    )
