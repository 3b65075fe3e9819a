"""The kinds and moods a text is read as, and the city's trained service models (versioned, with their
evaluation)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civic311.jurisdictions.models import Jurisdiction


class TextKind(models.TextChoices):
    REQUEST = "request", pgettext_lazy("kind of text", "Request")
    COMPLAINT = "complaint", pgettext_lazy("kind of text", "Complaint")
    QUESTION = "question", pgettext_lazy("kind of text", "Question")
    PRAISE = "praise", pgettext_lazy("kind of text", "Praise")
    OTHER = "other", pgettext_lazy("kind of text", "Other")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", pgettext_lazy("sentiment", "Negative")
    NEUTRAL = "neutral", pgettext_lazy("sentiment", "Neutral")
    POSITIVE = "positive", pgettext_lazy("sentiment", "Positive")


class ServiceModel(models.Model):
    """One trained version of a city's service suggester: the fitted model (a skops file, which loads
    without running code from the database) and how it did on history it was not trained on."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Scheduled retraining")
        COMMAND = "command", _("Command")
        ADMIN = "admin", _("Administrator")

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="service_models", verbose_name=_("jurisdiction")
    )
    version = models.PositiveIntegerField(_("version"))  # 1, 2, 3 … per jurisdiction
    trained_at = models.DateTimeField(_("trained"), default=timezone.now)
    trigger = models.CharField(_("trained by"), max_length=10, choices=Trigger.choices)
    active = models.BooleanField(_("in use"), default=False)
    # What it learnt from: {"catalogue": n, "articles": n, "history": n, "services": n}.
    trained_on = models.JSONField(_("trained on"), default=dict, blank=True)
    # How it did on held-out history: {"held_out": n, "top1": 0.84, "top3": 0.95, "macro_f1": …,
    # "unsure_share": …, "sure_accuracy": …, "floor": …}; empty when there was too little history to hold out.
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    artefact = models.BinaryField(_("model file"), editable=False)
    artefact_sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("service model")
        verbose_name_plural = _("service models")
        ordering = ["jurisdiction", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "version"], name="text_model_version_unique"),
            models.UniqueConstraint(
                fields=["jurisdiction"], condition=models.Q(active=True), name="text_model_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} v{self.version}"
