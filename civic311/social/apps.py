from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    """Social media: the outbox of the city's posts (and, later, social listening)."""

    name = "civic311.social"
    label = "social"
    verbose_name = _("Social media")
