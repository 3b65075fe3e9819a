"""Emergency mode: a supervisor declares an emergency (a snow emergency, a hurricane) for a time.

While it runs (`starts_at <= now < ends_at`, and not ended early) every public page shows its banner,
agents see its script and pinned answers, the reader board shows a surge flag if asked, and one
coordinated message has gone out to every outbound channel. Nothing has to run for it to end.

The texts are per language in JSON, `{"en": "…", "es": "…"}`: English is the base text, required;
another language falls back to it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

BASE_LANGUAGE = "en"


class Emergency(models.Model):
    class Kind(models.TextChoices):
        SNOW = "snow", _("Snow emergency")
        HURRICANE = "hurricane", _("Hurricane")
        HEAT = "heat", _("Heat health emergency")
        FLOOD = "flood", _("Flood")
        OTHER = "other", _("Other emergency")

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.CASCADE,
        related_name="emergencies",
        verbose_name=_("jurisdiction"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.JSONField(_("title"), default=dict, help_text=_('Per language: {"en": "…", "es": "…"}.'))
    banner = models.JSONField(
        _("banner text"),
        default=dict,
        help_text=_('What every public page says, per language: {"en": "…", "es": "…"}.'),
    )
    agent_script = models.JSONField(
        _("agent script"), default=dict, blank=True, help_text=_("What agents tell callers, per language (optional).")
    )
    message = models.TextField(
        _("coordinated message"),
        help_text=_("The one message sent to every outbound channel (social, webhooks, e-mail)."),
    )
    pinned_articles = models.ManyToManyField(
        "knowledge.Article", blank=True, related_name="+", verbose_name=_("pinned answers")
    )
    surge = models.BooleanField(
        _("surge"), default=False, help_text=_("Show the surge flag on the contact centre's reader board.")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("declared by"),
    )
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended early"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    message_queued_at = models.DateTimeField(_("message queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("emergency")
        verbose_name_plural = _("emergencies")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["jurisdiction", "ends_at"], name="emergency_jurisdiction_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="emergency_ends_after_start",
                violation_error_message=_("An emergency ends after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text('title')}"

    def text(self, field: str, language: str = BASE_LANGUAGE) -> str:
        """A per-language text in `language`, else in English."""
        values = getattr(self, field) or {}
        return (values.get(language) or values.get(BASE_LANGUAGE) or "").strip()

    def is_fallback(self, field: str, language: str) -> bool:
        return not ((getattr(self, field) or {}).get(language) or "").strip()

    @property
    def effective_end(self) -> dt.datetime:
        """When it stops (or stopped) showing: the planned end, or the early end if sooner."""
        return min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at

    def is_active(self, now: dt.datetime) -> bool:
        return self.ended_at is None and self.starts_at <= now < self.ends_at
