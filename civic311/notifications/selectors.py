"""Read-only questions about notifications."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civic311.open311.models import ApiKeyActivity
from civic311.service_requests.models import ServiceRequest

from .models import OutboundMessage, Subscription, Webhook


def active_subscriptions(service_request: ServiceRequest) -> QuerySet[Subscription]:
    return Subscription.objects.filter(service_request=service_request, state=Subscription.State.ACTIVE)


def messages_for(service_request: ServiceRequest) -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(service_request=service_request).order_by("created_at", "pk")


def failed_messages() -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(state=OutboundMessage.State.FAILED)


def webhooks_for(service_request: ServiceRequest, *, public: bool) -> QuerySet[Webhook]:
    """The active webhooks told about an event of the request: its department's, and, for a public event,
    those of the API clients that filed it (recorded in their key's audit), unless the key is revoked."""
    audience = Q(department_id=service_request.department_id)
    if public:
        filed_by = ApiKeyActivity.objects.filter(
            service_request=service_request, action=ApiKeyActivity.Action.CREATED_REQUEST
        ).values("api_key_id")
        audience |= Q(api_key__in=filed_by, api_key__revoked_at__isnull=True)
    return Webhook.objects.filter(audience, is_active=True).select_related("api_key").order_by("pk")
