"""Which service a resident's words are most likely about: the site's one search (`search`), asked for
services only, with the little words every sentence has left out.

Used wherever free text has to become a service: a liaison's meeting notes (`community`), a text message to
the city's SMS number (`inbox`). It lives here, next to the search it asks, rather than in `catalogue`: the
catalogue is a lower layer than the search index and may not import it.
"""

from __future__ import annotations

from collections.abc import Iterable

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction

from . import search
from .models import SearchDocument

# Residents write sentences, not search queries: the search finds a service by any of a query's words, so the
# little words every sentence has ("the", "de") would suggest whichever service's text holds them.
_LITTLE_WORDS_TEXT = (
    "a an and are at be by for from has have in is it its of on or our the there this to was were we with "
    "they them their someone somebody people near next again still very lot lots thanks thank "
    "el la los las un una de del en y o que por con para hay es su sus nos"
)
LITTLE_WORDS = frozenset(_LITTLE_WORDS_TEXT.split())


def content_words(text: str) -> str:
    """The words of `text` that say something (three letters or more, not a little word), as one query."""
    return " ".join(word for word in search.words(text) if len(word) >= 3 and word not in LITTLE_WORDS)


def suggest_services(
    jurisdiction: Jurisdiction, texts: Iterable[str], *, language: str | None = None
) -> list[Service | None]:
    """The service each text most likely is about, from its words (typos forgiven, Spanish with English
    fallback), or None for a text none of whose words matches an offered service."""
    suggestions: list[Service | None] = []
    for text in texts:
        query = content_words(text)
        if not query:
            suggestions.append(None)
            continue
        found = search.search(jurisdiction, query, language=language, limit=1, kinds=(SearchDocument.Kind.SERVICE,))
        suggestions.append(next((hit.service for hit in found.hits if hit.service is not None), None))
    return suggestions


def suggest_service(jurisdiction: Jurisdiction, text: str, *, language: str | None = None) -> Service | None:
    """The service one text most likely is about, or None when no word matches any."""
    return suggest_services(jurisdiction, [text], language=language)[0]
