from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Holiday, Jurisdiction, Neighborhood
from .selectors import forget_cached_geography


@receiver([post_save, post_delete], sender=Neighborhood)
@receiver([post_save, post_delete], sender=Holiday)
def _forget_places(sender, instance, **kwargs) -> None:
    forget_cached_geography(instance.jurisdiction_id)


@receiver([post_save, post_delete], sender=Jurisdiction)
def _forget_jurisdiction(sender, instance, **kwargs) -> None:
    forget_cached_geography(instance.pk)
