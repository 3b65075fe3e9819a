"""Wall screens for the reader board: created here (the display link is shown once, on the page that
follows), renamed, and revoked. Only admins (`board_services.may_manage_screens`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import board_services
from .models import DisplayScreen

_ISSUED_LINK_ATTR = "_civic311_display_token"


@admin.register(DisplayScreen)
class DisplayScreenAdmin(admin.ModelAdmin):
    list_display = ["name", "jurisdiction", "created_at", "created_by", "last_seen_at", "revoked_at"]
    list_filter = ["jurisdiction"]
    fields = ["name", "jurisdiction", "created_by", "created_at", "last_seen_at", "revoked_at"]
    readonly_fields = ["created_by", "created_at", "last_seen_at", "revoked_at"]
    actions = ["revoke"]

    def _allowed(self, request: HttpRequest) -> bool:
        return board_services.may_manage_screens(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the row keeps when it was last seen

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A screen stays in its city; a new link means a new screen.
        return [*self.readonly_fields, "jurisdiction"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: DisplayScreen, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        setattr(request, _ISSUED_LINK_ATTR, board_services.issue_token(obj, actor=request.user))

    def response_add(
        self, request: HttpRequest, obj: DisplayScreen, post_url_continue: str | None = None
    ) -> HttpResponse:
        token = getattr(request, _ISSUED_LINK_ATTR, None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        # Shown on this page only: the token is not stored, nor put in a message (which may sit in a cookie).
        link = request.build_absolute_uri(reverse("insights:board_screen", args=[token]))
        response = TemplateResponse(
            request,
            "insights/admin/display_screen_link.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "screen": obj,
                "link": link,
                "title": _("Display link for %(name)s") % {"name": obj.name},
            },
        )
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    @admin.action(description=_("Revoke the selected screens' display links"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[DisplayScreen]) -> None:
        revoked = sum(board_services.revoke(screen, actor=request.user) for screen in queryset)
        self.message_user(request, _("%(count)d display links revoked.") % {"count": revoked}, messages.SUCCESS)
