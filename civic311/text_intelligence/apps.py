from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TextIntelligenceConfig(AppConfig):
    """What a resident's words are about, how the writer feels, where they mean and whether it was already
    reported: offline models a person always has the last word over."""

    name = "civic311.text_intelligence"
    label = "text_intelligence"
    verbose_name = _("Text intelligence")
