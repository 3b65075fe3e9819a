"""Recording the reviews of the resident translations (issue 21): a reviewer marks messages of a language as
reviewed (the translation as it reads now is stored with who and when), or withdraws a review. The .po
files are not written here: translators edit them; `translation_selectors` compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.people import roles
from civic311.people.models import User

from . import translation_selectors as selectors
from .catalogues import Key
from .models import TranslationReview
from .resident_languages import ResidentLanguage

NOTE_LENGTH = 2000


def _language(code: str, locale_dir: Path | None) -> ResidentLanguage:
    language = selectors.reviewable_language(code, locale_dir)
    if language is None:
        raise ValidationError(
            _("%(code)s is not a language with a catalogue to review.") % {"code": code}, code="unknown_language"
        )
    return language


def _short(msgid: str) -> str:
    return msgid if len(msgid) <= 60 else msgid[:59] + "…"


def mark_reviewed(
    language: str,
    entries: Iterable[Key],
    reviewer: User,
    note: str = "",
    *,
    locale_dir: Path | None = None,
) -> list[TranslationReview]:
    """Record that `reviewer` reviewed these messages ((msgctxt, msgid) pairs) of a language's catalogue as
    they read now: one review per message, replacing an earlier one. All or nothing: a message that is not a
    resident message of the catalogue, or has no translation to review, refuses the lot."""
    roles.require(roles.may_review_translations(reviewer), _("You may not review translations."))
    wanted = list(dict.fromkeys(entries))
    if not wanted:
        raise ValidationError(_("Choose the messages you reviewed."), code="nothing_chosen")
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise ValidationError(
            _("Keep the note under %(count)d characters.") % {"count": NOTE_LENGTH}, code="note_too_long"
        )
    chosen = _language(language, locale_dir)
    current = selectors.resident_entries(chosen, locale_dir)
    unknown = [msgid for msgctxt, msgid in wanted if (msgctxt, msgid) not in current]
    if unknown:
        raise ValidationError(
            _("Not a resident message of the %(language)s catalogue: %(messages)s")
            % {
                "language": selectors.translated_name(chosen),
                "messages": "; ".join(repr(_short(msgid)) for msgid in unknown),
            },
            code="unknown_message",
        )
    untranslated = [key[1] for key in wanted if not current[key].translated]
    if untranslated:
        raise ValidationError(
            _("There is no translation to review yet: %(messages)s")
            % {"messages": "; ".join(repr(_short(msgid)) for msgid in untranslated)},
            code="untranslated",
        )
    now = timezone.now()
    reviews = []
    with transaction.atomic():
        for key in wanted:
            msgctxt, msgid = selectors.review_key(*key)
            review, _created = TranslationReview.objects.update_or_create(
                language=chosen.code,
                msgctxt=msgctxt,
                msgid=msgid,
                defaults={
                    "reviewed_text": selectors.translation_text(current[key]),
                    "reviewed_by": reviewer,
                    "reviewed_at": now,
                    "note": note,
                },
            )
            reviews.append(review)
    return reviews


def withdraw_review(language: str, entries: Iterable[Key], actor: User, *, locale_dir: Path | None = None) -> int:
    """Withdraw the reviews of these messages of a language (they are drafts again); returns how many there
    were. All or nothing: a message without a review refuses the lot."""
    roles.require(roles.may_review_translations(actor), _("You may not review translations."))
    wanted = [selectors.review_key(*key) for key in dict.fromkeys(entries)]
    if not wanted:
        raise ValidationError(_("Choose the messages whose review to withdraw."), code="nothing_chosen")
    chosen = _language(language, locale_dir)
    with transaction.atomic():
        reviews = {
            (review.msgctxt, review.msgid): review.pk
            for review in TranslationReview.objects.select_for_update().filter(
                language=chosen.code, msgid__in=[msgid for _msgctxt, msgid in wanted]
            )
        }
        missing = [msgid for (msgctxt, msgid) in wanted if (msgctxt, msgid) not in reviews]
        if missing:
            raise ValidationError(
                _("Not reviewed, so there is no review to withdraw: %(messages)s")
                % {"messages": "; ".join(repr(_short(msgid)) for msgid in missing)},
                code="not_reviewed",
            )
        deleted, _by_model = TranslationReview.objects.filter(pk__in=[reviews[key] for key in wanted]).delete()
    return deleted
