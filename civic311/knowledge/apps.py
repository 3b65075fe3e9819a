from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """The knowledge base: articles residents and agents read, and the one search over them and services."""

    name = "civic311.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from civic311.catalogue.models import Service

        from . import signals

        # The catalogue is edited in its own app; its services join the search as they change. (A deleted
        # service or article takes its documents with it, and the database's index follows them.)
        post_save.connect(signals.service_saved, sender=Service, dispatch_uid="knowledge_service_saved")
