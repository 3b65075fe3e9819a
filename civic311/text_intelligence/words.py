"""Words as every reader here compares them: folded to lower case without accents, links and emoji
dropped, and never longer than a reader needs (a 10,000-character text is read by its first part)."""

from __future__ import annotations

import re
import unicodedata

# Enough for any report or post; past it, a text is a letter and its start says what it is about.
READ_MAX_CHARS = 2000

_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def fold(text: str) -> str:
    """Lower case, accents dropped ("Calle Ñandú" → "calle nandu"), links and symbols gone, spaces single."""
    text = _LINK.sub(" ", (text or "")[:READ_MAX_CHARS])
    return " ".join(_WORD.findall(without_accents(text.lower())))


def without_accents(text: str) -> str:
    """`text` with its accents dropped ("Ñandú" → "Nandu"), everything else kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return fold(text).split()
