"""What the translation review pages and `manage.py translation_reviews` read (issue 21): each language's
resident messages with their review status, and the counts per status for every language with a catalogue.

A message of a language's catalogue (`civic311/locale/<locale_name>/LC_MESSAGES/django.po`) is resident-facing
when one of its `#:` references is a resident source (`resident_languages.is_resident_source`). Its status:

* `untranslated`: the catalogue has no translation for it (or only a fuzzy one, which Django does not use);
* `draft`: translated, never reviewed;
* `reviewed`: the current translation is the text a reviewer marked;
* `changed`: reviewed, but the translation in the file differs from the text the reviewer read.

The catalogues are read from `locale_dir` (settings.LOCALE_PATHS[0] unless given), on every call: the files
are the translations' one home, and a translator's edit shows at once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import get_language_info

from .catalogues import Entry, Key, messages, read_po
from .models import TranslationReview
from .resident_languages import RESIDENT_LANGUAGES, ResidentLanguage, catalogue_path, is_resident_message

UNTRANSLATED, DRAFT, CHANGED, REVIEWED = "untranslated", "draft", "changed", "reviewed"
STATUSES: tuple[str, ...] = (DRAFT, CHANGED, REVIEWED, UNTRANSLATED)
DRAFT_MARK = "# DRAFT:"  # the comment the machine-assisted catalogues begin with


def own_name(language: ResidentLanguage) -> str:
    """The language's name in the language itself (settings add the two Django lacks; its English name when
    neither knows it)."""
    try:
        return str(get_language_info(language.code)["name_local"])
    except KeyError:
        return language.english_name


def translated_name(language: ResidentLanguage) -> str:
    """The language's name in the language being spoken now (its English name when Django does not know it)."""
    try:
        return str(get_language_info(language.code)["name_translated"])
    except KeyError:
        return language.english_name


def reviewable_languages(locale_dir: Path | None = None) -> list[ResidentLanguage]:
    """The residents' languages that have a catalogue to review, in the language menu's order (not English,
    the source)."""
    return [
        language
        for language in RESIDENT_LANGUAGES
        if language.code != "en" and catalogue_path(language, locale_dir).is_file()
    ]


def reviewable_language(code: str, locale_dir: Path | None = None) -> ResidentLanguage | None:
    return next((language for language in reviewable_languages(locale_dir) if language.code == code), None)


def translation_text(entry: Entry) -> str:
    """A message's msgstr as one text, as a review stores it: a plural message's forms one a line, each
    after its index ("[0] …\\n[1] …"), so that any change of any form shows."""
    if entry.msgid_plural is None:
        return entry.msgstr.get(0, "")
    return "\n".join(f"[{index}] {text}" for index, text in sorted(entry.msgstr.items()))


def resident_entries(language: ResidentLanguage, locale_dir: Path | None = None) -> dict[Key, Entry]:
    """The resident messages of a language's catalogue, in file order."""
    return {
        key: entry
        for key, entry in messages(read_po(catalogue_path(language, locale_dir))).items()
        if is_resident_message(entry)
    }


def marked_draft(language: ResidentLanguage, locale_dir: Path | None = None) -> bool:
    """Whether the catalogue's opening comments still call it a draft (`# DRAFT: …`)."""
    with catalogue_path(language, locale_dir).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                return False
            if line.startswith(DRAFT_MARK):
                return True
    return False


def review_key(msgctxt: str | None, msgid: str) -> tuple[str, str]:
    """How a message's (msgctxt, msgid) is stored in a review: no context is ""."""
    return (msgctxt or "", msgid)


@dataclass(frozen=True)
class CatalogueMessage:
    """One resident message of a language, as the catalogue has it now, with its review if any."""

    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    translation: str  # `translation_text` of the msgstr in the file now
    status: str
    review: TranslationReview | None

    @property
    def key(self) -> Key:
        return (self.msgctxt, self.msgid)

    @property
    def reviewed_text(self) -> str | None:
        return self.review.reviewed_text if self.review is not None else None

    @property
    def choice(self) -> str:
        """The message's key as a form's checkbox sends it (`parse_choice` reads it back)."""
        return json.dumps([self.msgctxt, self.msgid], ensure_ascii=False)


def parse_choice(value: str) -> Key | None:
    """A checkbox's `CatalogueMessage.choice` read back; None when it is not one."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if (
        isinstance(parsed, list)
        and len(parsed) == 2
        and (parsed[0] is None or isinstance(parsed[0], str))
        and isinstance(parsed[1], str)
        and parsed[1]
    ):
        return (parsed[0], parsed[1])
    return None


def _reviews(language: ResidentLanguage) -> dict[tuple[str, str], TranslationReview]:
    return {
        (review.msgctxt, review.msgid): review
        for review in TranslationReview.objects.filter(language=language.code).select_related("reviewed_by")
    }


def _status(entry: Entry, translation: str, review: TranslationReview | None) -> str:
    if not entry.translated:
        return UNTRANSLATED
    if review is None:
        return DRAFT
    return REVIEWED if review.reviewed_text == translation else CHANGED


def language_messages(
    language: ResidentLanguage, *, status: str | None = None, locale_dir: Path | None = None
) -> list[CatalogueMessage]:
    """The language's resident messages in catalogue order with their status; only those of `status` when
    given (one of `STATUSES`)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    reviews = _reviews(language)
    found = []
    for entry in resident_entries(language, locale_dir).values():
        translation = translation_text(entry)
        review = reviews.get(review_key(entry.msgctxt, entry.msgid))
        message_status = _status(entry, translation, review)
        if status is None or message_status == status:
            found.append(
                CatalogueMessage(entry.msgctxt, entry.msgid, entry.msgid_plural, translation, message_status, review)
            )
    return found


@dataclass(frozen=True)
class LanguageCounts:
    """A line of the overview: a language's resident messages by status."""

    language: ResidentLanguage
    own_name: str
    marked_draft: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def draft(self) -> int:
        return self.counts.get(DRAFT, 0)

    @property
    def changed(self) -> int:
        return self.counts.get(CHANGED, 0)

    @property
    def reviewed(self) -> int:
        return self.counts.get(REVIEWED, 0)

    @property
    def untranslated(self) -> int:
        return self.counts.get(UNTRANSLATED, 0)


def language_review(
    language: ResidentLanguage, *, status: str | None = None, locale_dir: Path | None = None
) -> tuple[list[CatalogueMessage], LanguageCounts]:
    """A language's page: its resident messages (those of `status` when given) and its counts, from one
    reading of the catalogue."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    every = language_messages(language, locale_dir=locale_dir)
    shown = every if status is None else [message for message in every if message.status == status]
    return shown, _counts(language, every, locale_dir)


def _counts(language: ResidentLanguage, every: list[CatalogueMessage], locale_dir: Path | None) -> LanguageCounts:
    counted = Counter(message.status for message in every)
    return LanguageCounts(
        language,
        own_name(language),
        marked_draft(language, locale_dir),
        {status: counted.get(status, 0) for status in STATUSES},
    )


def language_counts(language: ResidentLanguage, locale_dir: Path | None = None) -> LanguageCounts:
    return _counts(language, language_messages(language, locale_dir=locale_dir), locale_dir)


def overview(
    locale_dir: Path | None = None, languages: Iterable[ResidentLanguage] | None = None
) -> list[LanguageCounts]:
    """The counts per status of every language with a catalogue (or of `languages`)."""
    chosen = reviewable_languages(locale_dir) if languages is None else list(languages)
    return [language_counts(language, locale_dir) for language in chosen]
