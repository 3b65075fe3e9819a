"""Read-only questions about notifications."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civic311.service_requests.models import ServiceRequest

from .models import Webhook


def webhooks_for(service_request: ServiceRequest, *, public: bool) -> QuerySet[Webhook]:
    """The active webhooks told about an event of the request: its department's, and, for a public event,
    those of the API clients that filed it (recorded in their key's audit), unless the key is revoked."""
    audience = Q(department_id=service_request.department_id)
    if public:
        # Through the key's audit trail (open311's ApiKeyActivity, reached by its relation: Open311 sits
        # above notifications in the layers). "created_request" is ApiKeyActivity.Action.CREATED_REQUEST.
        filed_by = Q(api_key__activity__service_request=service_request, api_key__activity__action="created_request")
        audience |= filed_by & Q(api_key__revoked_at__isnull=True)
    return Webhook.objects.filter(audience, is_active=True).distinct().select_related("api_key").order_by("pk")
