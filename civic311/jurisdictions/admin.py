"""Admin for jurisdictions, their business calendar (holidays) and neighborhoods.

Saving any of these forgets the cached geography and calendar (see `signals.py`), so a corrected
boundary or a new holiday applies to the next report at once in this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Holiday, Jurisdiction, Neighborhood

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


class BoundaryWidgetMixin(_AdminBase):
    """A roomy text area and a worked example for GeoJSON boundaries (the model validates them)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "boundary":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 6, "cols": 80, "spellcheck": "false"})
            kwargs["help_text"] = (format_lazy("{} {}", db_field.help_text, BOUNDARY_HELP)
                                   if db_field.help_text else BOUNDARY_HELP)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1
    fields = ("date", "name")


@admin.register(Jurisdiction)
class JurisdictionAdmin(BoundaryWidgetMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "jurisdiction_id", "host", "time_zone", "is_default")
    search_fields = ("name", "slug", "jurisdiction_id", "host")
    readonly_fields = ("next_tracking_number",)
    fieldsets = (
        (_("Identity"), {"fields": ("name", "slug", "jurisdiction_id", "host", "is_default",
                                    "contact_email", "contact_phone", "next_tracking_number")}),
        (_("Open data"), {"fields": ("publish_descriptions",)}),
        (_("Bounds and boundary"), {
            "description": _("Reports from outside the bounds, or outside the boundary when one is set, "
                             "are refused."),
            "fields": (("min_lat", "max_lat"), ("min_long", "max_long"), "boundary"),
        }),
        (_("Business calendar"), {
            "description": _("Business-day SLAs are counted on working weekdays between these hours, "
                             "skipping the holidays below."),
            "fields": ("time_zone", "business_day_start", "business_day_end", "intake_cutoff",
                       "working_weekdays"),
        }),
    )
    prepopulated_fields = {"slug": ("name",)}
    inlines = [HolidayInline]


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
