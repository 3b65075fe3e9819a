from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    """Departments' work: queues of their requests, the request page, bulk actions, response templates."""

    name = "civic311.work"
    label = "work"
    verbose_name = _("Department work")
