"""The reviews of the resident translations (issue 21): a catalogue under civic311/locale is a draft until a
speaker of the language has read it. A `TranslationReview` records that one message's translation, as it
read then, was reviewed by someone; when a translator later changes the msgstr in the .po file, the stored
text no longer matches and the message shows as changed since its review (`translation_selectors`).

The .po files stay the translations' only home: translators edit them, and these rows only record reviews.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TranslationReview(models.Model):
    """One message of one language's catalogue, reviewed by a speaker: who, when, and the text they read."""

    language = models.CharField(_("language"), max_length=12)
    msgctxt = models.TextField(_("context"), blank=True)  # gettext's msgctxt ("" when the message has none)
    msgid = models.TextField(_("English text"))
    # The msgstr as reviewed; a plural message's forms one a line, each after its index ("[0] …").
    reviewed_text = models.TextField(_("reviewed translation"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("translation review")
        verbose_name_plural = _("translation reviews")
        ordering = ["language", "msgctxt", "msgid"]
        constraints = [
            models.UniqueConstraint(fields=["language", "msgctxt", "msgid"], name="one_review_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.msgid[:60]}"
