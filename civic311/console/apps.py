from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The contact centre's agent console: one screen per contact (phone, walk-in, e-mail, social)."""

    name = "civic311.console"
    label = "console"
    verbose_name = _("Agent console")
