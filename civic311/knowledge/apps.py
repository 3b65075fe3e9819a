from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """The knowledge base: articles residents and agents read, and the one search over them and services."""

    name = "civic311.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")
