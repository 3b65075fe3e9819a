"""Contacts in the staff API: every time a resident reached the city, whatever came of it, and logging an
answer given (an information request) through `service_requests.services.log_information_request`.

A contact names its customer by id only: the resident's details are read through `customers/`, which
checks who may see them and audits each look. Agents read their own contacts; supervisors and admins
(`roles.may_look_at_contact`) every contact of the city.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests import services
from civic311.service_requests.models import Channel, Contact

from . import selectors
from .permissions import InTheirCity, StaffModelPermission
from .serializers import _slug
from .views import DENIED, INVALID, NOT_FOUND, StaffAPIView, _path, service_rules

READ_CONTACTS = ("requests.view_contact", "requests.change_contact")
# Where an agent gives an answer (the web, the apps and Open311 clients file requests; they ask nothing).
ANSWER_CHANNELS = [
    (channel.value, channel.label)
    for channel in (Channel.PHONE, Channel.WALK_IN, Channel.EMAIL, Channel.SMS, Channel.SOCIAL)
]

ANSWER_OUTCOMES = [
    (Contact.Outcome.INFORMATION.value, Contact.Outcome.INFORMATION.label),
    (Contact.Outcome.DIRECTORY.value, Contact.Outcome.DIRECTORY.label),
]

CONTACT_EXAMPLE = {
    "id": 812,
    "channel": "phone",
    "outcome": "information",
    "service_code": "SR-ST02",
    "tracking_number": None,
    "agent": "dana",
    "desk": None,
    "customer": 57,
    "summary": "Bulk pick-up is on the second Saturday; told the caller how to book it.",
    "survey_consent": None,
    "started_at": "2026-03-02T09:14:00-05:00",
    "ended_at": "2026-03-02T09:18:30-05:00",
}


# How far back an answer given may be logged.
CONTACT_LOGGED_WITHIN = dt.timedelta(days=366)


class ContactSerializer(serializers.ModelSerializer):
    # Plain text, not an enum in the schema: the same names with other choice sets would collide there.
    channel = serializers.CharField(
        read_only=True,
        help_text=_("phone, walk_in, email, sms, web, mobile, social, liaison, open311 or import."),
    )
    outcome = serializers.CharField(
        read_only=True,
        help_text=_("pending, service_request, information, directory, canned_answer, existing_request or hung_up."),
    )
    service_code = _slug("code", source="service", allow_null=True)
    tracking_number = _slug("tracking_number", source="service_request", allow_null=True)
    agent = _slug("username", allow_null=True)
    desk = serializers.SerializerMethodField(help_text=_("The walk-in service desk; null on other channels."))
    customer = serializers.IntegerField(
        source="customer_id",
        read_only=True,
        allow_null=True,
        help_text=_("The customer record's id (read it at customers/{id}/ if your role lets you); null if none."),
    )
    summary = serializers.CharField(read_only=True, help_text=_("The answer given, for an information request."))

    class Meta:
        model = Contact
        fields = (
            "id",
            "channel",
            "outcome",
            "service_code",
            "tracking_number",
            "agent",
            "desk",
            "customer",
            "summary",
            "survey_consent",
            "started_at",
            "ended_at",
        )
        read_only_fields = fields

    def get_desk(self, contact: Contact) -> str | None:
        return contact.desk.name if contact.desk is not None else None


class ContactFilterSerializer(serializers.Serializer):
    channel = serializers.MultipleChoiceField(
        choices=Channel.choices, required=False, help_text=_("Repeat to ask for several channels.")
    )
    outcome = serializers.MultipleChoiceField(
        choices=Contact.Outcome.choices, required=False, help_text=_("Repeat to ask for several outcomes.")
    )
    agent = serializers.CharField(required=False, max_length=150, help_text=_("The agent's username."))
    started_after = serializers.DateTimeField(required=False, help_text=_("Started at or after (ISO 8601)."))
    started_before = serializers.DateTimeField(required=False, help_text=_("Started before (ISO 8601)."))
    service_request = serializers.CharField(
        required=False, max_length=100, help_text=_("The tracking number of the request the contact filed or joined.")
    )


class InformationContactSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=ANSWER_CHANNELS, default=Channel.PHONE, help_text=_("How the resident reached the city.")
    )
    summary = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=_("The answer given."))
    outcome = serializers.ChoiceField(choices=ANSWER_OUTCOMES, default=Contact.Outcome.INFORMATION)
    service_code = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text=_("The service the question was about, if any.")
    )
    started_at = serializers.DateTimeField(required=False, help_text=_("When the contact began; now by default."))

    def validate_started_at(self, value: dt.datetime) -> dt.datetime:
        now = timezone.now()
        if value > now:
            raise serializers.ValidationError(_("A contact cannot start in the future."))
        # An answer is logged soon after it is given; a date years back is a mistake (and one before 1900
        # has no offset RFC 3339 can write in the city's zone).
        if value < now - CONTACT_LOGGED_WITHIN:
            raise serializers.ValidationError(_("A contact cannot have started more than a year ago."))
        return value


class ContactPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-started_at", "-pk")


CONTACT_ID = _path("id", _("The contact's id."), "812")


@extend_schema_view(
    list=extend_schema(
        summary=_("List contacts"),
        description=_(
            "Newest first, 50 to a page (page_size up to 200); follow `next` for more. Agents see their own "
            "contacts; supervisors and admins every contact of the city."
        ),
        parameters=[ContactFilterSerializer],
        responses={
            200: ContactSerializer(many=True),
            **INVALID,
            **DENIED,
            404: OpenApiResponse(description=_("An invalid cursor.")),
        },
        examples=[OpenApiExample("contact", value=CONTACT_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary=_("Get a contact"),
        parameters=[CONTACT_ID],
        responses={200: ContactSerializer, **DENIED, **NOT_FOUND},
        examples=[OpenApiExample("contact", value=CONTACT_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary=_("Log an answer given"),
        description=_(
            "Records a contact that needed only an answer (information or directory assistance), with you "
            "as its agent. To file a request instead, use `POST requests/`."
        ),
        request=InformationContactSerializer,
        responses={201: ContactSerializer, **INVALID, **DENIED},
        examples=[
            OpenApiExample(
                "an answer on the phone",
                value={
                    "channel": "phone",
                    "summary": "Bulk pick-up is on the second Saturday; told the caller how to book it.",
                    "service_code": "SR-ST02",
                },
                request_only=True,
            ),
            OpenApiExample("contact", value=CONTACT_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    ),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffAPIView):
    serializer_class = ContactSerializer
    queryset = Contact.objects.none()
    pagination_class = ContactPagination
    permission_classes = [StaffModelPermission, InTheirCity]
    lookup_value_regex = "[^/]+"  # any text: a bad id is a JSON 404, not an unmatched URL
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {
        "list": READ_CONTACTS,
        "retrieve": READ_CONTACTS,
        "create": ("requests.add_contact",),
    }

    def _only_agent(self) -> User | None:
        """Another agent's contacts are for supervisors and admins; an agent reads their own."""
        user = self.request.user
        return None if roles.may_look_at_contact(user, self.jurisdiction.pk) else user  # type: ignore[return-value]

    def get_queryset(self):
        params = self.request.query_params
        data: dict = {
            name: params.get(name)
            for name in ("agent", "started_after", "started_before", "service_request")
            if name in params
        }
        for name in ("channel", "outcome"):
            if name in params:
                data[name] = params.getlist(name)
        filters = ContactFilterSerializer(data=data)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        return selectors.contacts(
            self.jurisdiction,
            channels=given.get("channel") or (),
            outcomes=given.get("outcome") or (),
            agent_username=given.get("agent", ""),
            started_after=given.get("started_after"),
            started_before=given.get("started_before"),
            tracking_number=given.get("service_request", ""),
            only_agent=self._only_agent(),
        )

    def get_object(self):
        pk = selectors.object_id(self.kwargs["pk"])
        found = selectors.contact(self.jurisdiction, pk, only_agent=self._only_agent()) if pk else None
        return self.found(found)

    def create(self, request: Request, *args, **kwargs) -> Response:
        incoming = InformationContactSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        service = None
        if data.get("service_code"):
            service = selectors.service(self.jurisdiction, data["service_code"])
            if service is None:
                raise serializers.ValidationError({"service_code": [str(_("There is no service with that code."))]})
        with service_rules():
            contact = services.log_information_request(
                self.jurisdiction,
                channel=data["channel"],
                summary=data["summary"],
                service=service,
                agent=request.user,  # type: ignore[arg-type]
                outcome=data["outcome"],
                started_at=data.get("started_at"),
            )
        fresh = selectors.contact(self.jurisdiction, contact.pk)
        return Response(ContactSerializer(fresh).data, status=status.HTTP_201_CREATED)
