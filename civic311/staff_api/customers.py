"""Customers (the contact centre's CRM records) in the staff API: the console's caller lookup, a record with
its phones, e-mails, addresses, consent and history, and creating and changing one through
`people.services`.

A customer record is personal data. Only those whom the roles let see residents' contact details
(`roles.may_see_customers`: agents, supervisors, admins) get in; everyone else is refused (403). Every look
is written in the personal-data audit (`PersonalDataAccess`, where "staff API"), as the console does: a
search leaves a "search" row per customer found, each response showing a record a "view" row, each change
an "edit" row. A record merged into another is followed to the one it was merged into.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from civic311.people import services as people
from civic311.people.models import Customer, CustomerPhone, User
from civic311.people.selectors import customer_details_for, find_customers
from civic311.service_requests.selectors import HistoryItem, customer_history

from . import selectors
from .permissions import InTheirCity, SeesCustomers, StaffModelPermission
from .views import DENIED, INVALID, NOT_FOUND, StaffAPIView, _path, service_rules

WHERE = "staff API"
HISTORY_MAX = 100

CUSTOMER_EXAMPLE = {
    "id": 57,
    "first_name": "Pat",
    "last_name": "Resident",
    "preferred_language": "es",
    "consent_contact": True,
    "consent_survey": False,
    "consent_updated_at": "2026-03-02T09:16:00-05:00",
    "created_at": "2025-11-20T14:02:00-05:00",
    "updated_at": "2026-03-02T09:16:00-05:00",
    "anonymised_at": None,
    "phones": [{"id": 90, "number": "+12155550100", "label": "mobile", "is_primary": True}],
    "emails": [{"id": 71, "email": "pat@example.org", "is_primary": True}],
    "addresses": [
        {
            "id": 33,
            "address": "1400 John F Kennedy Blvd",
            "zipcode": "19107",
            "lat": 39.9526,
            "long": -75.1635,
            "is_primary": True,
        }
    ],
    "history": [
        {
            "at": "2026-03-02T09:14:00-05:00",
            "kind": "contact",
            "channel": "phone",
            "outcome": "service_request",
            "service": "Illegal Dumping",
            "tracking_number": "10000001",
            "status": "new",
        }
    ],
}


class PhoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(help_text=_("E.164, e.g. +12155550100."))
    label = serializers.ChoiceField(  # type: ignore[assignment]  # a field named "label", not Field.label
        choices=CustomerPhone.Label.choices, default=CustomerPhone.Label.MOBILE
    )
    is_primary = serializers.BooleanField(read_only=True)


class EmailSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.CharField()
    is_primary = serializers.BooleanField(read_only=True)


class AddressSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    address = serializers.CharField(max_length=300)
    zipcode = serializers.CharField(required=False, allow_blank=True, max_length=10, default="")
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    long = serializers.FloatField(required=False, allow_null=True, default=None)
    is_primary = serializers.BooleanField(read_only=True)


class HistoryItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["contact", "request"])
    # Plain text, not an enum in the schema: the same names with other choice sets would collide there.
    channel = serializers.CharField(help_text=_("phone, walk_in, email, sms, web, mobile, social…"))
    outcome = serializers.CharField(help_text=_("service_request, information, directory…"))
    service = serializers.CharField(help_text=_("The service's name; empty for an answer about nothing in particular."))
    tracking_number = serializers.CharField(help_text=_("The request filed or joined; empty if none."))
    status = serializers.CharField(help_text=_("That request's status now; empty if none."))


class CustomerSummarySerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(help_text=_("The primary phone number; empty if none."))
    email = serializers.SerializerMethodField(help_text=_("The primary e-mail address; empty if none."))

    class Meta:
        model = Customer
        fields = ("id", "first_name", "last_name", "preferred_language", "phone", "email")
        read_only_fields = fields

    def get_phone(self, customer: Customer) -> str:
        phones = sorted(customer.phones.all(), key=lambda phone: not phone.is_primary)
        return phones[0].number if phones else ""

    def get_email(self, customer: Customer) -> str:
        emails = sorted(customer.emails.all(), key=lambda email: not email.is_primary)
        return emails[0].email if emails else ""


class CustomerSerializer(serializers.ModelSerializer):
    phones = PhoneSerializer(many=True, read_only=True)
    emails = EmailSerializer(many=True, read_only=True)
    addresses = AddressSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField(
        help_text=_("Their contacts and requests on every channel, newest first (at most 100).")
    )

    class Meta:
        model = Customer
        fields = (
            "id",
            "first_name",
            "last_name",
            "preferred_language",
            "consent_contact",
            "consent_survey",
            "consent_updated_at",
            "created_at",
            "updated_at",
            "anonymised_at",
            "phones",
            "emails",
            "addresses",
            "history",
        )
        read_only_fields = fields

    @extend_schema_field(HistoryItemSerializer(many=True))
    def get_history(self, customer: Customer) -> list[dict]:
        items: list[HistoryItem] = customer_history(customer, limit=HISTORY_MAX)
        return HistoryItemSerializer(items, many=True).data  # type: ignore[return-value]


class SearchSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200,
        help_text=_(
            "What the caller says: a phone number in any format (the last 7 digits are enough), an "
            "e-mail address, or the start of their first and last names."
        ),
    )


class NewCustomerSerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phones = PhoneSerializer(many=True, required=False, help_text=_("The first is the primary number."))
    emails = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("The first is the primary address.")
    )
    addresses = AddressSerializer(many=True, required=False, help_text=_("The first is the primary address."))
    consent_contact = serializers.BooleanField(required=False, default=False)
    consent_survey = serializers.BooleanField(required=False, default=False)
    preferred_language = serializers.CharField(required=False, allow_blank=True, max_length=10)


class CustomerChangesSerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    preferred_language = serializers.CharField(required=False, allow_blank=True, max_length=10)
    consent_contact = serializers.BooleanField(required=False, help_text=_("The resident's decision, given now."))
    consent_survey = serializers.BooleanField(required=False, help_text=_("The resident's decision, given now."))
    add_phones = PhoneSerializer(many=True, required=False, help_text=_("Phone numbers to add."))
    add_emails = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("E-mail addresses to add.")
    )
    add_addresses = AddressSerializer(many=True, required=False, help_text=_("Addresses to add."))


@contextmanager
def under(key: str) -> Iterator[None]:
    """A service's refusal of one added phone, e-mail or address, reported under the list's field."""
    try:
        yield
    except DjangoValidationError as exc:
        messages = [str(message) for messages in exc.message_dict.values() for message in messages]
        raise serializers.ValidationError({key: messages}) from exc


CUSTOMER_ID = _path("id", _("The customer's id; a merged record's id reads the record it was merged into."), "57")


@extend_schema_view(
    list=extend_schema(
        summary=_("Find customers"),
        description=_(
            "The console's caller lookup: at most 25 customers, by name; a merged record is shown as the "
            "one it was merged into. Each customer found is recorded in the personal-data audit."
        ),
        parameters=[SearchSerializer],
        responses={200: CustomerSummarySerializer(many=True), **INVALID, **DENIED},
        examples=[
            OpenApiExample(
                "found",
                value=[
                    {
                        "id": 57,
                        "first_name": "Pat",
                        "last_name": "Resident",
                        "preferred_language": "es",
                        "phone": "+12155550100",
                        "email": "pat@example.org",
                    }
                ],
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary=_("Get a customer"),
        description=_(
            "The record with its phones, e-mails, addresses, consent and history. Recorded in the personal-data audit."
        ),
        parameters=[CUSTOMER_ID],
        responses={200: CustomerSerializer, **DENIED, **NOT_FOUND},
        examples=[OpenApiExample("a customer", value=CUSTOMER_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary=_("Create a customer"),
        description=_("A new record: at least a name, a phone number or an e-mail address."),
        request=NewCustomerSerializer,
        responses={201: CustomerSerializer, **INVALID, **DENIED},
        examples=[
            OpenApiExample(
                "a caller",
                value={
                    "first_name": "Pat",
                    "last_name": "Resident",
                    "phones": [{"number": "215-555-0100", "label": "mobile"}],
                    "emails": ["pat@example.org"],
                    "consent_contact": True,
                    "preferred_language": "es",
                },
                request_only=True,
            ),
            OpenApiExample("created", value=CUSTOMER_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    ),
    partial_update=extend_schema(
        summary=_("Change a customer"),
        description=_(
            "The name, the language, the consent (the resident's decision, recorded with the time), and "
            "phones, e-mails and addresses to add; all or nothing."
        ),
        parameters=[CUSTOMER_ID],
        request=CustomerChangesSerializer,
        responses={200: CustomerSerializer, **INVALID, **DENIED, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "agreed to a survey, and a work number",
                value={"consent_survey": True, "add_phones": [{"number": "215-555-0199", "label": "work"}]},
                request_only=True,
            ),
            OpenApiExample("changed", value=CUSTOMER_EXAMPLE, response_only=True),
        ],
    ),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffAPIView):
    serializer_class = CustomerSerializer
    queryset = Customer.objects.none()
    pagination_class = None
    permission_classes = [StaffModelPermission, InTheirCity, SeesCustomers]
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "list": ("people.view_customer", "people.change_customer"),
        "retrieve": ("people.view_customer", "people.change_customer"),
        "create": ("people.add_customer",),
        "partial_update": ("people.change_customer",),
    }

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def list(self, request: Request, *args, **kwargs) -> Response:
        query = SearchSerializer(data={"q": request.query_params.get("q", "")} if "q" in request.query_params else {})
        query.is_valid(raise_exception=True)
        found = find_customers(self.jurisdiction, query.validated_data["q"], actor=self.user, where=WHERE)
        rows = Customer.objects.filter(pk__in=[customer.pk for customer in found]).prefetch_related("phones", "emails")
        by_pk = {row.pk: row for row in rows}
        return Response(CustomerSummarySerializer([by_pk[c.pk] for c in found if c.pk in by_pk], many=True).data)

    def get_object(self) -> Customer:
        pk = selectors.object_id(self.kwargs["pk"])
        return self.found(selectors.customer(self.jurisdiction, pk) if pk else None)

    def _show(self, customer: Customer, code: int = status.HTTP_200_OK) -> Response:
        shown = customer_details_for(self.user, customer, where=WHERE)  # the audit's "view" row
        return Response(CustomerSerializer(shown).data, status=code)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self._show(self.get_object())

    def create(self, request: Request, *args, **kwargs) -> Response:
        incoming = NewCustomerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with service_rules():
            customer = people.create_customer(
                self.jurisdiction,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                phones=[people.PhoneIn(phone["number"], phone["label"]) for phone in data.get("phones", [])],
                emails=data.get("emails", []),
                addresses=[people.AddressIn(**address) for address in data.get("addresses", [])],
                consent_contact=data["consent_contact"],
                consent_survey=data["consent_survey"],
                preferred_language=data.get("preferred_language", ""),
                actor=self.user,
                where=WHERE,
            )
        return self._show(customer, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        customer = self.get_object()
        incoming = CustomerChangesSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        actor, where = self.user, WHERE
        with service_rules(), transaction.atomic():
            names = {name: data[name] for name in ("first_name", "last_name", "preferred_language") if name in data}
            if names:
                people.update_customer(customer, **names, actor=actor, where=where)
            if "consent_contact" in data or "consent_survey" in data:
                people.record_consent(
                    customer,
                    contact=data.get("consent_contact"),
                    survey=data.get("consent_survey"),
                    actor=actor,
                    where=where,
                )
            for phone in data.get("add_phones", []):
                with under("add_phones"):
                    people.add_phone(customer, phone["number"], label=phone["label"], actor=actor, where=where)
            for email in data.get("add_emails", []):
                with under("add_emails"):
                    people.add_email(customer, email, actor=actor, where=where)
            for address in data.get("add_addresses", []):
                with under("add_addresses"):
                    people.add_address(customer, people.AddressIn(**address), actor=actor, where=where)
        return self._show(customer)
