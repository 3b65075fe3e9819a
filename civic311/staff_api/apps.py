from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffApiConfig(AppConfig):
    name = "civic311.staff_api"
    label = "staff_api"
    verbose_name = _("Staff API")

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI extension)
