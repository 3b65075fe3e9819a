from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Emergency


@admin.register(Emergency)
class EmergencyAdmin(admin.ModelAdmin):
    """Read-only: emergencies are declared on the staff page (/emergencies/), where the rules are applied;
    here they can be looked up and ended early."""

    list_display = ["__str__", "jurisdiction", "kind", "starts_at", "ends_at", "ended_at", "surge", "message_queued_at"]
    list_filter = ["kind", "surge", "jurisdiction"]
    date_hierarchy = "starts_at"
    readonly_fields = [field.name for field in Emergency._meta.fields] + ["pinned_articles"]
    actions = ["end_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("End the selected emergencies now"))
    def end_now(self, request: HttpRequest, queryset: QuerySet[Emergency]) -> None:
        ended = 0
        for emergency in queryset.select_related("jurisdiction"):
            try:
                services.end_emergency(emergency, actor=request.user)  # type: ignore[arg-type]
            except (PermissionDenied, ValidationError) as error:
                self.message_user(
                    request, f"{emergency}: {' '.join(getattr(error, 'messages', [str(error)]))}", messages.ERROR
                )
            else:
                ended += 1
        self.message_user(request, _("%(count)d emergencies ended.") % {"count": ended}, messages.SUCCESS)
