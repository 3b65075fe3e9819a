from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import OutboundPost


@admin.register(OutboundPost)
class OutboundPostAdmin(admin.ModelAdmin):
    """The social outbox: read-only (posts are made by the services), with a retry for failed ones."""

    list_display = ["reference", "network", "account", "state", "attempts", "next_attempt_at", "sent_at", "created_at"]
    list_filter = ["network", "state"]
    search_fields = ["reference", "dedup_key"]
    readonly_fields = [field.name for field in OutboundPost._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Try the failed posts again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundPost]) -> None:
        count = sum(services.retry_now(post) for post in queryset)
        self.message_user(request, _("%(count)d posts queued again.") % {"count": count}, messages.SUCCESS)
