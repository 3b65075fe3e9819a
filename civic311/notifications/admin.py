from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.admin import JurisdictionPickersMixin

from . import services
from .models import OutboundMessage, Subscription, Webhook


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["reference", "channel", "state", "attempts", "next_attempt_at", "sent_at", "created_at"]
    list_filter = ["channel", "state"]
    search_fields = ["reference", "service_request__tracking_number"]
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Try the failed messages again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = sum(services.retry_now(message) for message in queryset)
        self.message_user(request, _("%(count)d messages queued again.") % {"count": count}, messages.SUCCESS)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["service_request", "state", "language", "created_at", "confirmed_at"]
    list_filter = ["state"]
    search_fields = ["service_request__tracking_number"]
    raw_id_fields = ["service_request"]


@admin.register(Webhook)
class WebhookAdmin(JurisdictionPickersMixin, admin.ModelAdmin):
    """Departments' and API clients' webhooks; a client's can also be added on its API key's page."""

    list_display = ["url", "department", "api_key", "is_active", "created_at"]
    list_filter = ["is_active", "department"]
    list_select_related = ["department", "api_key"]
    raw_id_fields = ["api_key"]
    search_fields = ["url", "api_key__name", "department__name"]
