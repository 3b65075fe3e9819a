from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "civic311.open311"
    label = "open311"
    verbose_name = _("Open311")

    def ready(self) -> None:
        # The forwarding client listens for filed requests.
        from . import signals  # noqa: F401
