"""Admin for the forwarding client: work-order systems and what was forwarded to them.

A city sets up, per department, the GeoReport v2 endpoint of the department's own work-order system and
the services it takes. What was forwarded is shown read-only, with its state, attempts, last error and
their id; "Retry now" sends (or checks a token) at once, through `civic311.open311.forwarding`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.admin import JurisdictionPickersMixin

from . import forwarding
from .models import ForwardedRequest, WorkOrderSystem


class WorkOrderSystemForm(forms.ModelForm):
    """Their API key is never shown again once saved: leave it empty to keep it, or tick to remove it."""

    endpoint = forms.URLField(
        label=_("GeoReport v2 endpoint"),
        max_length=200,
        assume_scheme="https",
        help_text=_("The base URL, e.g. https://workorders.example.gov/open311/v2/"),
    )
    api_key = forms.CharField(
        label=_("their API key"),
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the key already saved."),
    )
    clear_api_key = forms.BooleanField(label=_("remove the saved key"), required=False)

    class Meta:
        model = WorkOrderSystem
        fields = (
            "department",
            "name",
            "endpoint",
            "remote_jurisdiction_id",
            "api_key",
            "is_active",
            "services",
            "service_code_map",
        )

    def clean_endpoint(self) -> str:
        endpoint = (self.cleaned_data.get("endpoint") or "").strip()
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise forms.ValidationError(gettext("The endpoint must be an http or https address."))
        if endpoint and not endpoint.endswith("/"):
            endpoint += "/"
        return endpoint

    def clean_api_key(self) -> str:
        entered = self.cleaned_data.get("api_key") or ""
        if self.data.get(self.add_prefix("clear_api_key")):
            return ""
        return entered or (self.instance.api_key if self.instance.pk else "")

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        department = cleaned.get("department")
        services = list(cleaned.get("services") or [])
        if department is not None:
            foreign = [service.code for service in services if service.jurisdiction_id != department.jurisdiction_id]
            if foreign:
                self.add_error(
                    "services",
                    gettext("These services belong to another city than the department: %(codes)s.")
                    % {"codes": ", ".join(foreign)},
                )
        code_map = cleaned.get("service_code_map")
        if code_map in (None, ""):
            cleaned["service_code_map"] = {}
        elif not isinstance(code_map, dict) or not all(
            isinstance(key, str) and isinstance(value, str) and value.strip() and len(value) <= 100
            for key, value in code_map.items()
        ):
            self.add_error(
                "service_code_map",
                gettext('Write an object from our service code to theirs, like {"SR-ST02": "DUMPING"}.'),
            )
        else:
            chosen = {service.code for service in services}
            unknown = sorted(set(code_map) - chosen)
            if unknown and "services" in cleaned:
                self.add_error(
                    "service_code_map",
                    gettext("These codes are not among the services forwarded: %(codes)s.")
                    % {"codes": ", ".join(unknown)},
                )
        return cleaned


@admin.register(WorkOrderSystem)
class WorkOrderSystemAdmin(JurisdictionPickersMixin, admin.ModelAdmin):
    form = WorkOrderSystemForm
    list_display = ("name", "department", "endpoint", "is_active", "waiting", "failed", "last_polled_at")
    list_filter = ("is_active", "department__jurisdiction")
    list_select_related = ("department",)
    search_fields = ("name", "department__name", "endpoint")
    filter_horizontal = ("services",)
    readonly_fields = ("last_polled_at",)
    fieldsets = (
        (None, {"fields": ("department", "name", "is_active")}),
        (
            _("Their GeoReport v2 server"),
            {"fields": ("endpoint", "remote_jurisdiction_id", "api_key", "clear_api_key")},
        ),
        (
            _("What is forwarded"),
            {
                "fields": ("services", "service_code_map"),
                "description": _(
                    "Requests for these services, routed to this department, are sent to the system. "
                    "The requester's name, e-mail and phone are never sent."
                ),
            },
        ),
        (_("Updates"), {"fields": ("last_polled_at",)}),
    )

    def get_queryset(self, request):
        state = ForwardedRequest.State
        return (
            super()
            .get_queryset(request)
            .annotate(
                waiting_count=Count("forwarded", filter=Q(forwarded__state__in=(state.PENDING, state.AWAITING_ID))),
                failed_count=Count("forwarded", filter=Q(forwarded__state=state.FAILED)),
            )
        )

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting(self, system: WorkOrderSystem) -> int:
        return getattr(system, "waiting_count", 0)

    @admin.display(description=_("failed"), ordering="failed_count")
    def failed(self, system: WorkOrderSystem) -> int:
        return getattr(system, "failed_count", 0)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "services" and formfield is not None and formfield.queryset is not None:
            formfield.queryset = formfield.queryset.select_related("jurisdiction").order_by("jurisdiction", "code")
        return formfield


class HasAlertFilter(admin.SimpleListFilter):
    title = _("alert raised")
    parameter_name = "alerted"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(alerted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(alerted_at__isnull=True)
        return queryset


@admin.register(ForwardedRequest)
class ForwardedRequestAdmin(admin.ModelAdmin):
    list_display = (
        "request_link",
        "system",
        "state",
        "external_id",
        "attempts",
        "next_attempt_at",
        "first_sent_at",
        "remote_status",
        "alerted_at",
        "error",
    )
    list_filter = ("state", HasAlertFilter, "system")
    list_select_related = ("service_request", "system")
    search_fields = ("=service_request__tracking_number", "=external_id", "=token")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    actions = ["retry_now"]
    fields = (
        "request_link",
        "system",
        "state",
        "external_id",
        "token",
        "attempts",
        "next_attempt_at",
        "first_sent_at",
        "last_error",
        "remote_status",
        "remote_updated_at",
        "alerted_at",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # made when a request is filed, never by hand

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was sent stays

    @admin.display(description=_("request"), ordering="service_request__tracking_number")
    def request_link(self, forwarded: ForwardedRequest) -> str:
        url = reverse("admin:requests_servicerequest_change", args=[forwarded.service_request_id])
        return format_html('<a href="{}">{}</a>', url, forwarded.service_request.tracking_number)

    @admin.display(description=_("last error"))
    def error(self, forwarded: ForwardedRequest) -> str:
        return Truncator(forwarded.last_error).chars(80)

    @admin.action(description=_("Retry now"), permissions=["change"])
    def retry_now(self, request, queryset) -> None:
        retried = skipped = 0
        for forwarded in queryset.select_related("system")[: forwarding.SWEEP_LIMIT]:
            if forwarding.retry_now(forwarded):
                retried += 1
            else:
                skipped += 1
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d request queued to be sent again.", "%(count)d requests queued to be sent again.", retried
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d request was already sent and was left alone.",
                    "%(count)d requests were already sent and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
