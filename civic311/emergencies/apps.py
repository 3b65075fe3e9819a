from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergenciesConfig(AppConfig):
    """Emergency mode: a time-boxed banner, pinned answers, an agent script and one coordinated message."""

    name = "civic311.emergencies"
    label = "emergencies"
    verbose_name = _("Emergencies")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
