"""The services a resident's own words point to, as the choose-service page shows them.

A read with fallbacks, so the page always answers: the suggester (`text_intelligence.suggesting`: a trained
model, else the catalogue's keywords), else the site's keyword baseline alone (`knowledge.suggestions`),
else nothing (the ordinary list and search stay on the page). The person picks: nothing is chosen for them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext as _

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge import suggestions as keyword_baseline
from civic311.text_intelligence import suggesting

logger = logging.getLogger(__name__)

# What the "Describe what's wrong" box takes, and what picking a service carries on of it to the report form
# (the report form's own limit is larger, so the resident can go on writing there).
DESCRIBE_MAX_CHARS = 1000
# Where a picked service's words wait in the resident's session for its report form (never in an address:
# the words may hold personal data, and addresses end up in logs).
CARRIED_WORDS_KEY = "civic311.public.described"
SHOWN_MAX = 3
# A candidate is offered from this share of the floor up (under the floor, as "might fit").
SHOWN_SHARE_OF_FLOOR = 0.5


@dataclass(frozen=True)
class ShownSuggestion:
    service: Service
    percent: int | None  # how sure, 0-100; None when the keyword baseline answered (it has no confidence)
    explanation: str


@dataclass(frozen=True)
class ShownSuggestions:
    """What the page shows for the resident's words: the services to pick from, most likely first, and
    whether the suggester is unsure (then the page says so and points to the list)."""

    text: str
    services: tuple[ShownSuggestion, ...] = ()
    unsure: bool = True
    method: str = "none"  # suggesting's "model"/"keywords"/"none", or "baseline" (the fallback) or "failed"

    @property
    def answered(self) -> bool:
        return bool(self.text)


def described(raw: str | None) -> str:
    """The resident's words as the page keeps them: spaces single, NULs dropped, at most DESCRIBE_MAX_CHARS."""
    return " ".join((raw or "").replace("\x00", " ").split())[:DESCRIBE_MAX_CHARS]


def keep_words(session: SessionBase, service_code: str, raw: str | None) -> None:
    """Keep the resident's words (`described`) for the report form of the service they picked; no words,
    nothing kept (and any words kept before are dropped)."""
    text = described(raw)
    if text:
        session[CARRIED_WORDS_KEY] = {"service": service_code, "text": text}
    else:
        session.pop(CARRIED_WORDS_KEY, None)


def carried_words(session: SessionBase, service_code: str) -> str:
    """The words kept for this service's report form, taken once: they leave the session whatever service
    asks, so they start one form only. Anything else in their place reads as no words."""
    kept = session.pop(CARRIED_WORDS_KEY, None)
    if not isinstance(kept, dict) or kept.get("service") != service_code or not isinstance(kept.get("text"), str):
        return ""
    return described(kept["text"])


def _explained(suggestion: suggesting.ServiceSuggestion) -> str:
    try:
        return suggesting.explain(suggestion)
    except Exception:  # the sentence is a courtesy: a suggestion is still worth showing without it
        logger.exception("could not explain a service suggestion")
        percent = suggesting.percent_sure(suggestion.confidence)
        if suggestion.words:
            words = ", ".join(f"“{word}”" for word in suggestion.words[:3])
            return _("%(percent)s %% sure, from the words %(words)s.") % {"words": words, "percent": percent}
        return _("%(percent)s %% sure.") % {"percent": percent}


def suggested_services(jurisdiction: Jurisdiction, text: str, *, language: str | None = None) -> ShownSuggestions:
    """The services to offer for `text` (already `described`). Never raises."""
    if not text:
        return ShownSuggestions(text="")
    offered = {service.code: service for service in catalogue.offered_services(jurisdiction)}
    try:
        found = suggesting.suggest(jurisdiction, text, language=language, limit=SHOWN_MAX)
    except Exception:  # the suggester broken or not there: the keyword baseline answers alone
        logger.exception("the service suggester failed; the keyword baseline answers")
        return _baseline(jurisdiction, text, language, offered)
    # Only candidates not far under the floor are offered (as "might fit" when unsure): a guess at a few
    # percent helps no one choose.
    least = float(settings.CIVIC311_SUGGESTION_FLOOR) * SHOWN_SHARE_OF_FLOOR
    shown = tuple(
        ShownSuggestion(
            service=offered[suggestion.service.code],
            percent=suggesting.percent_sure(suggestion.confidence),
            explanation=_explained(suggestion),
        )
        for suggestion in found.services
        if suggestion.service.code in offered and suggestion.service.accepts_requests and suggestion.confidence >= least
    )
    return ShownSuggestions(text=text, services=shown, unsure=found.unsure or not shown, method=found.method)


def _baseline(
    jurisdiction: Jurisdiction, text: str, language: str | None, offered: dict[str, Service]
) -> ShownSuggestions:
    try:
        service = keyword_baseline.suggest_service(jurisdiction, text, language=language)
    except Exception:
        logger.exception("the keyword baseline failed too; the ordinary list answers")
        return ShownSuggestions(text=text, method="failed")
    if service is None or service.code not in offered:
        return ShownSuggestions(text=text, method="baseline")
    shown = ShownSuggestion(
        service=offered[service.code], percent=None, explanation=_("Some of your words match this service.")
    )
    # The baseline has no confidence: its answer is offered, never presented as sure.
    return ShownSuggestions(text=text, services=(shown,), unsure=True, method="baseline")
