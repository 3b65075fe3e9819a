"""Read-only questions about notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from civic311.requests.models import ServiceRequest

from .models import OutboundMessage, Subscription


def active_subscriptions(service_request: ServiceRequest) -> QuerySet[Subscription]:
    return Subscription.objects.filter(service_request=service_request, state=Subscription.State.ACTIVE)


def messages_for(service_request: ServiceRequest) -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(service_request=service_request).order_by("created_at", "pk")


def failed_messages() -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(state=OutboundMessage.State.FAILED)
