from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    """Open data: the public export of every request (Philadelphia's columns) and the bulk importer."""

    name = "civic311.opendata"
    label = "opendata"
    verbose_name = _("Open data")
