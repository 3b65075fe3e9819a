"""Admin for jurisdictions, their business calendar (holidays) and neighborhoods.

Saving any of these forgets the cached geography and calendar (see `signals.py`), so a corrected
boundary or a new holiday applies to the next report at once in this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import tracking_numbers
from .models import Holiday, Jurisdiction, Neighborhood, StreetSegment

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin

    _AdminBase = BaseModelAdmin[Any]
else:
    _AdminBase = object

BOUNDARY_HELP = _(
    "GeoJSON geometry of type Polygon or MultiPolygon, longitude before latitude, e.g. "
    '{"type": "Polygon", "coordinates": [[[-75.18, 39.94], [-75.14, 39.94], [-75.14, 39.96], '
    "[-75.18, 39.96], [-75.18, 39.94]]]}."
)


def _is_per_city(model: type[models.Model] | None) -> bool:
    """Departments, groups, services, neighborhoods, teams…: rows that belong to one jurisdiction."""
    if model is None or model is Jurisdiction:
        return False
    try:
        field = model._meta.get_field("jurisdiction")
    except FieldDoesNotExist:
        return False
    return getattr(field, "related_model", None) is Jurisdiction


def _with_city(row: models.Model) -> str:
    city = getattr(row, "jurisdiction", None)
    return f"{row} ({city.jurisdiction_id})" if city is not None else str(row)


class CityChoiceField(forms.ModelChoiceField):
    """A picker that names each row's jurisdiction: two cities' "Streets Department" are told apart."""

    def label_from_instance(self, obj: models.Model) -> str:
        return _with_city(obj)


class CityMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: models.Model) -> str:
        return _with_city(obj)


def jurisdiction_of(obj: object) -> int | None:
    """The jurisdiction an object being edited belongs to, directly or through its service or department."""
    if obj is None:
        return None
    if isinstance(obj, Jurisdiction):
        return obj.pk
    for path in (
        "jurisdiction_id",
        "service.jurisdiction_id",
        "department.jurisdiction_id",
        "attribute.service.jurisdiction_id",
    ):
        value: Any = obj
        try:
            for name in path.split("."):
                value = getattr(value, name)
        except (AttributeError, ObjectDoesNotExist):
            continue
        if value is not None:
            return value
    return None


def limit_pickers_to_city(form_class: Any, jurisdiction_id: int | None) -> None:
    """Offer only the jurisdiction's own rows in a form's per-city pickers (the form class is the admin's
    own copy, made for this request)."""
    if jurisdiction_id is None:
        return
    for field in form_class.base_fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and _is_per_city(queryset.model):
            field.queryset = queryset.filter(jurisdiction_id=jurisdiction_id)


class JurisdictionPickersMixin(_AdminBase):
    """Every picker of a department, group, service or neighborhood names its jurisdiction, and on an
    object that belongs to a jurisdiction offers only that jurisdiction's rows."""

    # False where the object may move between cities (a member of staff changing department).
    pickers_limited_to_city = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if (
            _is_per_city(db_field.related_model)
            and "widget" not in kwargs
            and db_field.name not in (*self.raw_id_fields, *self.autocomplete_fields)
        ):
            kwargs.setdefault("form_class", CityChoiceField)
            kwargs.setdefault("queryset", db_field.related_model._default_manager.select_related("jurisdiction"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if _is_per_city(db_field.related_model) and db_field.name not in (
            *self.raw_id_fields,
            *self.autocomplete_fields,
        ):
            kwargs.setdefault("form_class", CityMultipleChoiceField)
            kwargs.setdefault("queryset", db_field.related_model._default_manager.select_related("jurisdiction"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        if self.pickers_limited_to_city:
            limit_pickers_to_city(form, jurisdiction_of(obj))
        return form

    def get_formset(self, request, obj=None, **kwargs):
        # An inline's pickers offer the rows of the city of the object the page is about.
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        if self.pickers_limited_to_city:
            limit_pickers_to_city(formset.form, jurisdiction_of(obj))
        return formset


class BoundaryWidgetMixin(_AdminBase):
    """A roomy text area and a worked example for GeoJSON boundaries (the model validates them)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "boundary":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 6, "cols": 80, "spellcheck": "false"})
            kwargs["help_text"] = (
                format_lazy("{} {}", db_field.help_text, BOUNDARY_HELP) if db_field.help_text else BOUNDARY_HELP
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1
    fields = ("date", "name")


@admin.register(Jurisdiction)
class JurisdictionAdmin(BoundaryWidgetMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "jurisdiction_id", "host", "time_zone", "is_default")
    search_fields = ("name", "slug", "jurisdiction_id", "host")
    readonly_fields = ("next_number",)
    fieldsets = (
        (
            _("Identity"),
            {
                "fields": (
                    "name",
                    "slug",
                    "jurisdiction_id",
                    "host",
                    "is_default",
                    "contact_email",
                    "contact_phone",
                    "next_number",
                )
            },
        ),
        (_("Open data"), {"fields": ("publish_descriptions",)}),
        (
            _("Bounds and boundary"),
            {
                "description": _(
                    "Reports from outside the bounds, or outside the boundary when one is set, are refused."
                ),
                "fields": (("min_lat", "max_lat"), ("min_long", "max_long"), "boundary"),
            },
        ),
        (
            _("Business calendar"),
            {
                "description": _(
                    "Business-day SLAs are counted on working weekdays between these hours, "
                    "skipping the holidays below."
                ),
                "fields": ("time_zone", "business_day_start", "business_day_end", "intake_cutoff", "working_weekdays"),
            },
        ),
    )
    prepopulated_fields = {"slug": ("name",)}
    inlines = [HolidayInline]

    @admin.display(description=_("next tracking number"))
    def next_number(self, jurisdiction: Jurisdiction) -> str:
        return str(tracking_numbers.next_number(jurisdiction)) if jurisdiction.pk else "—"


@admin.register(Neighborhood)
class NeighborhoodAdmin(BoundaryWidgetMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "jurisdiction")
    list_filter = ("jurisdiction",)
    list_select_related = ("jurisdiction",)
    search_fields = ("name", "slug")
    fields = ("jurisdiction", "name", "slug", "boundary")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "jurisdiction")
    list_filter = ("jurisdiction",)
    list_select_related = ("jurisdiction",)
    search_fields = ("name",)
    date_hierarchy = "date"
    fields = ("jurisdiction", "date", "name")


@admin.register(StreetSegment)
class StreetSegmentAdmin(admin.ModelAdmin):
    """Read-only: a city's streets come from its street file (`manage.py import_streets`), which replaces
    them all at once."""

    list_display = ("name", "from_number", "to_number", "jurisdiction")
    list_filter = ("jurisdiction",)
    list_select_related = ("jurisdiction",)
    search_fields = ("name", "key")
    fields = ("jurisdiction", "name", "key", "from_number", "to_number", "line")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
