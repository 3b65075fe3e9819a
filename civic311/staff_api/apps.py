from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffApiConfig(AppConfig):
    name = "civic311.staff_api"
    label = "staff_api"
    verbose_name = _("Staff API")

    def ready(self) -> None:
        from django.http import JsonResponse

        from civic311 import outage

        from . import schema  # noqa: F401  (registers the OpenAPI extension)

        # A database outage under /api/ is a 503 in the API's JSON, like its other errors ({"detail": ...}).
        outage.register_responder("/api/", lambda request: JsonResponse({"detail": outage.message()}, status=503))
