from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "civic311.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        # The admin's pages (the sign-in is people/sign_in.html) say civic311, never "Django administration".
        from django.contrib import admin
        from django.core import checks

        from . import receivers  # noqa: F401  (a user's groups follow their role assignments)
        from .checks import phone_region_is_known

        checks.register(phone_region_is_known)

        admin.site.site_header = _("civic311 administration")
        admin.site.site_title = _("civic311 staff")
        admin.site.index_title = _("Administration")
