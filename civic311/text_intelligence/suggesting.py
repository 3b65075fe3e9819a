"""The likely services for a resident's words (and a place, when known), with a calibrated confidence.

CONTRACT (foundation; the helper owning this file replaces the bodies, keeps the names and types).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction


@dataclass(frozen=True)
class ServiceSuggestion:
    service: Service
    confidence: float  # 0 … 1, calibrated: of suggestions made at 0.8, about 8 in 10 are right
    # Why, for the person who sees it: the words that pointed to it ("pothole", "bache"), translatable
    # sentences built by `explain` in the caller's language.
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestions:
    """The likely services, most likely first (at most `limit`), whether the suggester is unsure (the best
    one's confidence is under the city's floor, or the text says nothing), and which method answered."""

    services: tuple[ServiceSuggestion, ...]
    unsure: bool
    method: str  # "model" (a trained ServiceModel), "keywords" (the baseline: no model yet) or "none" (no words)
    model_version: int | None = None

    @property
    def best(self) -> Service | None:
        """The service to pre-select, or None when unsure: a person picks then."""
        if self.unsure or not self.services:
            return None
        return self.services[0].service


def suggest(
    jurisdiction: Jurisdiction,
    text: str,
    *,
    lat: float | None = None,
    long: float | None = None,
    language: str | None = None,
    limit: int = 3,
    only_reportable: bool = True,
) -> Suggestions:
    """The likely services for `text`. Never raises on any text (empty, 10,000 characters, only emoji,
    another language): it answers unsure then."""
    return suggest_many(
        jurisdiction, [text], lat=lat, long=long, language=language, limit=limit, only_reportable=only_reportable
    )[0]


def suggest_many(
    jurisdiction: Jurisdiction,
    texts: Sequence[str],
    *,
    lat: float | None = None,
    long: float | None = None,
    language: str | None = None,
    limit: int = 3,
    only_reportable: bool = True,
) -> list[Suggestions]:
    raise NotImplementedError


def explain(suggestion: ServiceSuggestion) -> str:
    """One translatable sentence for the person who sees it: "Suggested because of the words “pothole”,
    “lane” (84 % sure)."""
    raise NotImplementedError
