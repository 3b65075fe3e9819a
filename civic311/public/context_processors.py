"""Whether the page's language is a draft translation, so that base.html can tell the resident so."""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest

from civic311.languages import language_key

from .resident_languages import catalogue_path, resident_language
from .translation_selectors import marked_draft


def draft_language(request: HttpRequest) -> dict[str, bool]:
    language = resident_language(language_key())
    if language is None or language.code == "en":
        return {"language_is_draft": False}
    try:
        stamp = catalogue_path(language).stat().st_mtime_ns
    except OSError:
        return {"language_is_draft": False}
    return {"language_is_draft": _marked_draft(language.code, stamp)}


@lru_cache(maxsize=64)
def _marked_draft(code: str, stamp: int) -> bool:
    # Keyed by the catalogue's modification time: a reviewer's edit that removes the mark shows without a restart.
    language = resident_language(code)
    return language is not None and marked_draft(language)
