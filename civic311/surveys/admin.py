"""Training records are kept in the admin (administrators add a surveyor's course and its expiry). The
survey questions and answers are not editable here: published versions never change (see `services`)."""

from __future__ import annotations

from django.contrib import admin

from .models import SurveyorTraining


@admin.register(SurveyorTraining)
class SurveyorTrainingAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "completed_on", "expires_on")
    list_filter = ("course",)
    search_fields = ("user__username", "course")
    autocomplete_fields = ("user",)
    date_hierarchy = "completed_on"
