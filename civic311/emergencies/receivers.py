"""Forget the cached running emergency whenever an emergency changes, however it was changed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import selectors
from .models import Emergency


@receiver(post_save, sender=Emergency)
@receiver(post_delete, sender=Emergency)
def forget_on_change(sender: Any, instance: Emergency, **kwargs: Any) -> None:
    _forget(instance.jurisdiction_id)


@receiver(m2m_changed, sender=Emergency.pinned_articles.through)
def forget_on_pinning(sender: Any, instance: Any, **kwargs: Any) -> None:
    _forget(getattr(instance, "jurisdiction_id", None))


def _forget(jurisdiction_id: int | None) -> None:
    # Now for this process's next read, and again once committed (a read in between may have cached the old).
    selectors.forget_cached_emergencies(jurisdiction_id)
    transaction.on_commit(lambda: selectors.forget_cached_emergencies(jurisdiction_id))
