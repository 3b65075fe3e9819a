"""Admin for the service catalogue: departments, groups, services, their questions and routing rules.

The models' own `clean()` methods hold the rules (an SLA needs a number, a rule needs its trigger, a
group must belong to the service's city); ModelAdmin calls them on every save.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nested_admin
from django import forms
from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.admin import JurisdictionPickersMixin

from .models import AttributeValue, Department, EscalationStep, RoutingRule, Service, ServiceAttribute, ServiceGroup

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin

    _AdminBase = BaseModelAdmin[Any]
else:
    _AdminBase = object


class TranslationsMixin(_AdminBase):
    """Shows the `translations` JSON field as a small text area with a worked example (the model checks it)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name != "translations":
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 60, "spellcheck": "false"})
        kwargs["help_text"] = gettext(
            'Other languages as JSON, e.g. {"es": {"%(field)s": "…"}}. Translatable: %(fields)s. '
            "Anything left out is shown in English."
        ) % {"field": self.model.translatable_fields[0], "fields": ", ".join(self.model.translatable_fields)}
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class EscalationStepInline(admin.TabularInline):
    """The department's escalation ladder (run by `civic311.service_requests.escalation`)."""

    model = EscalationStep
    fields = ("order", "label", "offset_business_days", "notify_user", "notify_email")
    raw_id_fields = ("notify_user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("notify_user")


@admin.register(Department)
class DepartmentAdmin(JurisdictionPickersMixin, TranslationsMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "jurisdiction", "point_person", "contact_email", "contact_phone")
    list_filter = ("jurisdiction",)
    list_select_related = ("jurisdiction",)
    search_fields = ("name", "slug", "point_person")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("jurisdiction", "name", "slug", "point_person", "contact_email", "contact_phone")}),
        (_("Business hours"), {"fields": ("opens_at", "closes_at", "open_weekdays")}),
        (_("Translations"), {"fields": ("translations",)}),
    )
    inlines = [EscalationStepInline]


@admin.register(ServiceGroup)
class ServiceGroupAdmin(JurisdictionPickersMixin, TranslationsMixin, admin.ModelAdmin):
    list_display = ("name", "order", "jurisdiction")
    list_editable = ("order",)
    list_filter = ("jurisdiction",)
    list_select_related = ("jurisdiction",)
    search_fields = ("name",)
    fields = ("jurisdiction", "name", "order", "translations")


class RoutingRuleForm(forms.ModelForm):
    """A rule may only send requests to a department, or match a neighborhood, of the service's own city."""

    class Meta:
        model = RoutingRule
        fields = (
            "service",
            "order",
            "kind",
            "neighborhood",
            "department",
            "attribute_code",
            "attribute_value",
            "message",
            "translations",
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        jurisdiction_id = getattr(cleaned.get("service"), "jurisdiction_id", None)
        if jurisdiction_id:
            for name in ("neighborhood", "department"):
                chosen = cleaned.get(name)
                if chosen is not None and chosen.jurisdiction_id != jurisdiction_id:
                    self.add_error(name, gettext("This belongs to another jurisdiction than the service."))
        return cleaned


class AttributeValueInline(TranslationsMixin, nested_admin.NestedTabularInline):
    """A list question's choices, under the question: on the service's page and on the question's own."""

    model = AttributeValue
    extra = 0
    fields = ("order", "key", "name", "translations")
    verbose_name = _("choice")
    verbose_name_plural = _("choices")

    class Media:
        css = {"all": ("catalogue/admin.css",)}  # the row of a choice fits inside its question


class ServiceAttributeInline(TranslationsMixin, nested_admin.NestedStackedInline):
    """The service's questions, each with its choices: the whole form is edited on one page."""

    model = ServiceAttribute
    extra = 0
    verbose_name = _("question")
    verbose_name_plural = _("questions")
    fields = (
        ("order", "code", "datatype"),
        "description",
        "datatype_description",
        ("required", "variable"),
        "translations",
    )
    inlines = [AttributeValueInline]


class RoutingRuleInline(JurisdictionPickersMixin, TranslationsMixin, nested_admin.NestedStackedInline):
    model = RoutingRule
    form = RoutingRuleForm
    extra = 0
    fields = (
        "order",
        "kind",
        ("neighborhood", "department"),
        ("attribute_code", "attribute_value"),
        "message",
        "translations",
    )


@admin.register(Service)
class ServiceAdmin(JurisdictionPickersMixin, TranslationsMixin, nested_admin.NestedModelAdmin):
    list_display = ("code", "name", "group", "department", "sla", "kind", "is_active")
    list_display_links = ("code", "name")
    list_filter = ("kind", "is_active", "sla_unit", "group", "department", "jurisdiction")
    list_select_related = ("group", "department")
    search_fields = ("code", "name", "keywords")
    fieldsets = (
        (None, {"fields": ("jurisdiction", "code", "name", "group", "department", "kind", "is_active", "order")}),
        (_("What residents see"), {"fields": ("description", "keywords", "service_notice")}),
        (_("Service level"), {"fields": ("sla_unit", "sla_value")}),
        (_("Possible duplicates"), {"fields": ("duplicate_radius_m", "duplicate_window_days")}),
        (_("Open311"), {"fields": ("open311_type",)}),
        (_("Translations"), {"fields": ("translations",)}),
        (_("Demo data"), {"fields": ("typical_volume",), "classes": ("collapse",)}),
    )
    inlines = [ServiceAttributeInline, RoutingRuleInline]

    @admin.display(description=_("SLA"), ordering="sla_value")
    def sla(self, service: Service) -> str:
        count = service.sla_value
        if service.sla_unit == Service.SlaUnit.NONE or not count:
            return gettext("No SLA")
        if service.sla_unit == Service.SlaUnit.HOURS:
            return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}
        return ngettext("%(count)d business day", "%(count)d business days", count) % {"count": count}


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(JurisdictionPickersMixin, TranslationsMixin, nested_admin.NestedModelAdmin):
    list_display = ("code", "service", "datatype", "required", "variable", "order")
    list_filter = ("datatype", "required")
    list_select_related = ("service",)
    search_fields = ("code", "description", "service__code", "service__name")
    fields = (
        "service",
        "order",
        "code",
        "datatype",
        "description",
        "datatype_description",
        "required",
        "variable",
        "translations",
    )
    inlines = [AttributeValueInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(JurisdictionPickersMixin, TranslationsMixin, admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("service", "kind", "neighborhood", "department", "attribute_code", "attribute_value", "order")
    list_filter = ("kind",)
    list_select_related = ("service", "neighborhood", "department")
    search_fields = ("service__code", "service__name", "attribute_code", "attribute_value")
    fields = (
        "service",
        "order",
        "kind",
        ("neighborhood", "department"),
        ("attribute_code", "attribute_value"),
        "message",
        "translations",
    )
