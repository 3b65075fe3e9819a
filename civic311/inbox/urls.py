"""The inbox's doors for machines: the inbound-mail, SMS-gateway and social-post webhooks (mounted at /inbox/)."""

from django.urls import URLPattern, path

from . import mail_hooks, post_hooks, sms_hooks

app_name = "inbox"

urlpatterns: list[URLPattern] = [
    path("hooks/mail/<str:token>/", mail_hooks.inbound_mail, name="mail_hook"),
    # Mailgun posts the raw message (`body-mime`) only to a URL that ends in "mime".
    path("hooks/mail/<str:token>/mime", mail_hooks.inbound_mail, name="mail_hook_mime"),
    path("hooks/sms/", sms_hooks.inbound_sms, name="sms_hook"),
    path("hooks/posts/<str:token>/", post_hooks.inbound_posts, name="post_hook"),
]
