"""Forget the cached running emergency whenever an emergency changes, however it was changed."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import selectors
from .models import Emergency


@receiver(post_save, sender=Emergency)
@receiver(post_delete, sender=Emergency)
def forget_on_change(sender: Any, instance: Emergency, **kwargs: Any) -> None:
    selectors.forget_cached_emergencies(instance.jurisdiction_id)


@receiver(m2m_changed, sender=Emergency.pinned_articles.through)
def forget_on_pinning(sender: Any, instance: Any, **kwargs: Any) -> None:
    selectors.forget_cached_emergencies(getattr(instance, "jurisdiction_id", None))
