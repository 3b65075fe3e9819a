"""What the staff API reads and writes. Reads describe models; writes only check the shape of the
input: the rules are the services' (`civic311.service_requests.services`), called by the views."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civic311.catalogue.models import AttributeValue, Department, Service, ServiceAttribute
from civic311.people import selectors as people
from civic311.people.models import Requester
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, HistoryEntry, Photo, ServiceRequest
from civic311.service_requests.services import EDITABLE_DETAILS

ANSWER_SCHEMA = {
    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    "description": _("One answer: text, or a list of keys for a multi-value list question."),
}


@extend_schema_field(ANSWER_SCHEMA)
class AnswerField(serializers.Field):
    """An answer to a service's question: a string, or a list of strings."""

    default_error_messages = {"invalid": _("An answer is a text or a list of texts.")}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        if isinstance(value, list):
            return [str(item) for item in value]
        return str(value)


def _slug(slug_field: str, **options) -> serializers.SlugRelatedField:
    """A related object, read as one of its fields (a slug, a code, a tracking number, a username)."""
    return serializers.SlugRelatedField(slug_field=slug_field, read_only=True, **options)


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "example": "08:30",
        "description": _("A local wall-clock time in the jurisdiction's time zone, HH:MM."),
    }
)
class LocalTimeField(serializers.TimeField):
    """A time of day with no zone (OpenAPI's `format: time` would demand an offset)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


# --- the catalogue -------------------------------------------------------------------------------


class DepartmentSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text=_("In the language asked for (Accept-Language)."))
    open_weekdays = serializers.SerializerMethodField(help_text=_("0 is Monday, 6 is Sunday."))
    opens_at = LocalTimeField(read_only=True)
    closes_at = LocalTimeField(read_only=True)

    class Meta:
        model = Department
        fields = (
            "slug",
            "name",
            "point_person",
            "contact_email",
            "contact_phone",
            "opens_at",
            "closes_at",
            "open_weekdays",
        )

    def get_name(self, department: Department) -> str:
        return department.localized("name")

    def get_open_weekdays(self, department: Department) -> list[int]:
        return [int(day) for day in department.open_weekdays.split(",") if day.strip().isdigit()]


class AttributeValueSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = AttributeValue
        fields = ("key", "name")

    def get_name(self, value: AttributeValue) -> str:
        return value.localized("name")


class ServiceAttributeSerializer(serializers.ModelSerializer):
    description = serializers.SerializerMethodField(help_text=_("The question asked."))
    datatype_description = serializers.SerializerMethodField()
    values = AttributeValueSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceAttribute
        fields = ("code", "datatype", "description", "datatype_description", "required", "variable", "order", "values")

    def get_description(self, attribute: ServiceAttribute) -> str:
        return attribute.localized("description")

    def get_datatype_description(self, attribute: ServiceAttribute) -> str:
        return attribute.localized("datatype_description")


class ServiceSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    group = serializers.SerializerMethodField()
    department = _slug("slug")
    keywords = serializers.SerializerMethodField()
    attributes = ServiceAttributeSerializer(many=True, read_only=True)

    class Meta:
        model = Service
        fields = (
            "code",
            "name",
            "description",
            "group",
            "department",
            "kind",
            "open311_type",
            "sla_unit",
            "sla_value",
            "service_notice",
            "is_active",
            "keywords",
            "attributes",
        )

    def get_name(self, service: Service) -> str:
        return service.localized("name")

    def get_description(self, service: Service) -> str:
        return service.localized("description")

    def get_group(self, service: Service) -> str:
        return service.group.localized("name")

    def get_keywords(self, service: Service) -> list[str]:
        return service.keyword_list()


# --- service requests -------------------------------------------------------------------------------


class RequesterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Requester
        fields = ("first_name", "last_name", "email", "phone")


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ("url", "stage", "is_public", "width", "height", "created_at")

    def get_url(self, photo: Photo) -> str:
        request = self.context.get("request")
        url = photo.image.url if photo.image else ""
        return request.build_absolute_uri(url) if request is not None and url else url


class ServiceRequestSerializer(serializers.ModelSerializer):
    service_code = _slug("code", source="service")
    service_name = serializers.SerializerMethodField()
    department = _slug("slug")
    open311_status = serializers.ChoiceField(choices=["open", "closed"], read_only=True)
    neighborhood = _slug("slug", allow_null=True)
    attributes = serializers.DictField(
        child=AnswerField(), read_only=True, help_text=_("The answers, keyed by question code.")
    )
    assignee = _slug("username", allow_null=True)
    duplicate_of = _slug("tracking_number", allow_null=True)
    parent_request = _slug("tracking_number", source="parent", allow_null=True)
    media_url = serializers.CharField(
        read_only=True, help_text=_("A photo an Open311 client hosts itself; linked, never fetched. Empty when none.")
    )
    overdue = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    requester = serializers.SerializerMethodField(
        help_text=_(
            "The resident's contact details: null unless your role lets you see them (agents, "
            "supervisors, admins, or the request's assignee), or when none were given. Every "
            "time they are shown is recorded in the personal-data audit."
        )
    )

    class Meta:
        model = ServiceRequest
        fields = (
            "tracking_number",
            "service_code",
            "service_name",
            "department",
            "status",
            "open311_status",
            "status_notes",
            "channel",
            "description",
            "address",
            "zipcode",
            "lat",
            "long",
            "neighborhood",
            "attributes",
            "is_private",
            "hazard",
            "assignee",
            "duplicate_of",
            "parent_request",
            "media_url",
            "requested_at",
            "updated_at",
            "expected_at",
            "closed_at",
            "overdue",
            "photos",
            "requester",
        )
        read_only_fields = fields

    def get_service_name(self, service_request: ServiceRequest) -> str:
        return service_request.service.localized("name")

    def get_overdue(self, service_request: ServiceRequest) -> bool:
        return service_request.is_overdue(timezone.now())

    @extend_schema_field(RequesterSerializer(allow_null=True))
    def get_requester(self, service_request: ServiceRequest) -> dict | None:
        request = self.context.get("request")
        if request is None:
            return None
        requester = people.requester_details_for(request.user, service_request, where="staff API")
        return None if requester is None else RequesterSerializer(requester).data


class HistoryEntrySerializer(serializers.ModelSerializer):
    who = serializers.SerializerMethodField(help_text=_("The member of staff, or “Resident”, “System”, a client."))
    actor = _slug("username", allow_null=True, help_text=_("The staff member's username, when staff acted."))
    from_status = serializers.ChoiceField(
        choices=Status.choices, allow_blank=True, read_only=True, help_text=_("Empty unless the status changed.")
    )
    to_status = serializers.ChoiceField(
        choices=Status.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("Empty unless the status changed (or the request opened)."),
    )

    class Meta:
        model = HistoryEntry
        fields = ("id", "kind", "is_public", "who", "actor", "from_status", "to_status", "text", "created_at")
        read_only_fields = fields

    def get_who(self, entry: HistoryEntry) -> str:
        return entry.who


# --- writes: the input's shape only; the services judge the content --------------------------------


class FileRequestSerializer(serializers.Serializer):
    service_code = serializers.CharField(max_length=100)
    channel = serializers.ChoiceField(
        choices=[c for c in Channel.choices if c[0] != Channel.IMPORT],
        default=Channel.PHONE,
        help_text=_("How the resident reached the city."),
    )
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    address = serializers.CharField(required=False, allow_blank=True)
    zipcode = serializers.CharField(required=False, allow_blank=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    long = serializers.FloatField(required=False, allow_null=True)
    neighborhood = serializers.CharField(
        required=False, allow_blank=True, help_text=_("A neighborhood slug, when there is no point.")
    )
    answers = serializers.DictField(
        child=AnswerField(), required=False, help_text=_("Answers to the service's questions, keyed by question code.")
    )
    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    is_private = serializers.BooleanField(required=False, default=False)
    media_url = serializers.CharField(
        required=False, allow_blank=True, help_text=_("A photo hosted elsewhere; linked, never fetched.")
    )
    idempotency_key = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Send the same key again to get the first request back instead of filing twice."),
    )


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, help_text=_("The status to move to."))
    public_reason = serializers.CharField(
        required=False, allow_blank=True, help_text=_("What the resident is told; needed to close, refer or cancel.")
    )
    internal_note = serializers.CharField(required=False, allow_blank=True)
    assignee = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Username of the staff member; needed for “assigned”.")
    )
    duplicate_of = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Tracking number of the original; needed for “duplicate”.")
    )


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    is_public = serializers.BooleanField(
        default=False, help_text=_("A public note is shown to the resident and becomes the status note.")
    )


class DetailsSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    address = serializers.CharField(required=False, allow_blank=True)
    zipcode = serializers.CharField(required=False, allow_blank=True)
    is_private = serializers.BooleanField(required=False)
    hazard = serializers.BooleanField(required=False)

    def validate(self, attrs):
        assert set(attrs) <= set(EDITABLE_DETAILS)
        return attrs


class RequestFilterSerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(
        choices=Status.choices, required=False, help_text=_("Repeat to ask for several statuses.")
    )
    department = serializers.CharField(required=False, max_length=100, help_text=_("A department slug."))
    service_code = serializers.CharField(required=False, max_length=100)
    updated_after = serializers.DateTimeField(
        required=False, help_text=_("Only requests changed after this time (ISO 8601).")
    )
    overdue = serializers.BooleanField(
        required=False, help_text=_("true: open and past the expected date; false: the others.")
    )


# --- errors, for the schema (their shape is written in civic311.staff_api.schema) ---------------------


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: field names (or non_field_errors) mapped to lists of messages."""


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class CannedAnswerSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What the resident must be told, e.g. to call 911."))
    code = serializers.ChoiceField(choices=["canned_answer"])
