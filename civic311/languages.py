"""Which language a text is wanted in, and which stored translation answers for it.

Translations are stored under Django's language codes in lower case ("es", "zh-hans", "zh-hant"). Cutting a
code at its dash, as the first two languages allowed, would make "zh-hans" and "zh-hant" one "zh" and find
neither; so a lookup tries the whole code first and then its base ("es-mx" finds "es").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import get_language


def language_key(language: str | None = None) -> str:
    """The code a text in `language` (the active language when not given) is stored and cached under."""
    code = (language or get_language() or settings.LANGUAGE_CODE).strip().lower().replace("_", "-")
    return code or settings.LANGUAGE_CODE


def lookup_codes(language: str | None = None) -> tuple[str, ...]:
    """The codes to try, best first, for a text in `language`: the whole code, then its base."""
    key = language_key(language)
    base = key.split("-")[0]
    return (key,) if base == key else (key, base)


def translated(translations: Any, field: str, language: str | None = None) -> str | None:
    """`translations[<code>][field]` for the first of `lookup_codes` that has a non-empty text, else None
    (`translations` as the catalogue stores them: {"es": {"name": "…"}})."""
    if not isinstance(translations, dict):
        return None
    for code in lookup_codes(language):
        texts = translations.get(code)
        text = texts.get(field) if isinstance(texts, dict) else None
        if isinstance(text, str) and text:
            return text
    return None
