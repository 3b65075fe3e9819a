from django.contrib import admin

from civic311.catalogue.models import Department
from civic311.jurisdictions.admin import JurisdictionPickersMixin
from civic311.people import roles

from .models import ResponseTemplate


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(JurisdictionPickersMixin, admin.ModelAdmin):
    """Supervisors and admins write any template; a department manager only their departments' (the rule
    is `roles.may_manage_response_templates`; the model permissions come with those roles)."""

    list_display = ("title", "department", "jurisdiction", "is_public", "is_active")
    list_filter = ("is_active", "is_public", "jurisdiction", "department")
    search_fields = ("title", "body")
    list_select_related = ("department", "jurisdiction")

    def _sees_all(self, request) -> bool:
        return roles.may_manage_response_templates(request.user, None)

    def get_queryset(self, request):
        templates = super().get_queryset(request)
        if self._sees_all(request):
            return templates
        return templates.filter(department_id__in=roles.managed_departments(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "department" and not self._sees_all(request):
            managed = roles.managed_departments(request.user)
            field.queryset = Department.objects.filter(pk__in=managed)
            field.required = True  # a city-wide template is not a manager's to write
        return field

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or roles.may_manage_response_templates(request.user, obj.department_id))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or roles.may_manage_response_templates(request.user, obj.department_id))
