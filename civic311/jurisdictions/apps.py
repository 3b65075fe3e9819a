from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JurisdictionsConfig(AppConfig):
    name = "civic311.jurisdictions"
    label = "jurisdictions"
    verbose_name = _("Jurisdictions")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the cache invalidation)
