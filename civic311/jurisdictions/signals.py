from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import tracking_numbers
from .models import Holiday, Jurisdiction, Neighborhood
from .selectors import forget_cached_geography


@receiver([post_save, post_delete], sender=Neighborhood)
@receiver([post_save, post_delete], sender=Holiday)
def _forget_places(sender, instance, **kwargs) -> None:
    _forget(instance.jurisdiction_id)


@receiver([post_save, post_delete], sender=Jurisdiction)
def _forget_jurisdiction(sender, instance, **kwargs) -> None:
    _forget(instance.pk)


@receiver(post_save, sender=Jurisdiction)
def _make_tracking_numbers(sender, instance, created, using, **kwargs) -> None:
    # In the transaction that creates the jurisdiction: both stand or fall together.
    if created:
        tracking_numbers.create_sequence(instance, using=using)


@receiver(post_delete, sender=Jurisdiction)
def _drop_tracking_numbers(sender, instance, using, **kwargs) -> None:
    tracking_numbers.drop_sequence(instance.pk, using=using)


def _forget(jurisdiction_id: int) -> None:
    # Now, and again once the change is committed: another thread may rebuild the cache from the old
    # rows in between.
    forget_cached_geography(jurisdiction_id)
    transaction.on_commit(lambda: forget_cached_geography(jurisdiction_id))
