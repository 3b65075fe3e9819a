"""The reviews of the resident translations in the admin: a record, seen and filtered but never written here
(reviews are marked on `/translations/review/`). Who may see them: `roles.may_review_translations`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civic311.people import roles
from civic311.read_only_admin import ReadOnlyAdmin

from .models import TranslationReview

_FIELDS = ("language", "msgctxt", "msgid", "reviewed_text", "reviewed_by", "reviewed_at", "note")


@admin.register(TranslationReview)
class TranslationReviewAdmin(ReadOnlyAdmin):
    list_display = ["language", "msgid", "msgctxt", "reviewed_by", "reviewed_at"]
    list_filter = ["language", "reviewed_at"]
    search_fields = ["msgid", "reviewed_text", "note"]
    list_select_related = ["reviewed_by"]
    date_hierarchy = "reviewed_at"
    fields = _FIELDS
    readonly_fields = _FIELDS

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.may_review_translations(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.may_review_translations(request.user)
