from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Holiday, Jurisdiction, Neighborhood
from .selectors import forget_cached_geography


@receiver([post_save, post_delete], sender=Neighborhood)
@receiver([post_save, post_delete], sender=Holiday)
def _forget_places(sender, instance, **kwargs) -> None:
    _forget(instance.jurisdiction_id)


@receiver([post_save, post_delete], sender=Jurisdiction)
def _forget_jurisdiction(sender, instance, **kwargs) -> None:
    _forget(instance.pk)


def _forget(jurisdiction_id: int) -> None:
    # Now, and again once the change is committed: another thread may rebuild the cache from the old
    # rows in between.
    forget_cached_geography(jurisdiction_id)
    transaction.on_commit(lambda: forget_cached_geography(jurisdiction_id))
