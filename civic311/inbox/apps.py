from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    """Every channel into one inbox: e-mail, text messages and social media posts, worked by agents."""

    name = "civic311.inbox"
    label = "inbox"
    verbose_name = _("Inbox")
