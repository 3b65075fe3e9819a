"""The social outbox: one row per post to one of the city's social media accounts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from civic311.outbox import OutboxRow


class Network(models.TextChoices):
    X = "x", _("X (Twitter)")
    FACEBOOK = "facebook", _("Facebook")
    NEXTDOOR = "nextdoor", _("Nextdoor")
    BLUESKY = "bluesky", _("Bluesky")
    MASTODON = "mastodon", _("Mastodon")


# The longest post each network accepts (characters); a longer text is refused before it is queued.
TEXT_LIMITS: dict[str, int] = {
    Network.X: 280,
    Network.BLUESKY: 300,
    Network.MASTODON: 500,
    Network.FACEBOOK: 5000,
    Network.NEXTDOOR: 5000,
}


def text_limit(network: str) -> int:
    return TEXT_LIMITS.get(network, 280)


class OutboundPost(OutboxRow):
    """One post to one network. The dedup key makes the same event never two posts."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.CASCADE,
        related_name="social_posts",
        verbose_name=_("jurisdiction"),
    )
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    account = models.CharField(_("account"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    # The network's id (URI) of the post this one answers; empty for a post of its own.
    in_reply_to = models.CharField(_("in reply to"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)

    class Meta:
        verbose_name = _("social post")
        verbose_name_plural = _("social outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="social_outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.reference} ({self.state})"

    def clean(self) -> None:
        super().clean()
        limit = text_limit(self.network)
        if not (self.text or "").strip():
            raise ValidationError({"text": _("Write the post's text.")})
        if len(self.text) > limit:
            raise ValidationError(
                {
                    "text": _("A post on %(network)s has at most %(limit)d characters; this one has %(length)d.")
                    % {"network": self.get_network_display(), "limit": limit, "length": len(self.text)}
                }
            )
