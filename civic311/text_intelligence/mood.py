"""What kind of text it is (request, complaint, question, praise, other) and how its writer feels
(negative, neutral, positive), in English and Spanish.

CONTRACT (foundation; the helper owning this file replaces the bodies, keeps the names and types).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Sentiment, TextKind


@dataclass(frozen=True)
class Mood:
    kind: TextKind
    sentiment: Sentiment
    score: float  # -1 (most negative) … 1 (most positive)
    # The words and signs that decided it ("again", "ridiculous", "?"), for "read as … because …".
    cues: tuple[str, ...] = ()


def read_mood(text: str, *, language: str | None = None) -> Mood:
    """Never raises on any text; an empty or meaningless text is OTHER and NEUTRAL."""
    raise NotImplementedError


def explain(mood: Mood) -> str:
    """One translatable sentence: "Read as a complaint, negative, because of “again”, “still”."""
    raise NotImplementedError
