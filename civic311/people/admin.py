"""Admin for staff accounts, and the tightly held record of residents' contact details."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Requester, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Department"), {"fields": ("department",)}))
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Department"), {"fields": ("department",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "department")
    list_filter = (*UserAdmin.list_filter, "department")
    list_select_related = ("department",)


def _is_superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    """Residents' contact details are personal data: only superusers see them, whatever else a role grants.

    Requesters are created by the intake rule with their request, never here. No other admin lists
    or searches them.
    """

    list_display = ("__str__", "email", "phone", "created_at")
    search_fields = ("first_name", "last_name", "email", "phone")
    readonly_fields = ("created_at",)
    fields = ("first_name", "last_name", "email", "phone", "created_at")
    show_full_result_count = False

    def has_module_permission(self, request) -> bool:
        return _is_superuser(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_superuser(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_superuser(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_superuser(request)
