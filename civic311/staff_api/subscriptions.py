"""Who follows a request by e-mail (`notifications.Subscription`), in the staff API: the list, subscribing a
resident (through `notifications.services.subscribe`: the double opt-in stays, the resident confirms from the
e-mail), and unsubscribing one (through the same one-click unsubscribe the e-mails link to).

A subscriber's address is personal data: shown only to those the roles let see the request's contact
details (`roles.may_see_customers`), each list shown with the addresses recorded in the personal-data audit;
subscribing or unsubscribing someone needs the same right.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from civic311.notifications import services as notifications
from civic311.notifications.models import Subscription
from civic311.people import roles
from civic311.people.models import User
from civic311.people.selectors import audit_look
from civic311.service_requests.models import ServiceRequest

from . import selectors
from .views import DENIED, INVALID, NOT_FOUND, READ_REQUESTS, TRACKING_NUMBER, StaffAPIView, _path

WHERE = "staff API"
WRITE = ("requests.add_servicerequest", "requests.change_servicerequest")

SUBSCRIPTION_EXAMPLE = {
    "id": 44,
    "email": "pat@example.org",
    "language": "es",
    "state": "pending",
    "created_at": "2026-03-02T09:20:00-05:00",
    "confirmed_at": None,
    "unsubscribed_at": None,
}


class SubscriptionSerializer(serializers.ModelSerializer):
    email = serializers.SerializerMethodField(
        help_text=_(
            "Null unless your role lets you see the request's contact details; each list shown with the "
            "addresses is recorded in the personal-data audit."
        )
    )

    class Meta:
        model = Subscription
        fields = ("id", "email", "language", "state", "created_at", "confirmed_at", "unsubscribed_at")
        read_only_fields = fields

    def get_email(self, subscription: Subscription) -> str | None:
        return subscription.email if self.context.get("sees_contact_details") else None


class SubscribeSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=300)
    language = serializers.CharField(
        required=False, allow_blank=True, max_length=10, help_text=_("Of the e-mails; the site's default if not ours.")
    )


SUBSCRIPTION_ID = _path("id", _("The subscription's id."), "44")


@extend_schema_view(
    list=extend_schema(
        summary=_("List a request's subscriptions"),
        description=_("Everyone who asked to follow the request by e-mail: pending, active or unsubscribed."),
        parameters=[TRACKING_NUMBER],
        responses={200: SubscriptionSerializer(many=True), **DENIED, **NOT_FOUND},
        examples=[OpenApiExample("subscriptions", value=[SUBSCRIPTION_EXAMPLE], response_only=True)],
    ),
    create=extend_schema(
        summary=_("Subscribe a resident to a request"),
        description=_(
            "A confirmation link goes to the address; the subscription is pending until the resident opens "
            "it (double opt-in). An active subscription stays as it is. A private request cannot be followed."
        ),
        parameters=[TRACKING_NUMBER],
        request=SubscribeSerializer,
        responses={201: SubscriptionSerializer, **INVALID, **DENIED, **NOT_FOUND},
        examples=[
            OpenApiExample("subscribe", value={"email": "pat@example.org", "language": "es"}, request_only=True),
            OpenApiExample("pending", value=SUBSCRIPTION_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    ),
    destroy=extend_schema(
        summary=_("Unsubscribe"),
        description=_("The e-mails stop, as with the link in them; the row stays, unsubscribed."),
        parameters=[TRACKING_NUMBER, SUBSCRIPTION_ID],
        responses={204: OpenApiResponse(description=_("Unsubscribed.")), **DENIED, **NOT_FOUND},
    ),
)
class SubscriptionViewSet(mixins.ListModelMixin, StaffAPIView):
    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()
    pagination_class = None
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "delete", "head", "options"]
    action_permissions = {"list": READ_REQUESTS, "create": WRITE, "destroy": WRITE}

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def service_request(self) -> ServiceRequest:
        found = selectors.service_request(self.jurisdiction, self.kwargs["tracking_number"])
        if found is None or not roles.may_view_request(self.user, found):
            raise NotFound()
        return found

    def _sees(self, service_request: ServiceRequest) -> bool:
        return roles.may_see_customers(self.user, service_request)

    def _writable(self) -> ServiceRequest:
        service_request = self.service_request()
        if not self._sees(service_request):
            raise PermissionDenied(_("You may not see this request's contact details."))
        return service_request

    def list(self, request: Request, *args, **kwargs) -> Response:
        service_request = self.service_request()
        sees = self._sees(service_request)
        rows = list(selectors.subscriptions(service_request))
        if sees and rows:
            audit_look(self.user, where=WHERE)
        return Response(SubscriptionSerializer(rows, many=True, context={"sees_contact_details": sees}).data)

    def create(self, request: Request, *args, **kwargs) -> Response:
        service_request = self._writable()
        incoming = SubscribeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            subscription = notifications.subscribe(service_request, data["email"], language=data.get("language", ""))
        except notifications.SubscriptionError as exc:
            key = "non_field_errors" if service_request.is_private else "email"
            raise serializers.ValidationError({key: [str(exc)]}) from exc
        return Response(
            SubscriptionSerializer(subscription, context={"sees_contact_details": True}).data,
            status=status.HTTP_201_CREATED,
        )

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        service_request = self._writable()
        pk = selectors.object_id(self.kwargs["pk"])
        subscription = selectors.subscription(service_request, pk) if pk else None
        if subscription is None:
            raise NotFound()
        # The same one-click unsubscribe as the link in the e-mails (notifications has no other door).
        notifications.unsubscribe(notifications.make_token("unsub", s=subscription.pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
