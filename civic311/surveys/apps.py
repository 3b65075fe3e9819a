from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    """The survey engine and the customer satisfaction programme (phone surveys, follow-ups, training)."""

    name = "civic311.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects the "was it fixed?" survey to request closes)
