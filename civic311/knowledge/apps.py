from django.apps import AppConfig
from django.db.models.signals import post_save, pre_delete
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """The knowledge base: articles residents and agents read, and the one search over them and services."""

    name = "civic311.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from civic311.catalogue.models import Service

        from . import signals
        from .models import Article

        # The catalogue is edited in its own app; its services join the search as they change.
        post_save.connect(signals.service_saved, sender=Service, dispatch_uid="knowledge_service_saved")
        pre_delete.connect(signals.article_deleted, sender=Article, dispatch_uid="knowledge_article_deleted")
