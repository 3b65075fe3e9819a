from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "civic311.catalogue"
    label = "catalogue"
    verbose_name = _("Service catalogue")

    def ready(self) -> None:
        # The receivers that forget the kept catalogue whenever it changes (Django's way to connect them).
        from . import signals  # noqa: F401
