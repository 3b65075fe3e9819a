from django.contrib import admin

from .models import FirstResponseTarget, Mailbox, PostSource, SmsNumber


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "jurisdiction", "imap_host", "is_active", "last_polled_at", "last_error"]
    list_filter = ["jurisdiction", "is_active"]
    readonly_fields = ["webhook_token", "last_polled_at", "last_error"]


@admin.register(SmsNumber)
class SmsNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "jurisdiction", "gateway", "is_active"]
    list_filter = ["jurisdiction", "is_active"]


@admin.register(PostSource)
class PostSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "jurisdiction", "kind", "network", "is_active", "last_polled_at", "last_error"]
    list_filter = ["jurisdiction", "kind", "is_active"]
    readonly_fields = ["webhook_token", "last_polled_at", "last_error"]


@admin.register(FirstResponseTarget)
class FirstResponseTargetAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "channel", "hours"]
    list_filter = ["jurisdiction"]
