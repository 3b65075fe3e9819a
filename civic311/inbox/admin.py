"""The inbox in the admin: a city's doors (its mailbox, SMS number and social media sources) and first-response
targets, set up by whoever manages the city's inbox (`roles.may_manage_inbox`); the conversations themselves,
read-only, for whoever works it (`roles.may_work_inbox`: they are worked in the console, "View on site").

- Each door shows the webhook address to give its provider, ready to copy.
- Secrets (IMAP password, signing keys and secrets, the gateway's media password) are never shown again,
  neither in a list nor on the form: a password field, empty, that keeps the stored value when left empty.
- The jurisdiction picker offers only the cities the user manages, and every other picker names its city
  (`JurisdictionPickersMixin`); each list shows only those cities' rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.admin import JurisdictionPickersMixin
from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import public_site_url
from civic311.people import roles

from .models import (
    FirstResponseTarget,
    InboxChannel,
    InboxItem,
    InboxMessage,
    Mailbox,
    PostSource,
    SmsNumber,
    TextConversation,
)

KEEP_SECRET_HELP = _(
    "Stored and never shown again. Leave this empty to keep the current one; type a new one to replace it."
)


def _cities(request: HttpRequest, rule: Callable[[Any, int | None], bool]) -> list[int]:
    """The cities where the user's roles allow `rule` (`may_manage_inbox`, `may_work_inbox`). Kept on the request:
    every admin page asks each model admin (the sidebar's app list), and one query a page is enough."""
    known: dict[str, list[int]] = request.__dict__.setdefault("_inbox_admin_cities", {})
    if rule.__name__ not in known:
        cities = Jurisdiction.objects.values_list("pk", flat=True)
        known[rule.__name__] = [pk for pk in cities if rule(request.user, pk)]
    return known[rule.__name__]


def _absolute(jurisdiction: Jurisdiction, path: str) -> str:
    """Where the city's site answers the providers: its public address, else the deployment's."""
    return (public_site_url(jurisdiction) or settings.NOTIFICATIONS_FALLBACK_URL).rstrip("/") + path


def _copyable(url: str) -> str:
    """The address in a read-only box of its own, to copy into the provider's settings (no inline script: the
    admin's content security policy allows none)."""
    return format_html(
        '<input type="text" readonly value="{}" size="80" spellcheck="false" aria-label="{}">',
        url,
        _("Webhook address"),
    )


class SecretsForm(forms.ModelForm):
    """A door's form: its secret fields are password fields that never show the stored value; left empty on
    a door that has one, the stored value is kept."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            if self.instance.pk is not None and getattr(self.instance, name):
                field.required = False
                field.help_text = KEEP_SECRET_HELP

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.secret_fields:
            if name in self.fields and not cleaned.get(name) and self.instance.pk is not None:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


class _ManagedDoorAdmin(JurisdictionPickersMixin, admin.ModelAdmin):
    """For whoever manages a city's inbox (`roles.may_manage_inbox`), only their cities' rows."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _managed(self, request: HttpRequest) -> list[int]:
        return _cities(request, roles.may_manage_inbox)

    def _may(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return roles.may_manage_inbox(request.user, obj.jurisdiction_id)
        return bool(self._managed(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj) and roles.may_delete_records(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super().get_queryset(request).select_related("jurisdiction").filter(jurisdiction__in=self._managed(request))
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "jurisdiction":
            kwargs["queryset"] = Jurisdiction.objects.filter(pk__in=self._managed(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MailboxForm(SecretsForm):
    secret_fields = ("imap_password", "signing_key")


@admin.register(Mailbox)
class MailboxAdmin(_ManagedDoorAdmin):
    form = MailboxForm
    list_display = ["address", "jurisdiction", "imap_host", "is_active", "last_polled_at", "last_error"]
    list_filter = ["jurisdiction", "is_active"]
    search_fields = ["address"]
    readonly_fields = ["webhook_url", "last_polled_at", "last_error"]
    fieldsets = (
        (None, {"fields": ("jurisdiction", "address", "is_active")}),
        (
            _("Polled over IMAP"),
            {
                "description": _("Leave the server empty when the mail provider posts each message to the webhook."),
                "fields": (
                    "imap_host",
                    ("imap_port", "imap_security"),
                    "imap_username",
                    "imap_password",
                    "imap_folder",
                    "last_polled_at",
                    "last_error",
                ),
            },
        ),
        (
            _("Inbound-mail webhook"),
            {
                "description": _(
                    "Give this address to the mail provider's inbound routing, and the signing key it signs with."
                ),
                "fields": ("webhook_url", "signing_key"),
            },
        ),
    )

    @admin.display(description=_("webhook address"))
    def webhook_url(self, obj: Mailbox) -> str:
        if obj.pk is None:
            return str(_("Shown once the mailbox is saved."))
        return _copyable(_absolute(obj.jurisdiction, reverse("inbox:mail_hook", args=[obj.webhook_token])))


class SmsNumberForm(SecretsForm):
    secret_fields = ("signing_secret", "media_password")


@admin.register(SmsNumber)
class SmsNumberAdmin(_ManagedDoorAdmin):
    form = SmsNumberForm
    list_display = ["number", "jurisdiction", "gateway", "is_active"]
    list_filter = ["jurisdiction", "gateway", "is_active"]
    search_fields = ["number"]
    readonly_fields = ["webhook_url"]
    fields = (
        "jurisdiction",
        "number",
        "gateway",
        "is_active",
        "webhook_url",
        "signing_secret",
        "media_username",
        "media_password",
    )

    @admin.display(description=_("webhook address"))
    def webhook_url(self, obj: SmsNumber) -> str:
        if obj.pk is None:
            return str(_("Shown once the number is saved."))
        return _copyable(_absolute(obj.jurisdiction, reverse("inbox:sms_hook")))


class PostSourceForm(SecretsForm):
    secret_fields = ("signing_secret",)


@admin.register(PostSource)
class PostSourceAdmin(_ManagedDoorAdmin):
    form = PostSourceForm
    list_display = ["name", "jurisdiction", "kind", "network", "is_active", "last_polled_at", "last_error"]
    list_filter = ["jurisdiction", "kind", "is_active"]
    search_fields = ["name", "query"]
    readonly_fields = ["webhook_url", "last_polled_at", "last_error"]
    fields = (
        "jurisdiction",
        "name",
        "kind",
        "network",
        "account",
        "url",
        "query",
        "is_active",
        "webhook_url",
        "signing_secret",
        "last_polled_at",
        "last_error",
    )

    @admin.display(description=_("webhook address"))
    def webhook_url(self, obj: PostSource) -> str:
        if obj.pk is None:
            return str(_("Shown once the source is saved."))
        if obj.kind != PostSource.Kind.WEBHOOK:
            return str(_("Only a signed JSON webhook source receives posts at an address."))
        return _copyable(_absolute(obj.jurisdiction, reverse("inbox:post_hook", args=[obj.webhook_token])))


@admin.register(FirstResponseTarget)
class FirstResponseTargetAdmin(_ManagedDoorAdmin):
    list_display = ["jurisdiction", "channel", "hours"]
    list_filter = ["jurisdiction", "channel"]


# --- the conversations, read-only --------------------------------------------------------------------------


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or roles.may_work_inbox(request.user, obj.jurisdiction_id)


class MessageInline(_ReadOnlyInline):
    model = InboxMessage
    fields = ("sent_at", "direction", "automatic", "author", "subject", "body", "photos", "dropped_attachments", "sent")
    readonly_fields = fields
    ordering = ("sent_at", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboxMessage]:
        return (
            super()
            .get_queryset(request)
            .select_related("author", "outbound_message", "outbound_post")
            .prefetch_related("attachments")
        )

    @admin.display(description=_("photos"))
    def photos(self, message: InboxMessage) -> int:
        return len(message.attachments.all())

    @admin.display(description=_("delivery"))
    def sent(self, message: InboxMessage) -> str:
        row = message.outbound_message or message.outbound_post
        return str(row.get_state_display()) if row is not None else ""


class TextConversationInline(_ReadOnlyInline):
    model = TextConversation
    fields = ("step", "service", "misunderstood", "updated_at")
    readonly_fields = fields


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    """The record of a conversation, for whoever works the city's inbox. The list names nobody (who wrote
    is on the item's page, as in the console); nothing is changed here."""

    # The item's name says its channel already (a "channel" column made the list wider than the page).
    list_display = [
        "__str__",
        "jurisdiction",
        "status",
        "received_at",
        "response_due_at",
        "assigned_to",
        "team",
        "service_request",
    ]
    list_filter = ["jurisdiction", "channel", "status", "network"]
    list_select_related = ["jurisdiction", "assigned_to", "team", "service_request"]
    date_hierarchy = "received_at"
    search_fields = ["=id", "=service_request__tracking_number"]
    fields = (
        ("jurisdiction", "channel", "network"),
        ("status", "assigned_to", "team"),
        ("sender", "sender_name", "language"),
        "subject",
        ("mailbox", "sms_number", "source"),
        ("customer", "service_request", "contact"),
        ("received_at", "last_message_at", "response_due_at"),
        ("first_response_at", "done_at"),
        "dismissed_reason",
    )
    readonly_fields = [name for group in fields for name in ((group,) if isinstance(group, str) else group)]
    show_full_result_count = False

    def _worked(self, request: HttpRequest) -> list[int]:
        return _cities(request, roles.may_work_inbox)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(self._worked(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return roles.may_work_inbox(request.user, obj.jurisdiction_id)
        return bool(self._worked(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboxItem]:
        return super().get_queryset(request).filter(jurisdiction__in=self._worked(request))

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # The text-message machine's step, for a text conversation only.
        if obj is not None and obj.channel == InboxChannel.SMS:
            return [TextConversationInline, MessageInline]
        return [MessageInline]

    def view_on_site(self, obj: InboxItem) -> str:
        return reverse("console:inbox_item", args=[obj.pk])
