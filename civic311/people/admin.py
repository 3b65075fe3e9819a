"""Admin for staff accounts, and the tightly held record of residents' contact details."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.admin import JurisdictionPickersMixin
from civic311.read_only_admin import ReadOnlyAdmin

from . import roles, selectors
from . import services as customer_services
from .contact_details import format_phone
from .models import (
    PersonalDataAccess,
    Requester,
    RoleAssignment,
    SignInEvent,
    Team,
    User,
)

ADMIN = "admin"  # where the personal-data audit says a look happened (the customer records say it too)


class RoleAssignmentInline(JurisdictionPickersMixin, admin.TabularInline):
    """A staff member's roles. Only admins (superusers or the admin role) grant and revoke, and every
    change goes through `services.grant_role` / `revoke_role` (checks, audit, groups)."""

    model = RoleAssignment
    fk_name = "user"
    extra = 0
    pickers_limited_to_city = False
    fields = ("role", "department", "granted_by", "granted_at")
    readonly_fields = ("granted_by", "granted_at")

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.may_see_role_assignments(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return roles.may_grant_roles(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return roles.may_grant_roles(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.may_grant_roles(request.user)


@admin.register(User)
class StaffAdmin(JurisdictionPickersMixin, UserAdmin):
    pickers_limited_to_city = False
    # The team is changed on the team's page (one path: `services.move_to_team`).
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Department"), {"fields": ("department", "team")}))
    # When someone last signed in and joined are the system's record, never typed (and read-only, they are plain
    # text rather than the split date-time boxes whose inputs have no label of their own).
    readonly_fields = ("team", "last_login", "date_joined")
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Department"), {"fields": ("department",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "department")
    list_filter = (*UserAdmin.list_filter, "department", "role_assignments__role")
    list_select_related = ("department",)
    inlines = (RoleAssignmentInline,)

    def get_inlines(self, request, obj):
        # Roles are granted once the account exists (and is staff): not on the add page.
        return self.inlines if obj is not None else ()

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        user = form.instance
        try:
            with transaction.atomic():
                for item_form in formset.forms:
                    data = getattr(item_form, "cleaned_data", None)
                    if not data:
                        continue
                    stored = item_form.instance if item_form.instance.pk else None
                    if stored is not None and (data.get("DELETE") or item_form.has_changed()):
                        stored = RoleAssignment.objects.get(pk=stored.pk)
                        customer_services.revoke_role(
                            user, stored.role, department=stored.department, actor=request.user
                        )
                    if not data.get("DELETE") and item_form.has_changed():
                        customer_services.grant_role(
                            user, data["role"], department=data.get("department"), actor=request.user
                        )
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
        # The admin's change message is written by the services' own log entries.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class TeamForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        label=_("members"),
        required=False,
        queryset=User.objects.filter(is_staff=True, is_active=True),
        widget=FilteredSelectMultiple(_("members"), is_stacked=False),
    )

    class Meta:
        model = Team
        fields = ("jurisdiction", "name", "supervisor")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.members.values_list("pk", flat=True))

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("jurisdiction") is not None:
            try:
                customer_services.check_team(
                    Team(
                        jurisdiction=data["jurisdiction"], name=data.get("name", ""), supervisor=data.get("supervisor")
                    )
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Contact-centre teams: their supervisor coaches their agents on survey results. Admins manage them,
    through `services.save_team` / `move_to_team`."""

    form = TeamForm
    list_display = ("name", "jurisdiction", "supervisor", "member_count")
    list_select_related = ("jurisdiction", "supervisor")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj: Team) -> int:
        return getattr(obj, "member_total", 0)

    def save_model(self, request, obj, form, change) -> None:
        customer_services.save_team(obj, actor=request.user)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        team = form.instance
        chosen = {user.pk: user for user in form.cleaned_data.get("members") or []}
        for user in team.members.exclude(pk__in=chosen):
            customer_services.move_to_team(user, None, actor=request.user)
        for user in chosen.values():
            if user.team_id != team.pk:
                customer_services.move_to_team(user, team, actor=request.user)


def _may_browse_requesters(request) -> bool:
    return roles.may_browse_requesters(request.user)


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    """Residents' contact details are personal data: only superusers see them, whatever else a role grants.

    Requesters are created by the intake rule with their request, never here. No other admin lists
    or searches them.
    """

    list_display = ("__str__", "email", "phone_shown", "created_at")
    search_fields = ("first_name", "last_name", "email", "phone")
    readonly_fields = ("created_at",)
    fields = ("first_name", "last_name", "email", "phone", "created_at")
    show_full_result_count = False

    @admin.display(description=_("phone"), ordering="phone")
    def phone_shown(self, obj: Requester) -> str:
        return format_phone(obj.phone)  # stored as E.164, read as "(215) 686-8686"

    def has_module_permission(self, request) -> bool:
        return _may_browse_requesters(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _may_browse_requesters(request)

    def has_add_permission(self, request) -> bool:
        return False

    # Even a superuser's looks are audited: the list (many residents at once), a search, one requester.
    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and _may_browse_requesters(request):
            searched = bool(request.GET.get("q"))
            selectors.audit_look(
                request.user,
                where="admin: requesters",
                purpose=PersonalDataAccess.Purpose.SEARCH if searched else PersonalDataAccess.Purpose.VIEW,
            )
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        requester = self.get_object(request, object_id)
        if requester is not None and request.method == "GET":
            selectors.audit_look(request.user, requester=requester, where=ADMIN)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_change_permission(self, request, obj=None) -> bool:
        return _may_browse_requesters(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.may_delete_records(request.user)


# --- the audits ------------------------------------------------------------------------------------------


class AuditAdmin(ReadOnlyAdmin):
    """An audit (rows with an `at`): read-only, and only superusers see it."""

    date_hierarchy = "at"
    show_full_result_count = False

    def has_module_permission(self, request) -> bool:
        return roles.may_read_audits(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.may_read_audits(request.user)


@admin.register(SignInEvent)
class SignInEventAdmin(AuditAdmin):
    """The audit of staff sign-in (civic311/people/sign_in.py)."""

    list_display = ("at", "username", "outcome", "client_address")
    list_filter = ("outcome",)
    search_fields = ("username", "client_address")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(AuditAdmin):
    """The audit of staff looking at residents' personal data."""

    list_display = ("at", "user", "purpose", "where", "customer")
    list_filter = ("purpose", "where")
    list_select_related = ("user", "customer")
