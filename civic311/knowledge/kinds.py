"""The kinds of help article, by the words a resident reads above each article (a resident source of
public/resident_languages.py, kept apart from the models' staff-only words)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KIND_LABELS = {"answer": _("Question and answer"), "how_to": _("How-to guide"), "video": _("Video")}
