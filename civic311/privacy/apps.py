from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Retention, export and erasure of residents' personal data, across every app that holds some."""

    name = "civic311.privacy"
    label = "privacy"
    verbose_name = _("Privacy")
