from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """What the city learns from its residents: search analytics now; dashboards and open data later."""

    name = "civic311.insights"
    label = "insights"
    verbose_name = _("Insights")
