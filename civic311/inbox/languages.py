"""Which of the shipped languages a resident wrote in, so that answers are in it.

py3langid (a maintained fork of langid.py) ships its model inside the package: nothing is downloaded. It is
asked to choose among the site's languages only, and a text too short or too uncertain to tell (a tracking
number, "ok") is given no language, so the caller falls back to what it knows (the customer's preference,
the city's default)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from civic311.people.selectors import supported_language

# Below this many letters a guess is a coin toss; below this probability it is not trusted.
MIN_LETTERS = 12
MIN_PROBABILITY = 0.8


# Characters common in Traditional Chinese whose Simplified forms differ: langid tells "zh" only, and a few of
# these in a message say which script the resident writes (a full converter such as OpenCC is not worth a
# dependency for choosing between two answers).
_TRADITIONAL = frozenset("們個這來時會說對國與為無過還後開關問題區電話車點請謝應該經讓從當種樣發現爛線號碼")


@cache
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted({_model_code(code) for code in languages}))
    return identifier


def _model_code(code: str) -> str:
    """langid's code for a site language: "zh" for both Chinese scripts."""
    return code.split("-")[0]


def _site_code(found: str, text: str, languages: tuple[str, ...]) -> str:
    if found != "zh":
        return next((code for code in languages if _model_code(code) == found), "")
    traditional = "zh-hant" if any(character in _TRADITIONAL for character in text) else "zh-hans"
    return traditional if traditional in languages else next((c for c in languages if c.startswith("zh")), "")


def site_languages() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def guess_language(text: str) -> str:
    """A code of settings.LANGUAGES, or "" when the text does not say clearly enough."""
    text = (text or "").strip()
    if sum(character.isalpha() for character in text) < MIN_LETTERS:
        return ""
    languages = site_languages()
    if len(languages) == 1:
        return languages[0]
    language, probability = _identifier(languages).classify(text)
    return _site_code(str(language), text, languages) if probability >= MIN_PROBABILITY else ""


def answer_language(preferred: str, text: str) -> str:
    """The language to answer a resident in: theirs on record (a customer's preferred language), else the one
    their message is written in, else "" (the caller falls back to the site's)."""
    return supported_language(preferred) or guess_language(text)
