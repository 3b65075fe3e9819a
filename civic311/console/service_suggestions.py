"""The services the caller's words point to, as the console's "Services and answers" panel shows them.

The agent types what the caller says; beside the answers found, the suggester (`text_intelligence.suggesting`)
offers the likely services with why and how sure. The agent clicks one to file it: nothing is chosen for them.
When the suggester fails, the panel is simply left out (the search below it still answers).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.text_intelligence import suggesting

logger = logging.getLogger(__name__)

SHOWN_MAX = 3
# Fewer words than this are a search, not a caller's description: the search answers them alone.
MIN_WORDS = 2
# A runner-up is shown from this share of the floor up.
SHOWN_SHARE_OF_FLOOR = 0.5


@dataclass(frozen=True)
class CallerSuggestion:
    service: Service
    percent: int
    explanation: str


@dataclass(frozen=True)
class CallerSuggestions:
    words: str
    services: tuple[CallerSuggestion, ...]
    unsure: bool
    method: str


def caller_suggestions(
    jurisdiction: Jurisdiction, words: str, *, language: str | None = None
) -> CallerSuggestions | None:
    """The likely services for the caller's `words`, or None when there is nothing to suggest from (too few
    words) or the suggester failed. Never raises."""
    if len(words.split()) < MIN_WORDS:
        return None
    try:
        found = suggesting.suggest(jurisdiction, words, language=language, limit=SHOWN_MAX)
        offered = {service.code: service for service in catalogue.offered_services(jurisdiction)}
        # The best one always; the others only when not far under the floor (a few percent is no help).
        least = float(settings.CIVIC311_SUGGESTION_FLOOR) * SHOWN_SHARE_OF_FLOOR
        shown = tuple(
            CallerSuggestion(
                service=offered[suggestion.service.code],
                percent=suggesting.percent_sure(suggestion.confidence),
                explanation=suggesting.explain(suggestion),
            )
            for rank, suggestion in enumerate(found.services)
            if suggestion.service.code in offered and (rank == 0 or suggestion.confidence >= least)
        )
    except Exception:  # the panel is a help: without it, the agent searches as before
        logger.exception("the service suggester failed in the console")
        return None
    return CallerSuggestions(words=words, services=shown, unsure=found.unsure or not shown, method=found.method)
