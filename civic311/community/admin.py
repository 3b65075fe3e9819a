"""The program's records in the admin: seen and filtered, never written here. Applications are decided,
sessions run and liaisons changed on community staff's own pages (`community:staff_home`), through the
services that check the rules and send the e-mails; the admin links to them ("View on site")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse

from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.read_only_admin import ReadOnlyAdmin

from .models import Liaison, LiaisonApplication, TrainingRegistration, TrainingSession


def _cities_seen(request: HttpRequest) -> list[int]:
    """The cities whose program the user's admin pages show (`roles.sees_jurisdiction`)."""
    return [pk for pk in Jurisdiction.objects.values_list("pk", flat=True) if roles.sees_jurisdiction(request.user, pk)]


class _ProgrammeAdmin(ReadOnlyAdmin):
    """Read-only, for the staff who run the program (`roles.may_run_community_programmes`)."""

    # The change page still builds (and then shows read-only) a form: its link fields as Django 6 will.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.may_run_community_programmes(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.may_run_community_programmes(request.user)

    # The path from the record to its city: community staff see their own city's programme only, as on
    # their pages (`roles.sees_jurisdiction`); the admin must not show another city's applicants.
    city_field = "jurisdiction"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(**{f"{self.city_field}__in": _cities_seen(request)})


@admin.register(LiaisonApplication)
class LiaisonApplicationAdmin(_ProgrammeAdmin):
    list_display = ["__str__", "jurisdiction", "status", "created_at", "decided_at"]
    list_filter = ["jurisdiction", "status", "heard_about"]
    search_fields = ["first_name", "last_name", "email"]
    date_hierarchy = "created_at"
    exclude = ["neighborhoods"]
    readonly_fields = ["neighborhood_names"]

    @admin.display(description="neighborhoods")
    def neighborhood_names(self, obj: LiaisonApplication) -> str:
        return ", ".join(neighborhood.name for neighborhood in obj.neighborhoods.all())

    def view_on_site(self, obj: LiaisonApplication) -> str:
        return reverse("community:application", args=[obj.pk])


@admin.register(Liaison)
class LiaisonAdmin(_ProgrammeAdmin):
    list_display = ["__str__", "jurisdiction", "status", "trained_at", "refresher_due_on", "last_active_at"]
    list_filter = ["jurisdiction", "status"]
    search_fields = ["first_name", "last_name", "email"]
    exclude = ["neighborhoods"]
    readonly_fields = ["neighborhood_names"]

    @admin.display(description="neighborhoods")
    def neighborhood_names(self, obj: Liaison) -> str:
        return ", ".join(neighborhood.name for neighborhood in obj.neighborhoods.all())

    def view_on_site(self, obj: Liaison) -> str:
        return reverse("community:liaison", args=[obj.pk])


class _RegistrationInline(admin.TabularInline[TrainingRegistration, TrainingSession]):
    model = TrainingRegistration
    fields = ("liaison", "registered_at", "attended", "completed_at", "certificate_number")
    readonly_fields = ("liaison", "registered_at", "attended", "completed_at", "certificate_number")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.may_run_community_programmes(request.user)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(session__jurisdiction__in=_cities_seen(request))


@admin.register(TrainingSession)
class TrainingSessionAdmin(_ProgrammeAdmin):
    list_display = ["title", "jurisdiction", "kind", "starts_at", "language", "capacity", "cancelled_at"]
    list_filter = ["jurisdiction", "kind", "language"]
    search_fields = ["title", "trainer", "place"]
    date_hierarchy = "starts_at"
    inlines = [_RegistrationInline]

    def view_on_site(self, obj: TrainingSession) -> str:
        return reverse("community:training", args=[obj.pk])


@admin.register(TrainingRegistration)
class TrainingRegistrationAdmin(_ProgrammeAdmin):
    list_display = ["liaison", "session", "attended", "completed_at", "certificate_number"]
    list_filter = ["session__jurisdiction", "attended"]
    search_fields = ["certificate_number", "liaison__first_name", "liaison__last_name"]
    list_select_related = ["liaison", "session"]
    city_field = "session__jurisdiction"
