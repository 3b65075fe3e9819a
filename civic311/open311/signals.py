"""Receivers of the Open311 client, connected in `Open311Config.ready`."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from civic311.service_requests.signals import listener, service_request_filed

from . import forwarding
from .models import ApiKey
from .services import forget_key


@listener(service_request_filed, dispatch_uid="open311.forward_filed_request")
def forward_filed_request(sender: Any, service_request: Any, **kwargs: Any) -> None:
    """A request was filed: make its forwarding row if its department's work-order system takes it.

    Called by the worker that announces the request's "opened" entry (civic311.service_requests.announcements), in
    the transaction that marks it announced, in a savepoint of its own: an error undoes only what this wrote, and
    the announcement is retried later.
    """
    forwarding.forward_if_chosen(service_request)


@receiver([post_save, post_delete], sender=ApiKey, dispatch_uid="open311.forget_api_key")
def forget_changed_key(sender: Any, instance: ApiKey, **kwargs: Any) -> None:
    """A key edited in the admin (its limit, its name) or deleted is read afresh by the next call."""
    forget_key(instance)
