"""Admin for Open311: API keys (issued and revoked here), their webhooks, their audit, tokens and received
updates."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from civic311.notifications.models import Webhook
from civic311.read_only_admin import ReadOnlyAdmin
from civic311.service_requests.admin import RecordInline

from . import forwarding_admin  # noqa: F401  (registers the forwarding client's models)
from . import services as open311
from .models import ApiKey, ApiKeyActivity, BatchToken, ReceivedUpdate

# The key page shows the latest activity; the full audit is the activity list, filtered by key.
ACTIVITY_SHOWN = 50


class ApiKeyForm(forms.ModelForm):
    revoke = forms.BooleanField(
        label=_("Revoke this key"),
        required=False,
        help_text=_("A revoked key is refused (HTTP 403) at once and for good; issue a new key instead."),
    )

    class Meta:
        model = ApiKey
        fields = ("jurisdiction", "name", "contact_email", "requests_per_minute")


class RecentActivityFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset()[:ACTIVITY_SHOWN]
        return self._recent


class ApiKeyActivityInline(RecordInline):
    """The key's latest audit rows."""

    model = ApiKeyActivity
    formset = RecentActivityFormSet
    fields = ("created_at", "action", "request_link")
    readonly_fields = fields
    verbose_name_plural = _("latest activity")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service_request")

    @admin.display(description=_("service request"))
    def request_link(self, activity: ApiKeyActivity) -> str:
        found = activity.service_request
        if found is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:requests_servicerequest_change", args=[found.pk]),
            found.tracking_number,
        )


class ApiKeyWebhookInline(admin.TabularInline):
    """Where the client is told about the requests it filed (docs/notifications.md, "Webhooks")."""

    model = Webhook
    fk_name = "api_key"
    fields = ("url", "secret", "events", "is_active")
    extra = 0
    verbose_name_plural = _("webhooks (events about the requests this client filed)")

    # A revoked key's webhooks are never sent again: kept as they were, for the record.
    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not (obj and obj.revoked_at)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.revoked_at)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Issue a key by adding one: the key is shown once, on the next page, and only its hash is kept."""

    form = ApiKeyForm
    list_display = (
        "name",
        "jurisdiction",
        "prefix",
        "requests_per_minute",
        "created_at",
        "last_used_at",
        "is_active_display",
    )
    list_filter = ("jurisdiction", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "contact_email")
    list_select_related = ("jurisdiction",)
    actions = ["revoke_keys"]
    inlines = [ApiKeyActivityInline]

    def get_inlines(self, request, obj=None):
        # The key is made when the form is saved, so its webhooks are added once it exists.
        return [ApiKeyWebhookInline, *self.inlines] if obj is not None else self.inlines

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": ["jurisdiction", "name", "contact_email", "requests_per_minute"],
                        "description": _(
                            "The key is made when you save, and shown to you once: copy it then. "
                            "Only a hash of it is kept."
                        ),
                    },
                )
            ]
        return super().get_fieldsets(request, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["jurisdiction", "name", "contact_email", "requests_per_minute"]
        fields = [
            "jurisdiction",
            "name",
            "contact_email",
            "requests_per_minute",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "activity_link",
        ]
        return [*fields, "revoked_at"] if obj.revoked_at else [*fields, "revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A key serves one jurisdiction for life; a revoked key stays as it was, for the audit.
        readonly = ["jurisdiction", "prefix", "created_by", "created_at", "last_used_at", "activity_link", "revoked_at"]
        if obj.revoked_at:
            readonly += ["name", "contact_email", "requests_per_minute"]
        return readonly

    @admin.display(boolean=True, description=_("active"))
    def is_active_display(self, api_key: ApiKey) -> bool:
        return api_key.is_active

    @admin.display(description=_("activity"))
    def activity_link(self, api_key: ApiKey) -> str:
        count = ApiKeyActivity.objects.filter(api_key=api_key).count()
        url = reverse("admin:open311_apikeyactivity_changelist") + f"?api_key__id__exact={api_key.pk}"
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ngettext("%(count)d row in the audit", "%(count)d rows in the audit", count) % {"count": count},
        )

    def save_model(self, request, obj: ApiKey, form, change) -> None:
        if not change:
            data = form.cleaned_data
            issued = open311.issue_api_key(
                data["jurisdiction"],
                data["name"],
                contact_email=data.get("contact_email", ""),
                requests_per_minute=data["requests_per_minute"],
                created_by=request.user,
            )
            obj.pk = issued.api_key.pk
            obj.refresh_from_db()
            messages.warning(
                request,
                format_html(
                    "{} <code>{}</code> {}",
                    gettext("The API key for %(name)s is") % {"name": obj.name},
                    issued.key,
                    gettext(
                        "Copy it now and give it to the client: it is shown only this once, and only its hash is kept."
                    ),
                ),
            )
            return
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("revoke") and open311.revoke_key(obj):
            messages.success(request, gettext("The key %(key)s is revoked.") % {"key": obj})

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke_keys(self, request, queryset: QuerySet[ApiKey]) -> None:
        revoked = sum(1 for api_key in queryset if open311.revoke_key(api_key))
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", revoked) % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(ApiKeyActivity)
class ApiKeyActivityAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "api_key", "action", "service_request")
    list_filter = ("action", "api_key")
    list_select_related = ("api_key", "service_request__service")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(BatchToken)
class BatchTokenAdmin(ReadOnlyAdmin):
    list_display = ("token", "service_request", "created_at")
    list_select_related = ("service_request__service",)
    search_fields = ("token",)


@admin.register(ReceivedUpdate)
class ReceivedUpdateAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "update_id", "status", "service_request", "api_key")
    list_filter = ("status", "api_key")
    list_select_related = ("service_request__service", "api_key")
    search_fields = ("update_id",)
