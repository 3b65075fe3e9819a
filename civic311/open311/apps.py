from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "civic311.open311"
    label = "open311"
    verbose_name = _("Open311")

    def ready(self) -> None:
        # The forwarding client listens for filed requests.
        from civic311 import outage

        from . import endpoints, signals  # noqa: F401

        # A database outage under /open311/ is a 503 in XML or JSON, never an HTML page.
        outage.register_responder("/open311/", endpoints.unavailable)
