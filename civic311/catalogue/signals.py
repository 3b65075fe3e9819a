"""Forget the catalogue kept for reports (`selectors.service_for_report`) whenever any of it changes,
however it was changed (the admin, the demo seeder, a shell). Imported by `selectors`, which holds the
cache, so the receivers are connected whenever there is something to forget.

`QuerySet.update()` and `bulk_create` send no signals: code that changes the catalogue that way calls
`selectors.forget_cached_catalogue` itself. Other processes see any change within
`selectors.CATALOGUE_CACHE_SECONDS`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from civic311.jurisdictions.models import Jurisdiction

from .models import AttributeValue, Department, RoutingRule, Service, ServiceAttribute, ServiceGroup
from .selectors import forget_cached_catalogue

_CHANGED: tuple[Signal, ...] = (post_save, post_delete)


@receiver(_CHANGED, sender=Service, dispatch_uid="catalogue.forget_service")
@receiver(_CHANGED, sender=Department, dispatch_uid="catalogue.forget_department")
@receiver(_CHANGED, sender=ServiceGroup, dispatch_uid="catalogue.forget_group")
def _forget_city_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    _forget(instance.jurisdiction_id)


@receiver(_CHANGED, sender=ServiceAttribute, dispatch_uid="catalogue.forget_attribute")
@receiver(_CHANGED, sender=AttributeValue, dispatch_uid="catalogue.forget_attribute_value")
@receiver(_CHANGED, sender=RoutingRule, dispatch_uid="catalogue.forget_routing_rule")
def _forget_service_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Finding the city would take a query (and in a cascade the service may be gone): forget every city's.
    _forget(None)


@receiver(_CHANGED, sender=Jurisdiction, dispatch_uid="catalogue.forget_jurisdiction")
def _forget_jurisdiction(sender: Any, instance: Jurisdiction, **kwargs: Any) -> None:
    # The kept services carry their jurisdiction (its calendar settings, its name).
    _forget(instance.pk)


def _forget(jurisdiction_id: int | None) -> None:
    # Now, and again once the change is committed: another thread may read the old rows in between.
    forget_cached_catalogue(jurisdiction_id)
    transaction.on_commit(lambda: forget_cached_catalogue(jurisdiction_id))
