from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    """Community programs: neighborhood accounts and the Neighborhood Liaison Program."""

    name = "civic311.community"
    label = "community"
    verbose_name = _("Community programs")
