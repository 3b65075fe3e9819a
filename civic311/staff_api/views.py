"""The staff REST API: thin views over the selectors (reads) and the request services (writes).

Everything is scoped to the jurisdiction the request is for (`request.jurisdiction`); a request,
service or department of another jurisdiction does not exist here (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from civic311.catalogue.models import Department, Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.service_requests import services
from civic311.service_requests.models import ServiceRequest

from . import selectors
from .permissions import StaffModelPermission
from .serializers import (
    CannedAnswerSerializer,
    DepartmentSerializer,
    DetailsSerializer,
    ErrorSerializer,
    FileRequestSerializer,
    HistoryEntrySerializer,
    NoteSerializer,
    RequestFilterSerializer,
    ServiceRequestSerializer,
    ServiceSerializer,
    StatusChangeSerializer,
    ValidationErrorSerializer,
)

READ_REQUESTS = ("requests.view_servicerequest", "requests.change_servicerequest")
CHANGE_REQUESTS = ("requests.change_servicerequest",)

DENIED = {
    401: OpenApiResponse(ErrorSerializer, description=_("No valid token or session.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not staff, or without the permission.")),
}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description=_("Not in this jurisdiction."))}
INVALID = {400: OpenApiResponse(ValidationErrorSerializer, description=_("The input was refused; nothing changed."))}


def _path(name: str, description: str | Promise, example: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        description=description,
        examples=[OpenApiExample(name, value=example)],
    )


TRACKING_NUMBER = _path("tracking_number", _("The request's tracking number."), "10000001")


class CannedAnswerRefusal(APIException):
    """A safety rule answered the report ("leave the area and call 911"); no request was filed."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "canned_answer"


@contextmanager
def service_rules() -> Iterator[None]:
    """A service's refusal as DRF's 400, keyed by field like any serializer error."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
    except services.CannedAnswer as exc:
        raise CannedAnswerRefusal({"detail": exc.message, "code": "canned_answer"}) from exc


class StaffAPIView(viewsets.GenericViewSet):
    permission_classes = [StaffModelPermission]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    action_permissions: dict[str, tuple[str, ...]] = {}

    @property
    def jurisdiction(self) -> Jurisdiction:
        jurisdiction = getattr(self.request, "jurisdiction", None)
        if jurisdiction is None:
            raise NotFound(_("This site serves no jurisdiction."))
        return jurisdiction

    def found(self, obj):
        if obj is None:
            raise NotFound()
        self.check_object_permissions(self.request, obj)
        return obj


@extend_schema_view(
    list=extend_schema(summary=_("List departments"), responses={200: DepartmentSerializer(many=True), **DENIED}),
    retrieve=extend_schema(
        summary=_("Get a department"),
        parameters=[_path("slug", _("The department's slug."), "streets")],
        responses={200: DepartmentSerializer, **DENIED, **NOT_FOUND},
    ),
)
class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffAPIView):
    serializer_class = DepartmentSerializer
    queryset = Department.objects.none()  # the schema's model; the data comes from the selectors
    pagination_class = None
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"  # any text: an unknown slug is a JSON 404, not an unmatched URL
    action_permissions = {"*": ("catalogue.view_department", "catalogue.change_department")}

    def get_queryset(self):
        return selectors.departments(self.jurisdiction)

    def get_object(self):
        return self.found(selectors.department(self.jurisdiction, self.kwargs["slug"]))


@extend_schema_view(
    list=extend_schema(
        summary=_("List services"),
        description=_(
            "The whole catalogue, inactive and information-only services included, "
            "with the questions each asks and their choices."
        ),
        responses={200: ServiceSerializer(many=True), **DENIED},
    ),
    retrieve=extend_schema(
        summary=_("Get a service"),
        parameters=[_path("code", _("The service code."), "SR-ST02")],
        responses={200: ServiceSerializer, **DENIED, **NOT_FOUND},
    ),
)
class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffAPIView):
    serializer_class = ServiceSerializer
    queryset = Service.objects.none()
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    action_permissions = {"*": ("catalogue.view_service", "catalogue.change_service")}

    def get_queryset(self):
        return selectors.services(self.jurisdiction)

    def get_object(self):
        return self.found(selectors.service(self.jurisdiction, self.kwargs["code"]))


class RequestCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-requested_at", "-pk")


@extend_schema_view(
    list=extend_schema(
        summary=_("List service requests"),
        description=_("Newest first, 50 to a page (page_size up to 200); follow `next` for more."),
        parameters=[RequestFilterSerializer],
        responses={
            200: ServiceRequestSerializer(many=True),
            **INVALID,
            **DENIED,
            404: OpenApiResponse(ErrorSerializer, description=_("An invalid cursor.")),
        },
    ),
    retrieve=extend_schema(
        summary=_("Get a service request"),
        parameters=[TRACKING_NUMBER],
        responses={200: ServiceRequestSerializer, **DENIED, **NOT_FOUND},
    ),
    create=extend_schema(
        summary=_("File a service request"),
        description=_(
            "Files a request through the intake rules, on the channel given (phone, walk-in…), "
            "with you as the agent. 201 when filed; 200 with the first request when the "
            "idempotency key was seen before; 409 when a safety rule answered the report instead "
            "(nothing filed; tell the resident `detail`)."
        ),
        request=FileRequestSerializer,
        responses={
            201: ServiceRequestSerializer,
            200: OpenApiResponse(ServiceRequestSerializer, description=_("Filed before (same key).")),
            **INVALID,
            **DENIED,
            409: OpenApiResponse(CannedAnswerSerializer, description=_("Answered by a safety rule.")),
        },
    ),
    partial_update=extend_schema(
        summary=_("Correct a request's details"),
        description=_(
            "Description, address, ZIP code, privacy and hazard, checked by the intake's rules; "
            "leaves an internal history entry. Marking a request hazardous alerts its department."
        ),
        parameters=[TRACKING_NUMBER],
        request=DetailsSerializer,
        responses={200: ServiceRequestSerializer, **INVALID, **DENIED, **NOT_FOUND},
    ),
)
class ServiceRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffAPIView):
    serializer_class = ServiceRequestSerializer
    queryset = ServiceRequest.objects.none()
    pagination_class = RequestCursorPagination
    lookup_field = "tracking_number"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "list": READ_REQUESTS,
        "retrieve": READ_REQUESTS,
        "history": READ_REQUESTS,
        "create": ("requests.add_servicerequest",),
        "partial_update": CHANGE_REQUESTS,
        "change_status": CHANGE_REQUESTS,
        "add_note": CHANGE_REQUESTS,
    }

    def get_queryset(self):
        filters = RequestFilterSerializer(data=self._filter_params())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return roles.visible_requests(
            self.request.user,
            selectors.service_requests(
                self.jurisdiction,
                statuses=data.get("status") or (),
                department_slug=data.get("department", ""),
                service_code=data.get("service_code", ""),
                updated_after=data.get("updated_after"),
                overdue=data.get("overdue"),
            ),
        )

    def _filter_params(self) -> dict:
        # A plain dict, not the QueryDict: DRF reads a missing boolean in form data as false.
        params = self.request.query_params
        data: dict = {
            name: params.get(name)
            for name in ("department", "service_code", "updated_after", "overdue")
            if name in params
        }
        if "status" in params:
            data["status"] = params.getlist("status")
        return data

    def get_object(self):
        found = selectors.service_request(self.jurisdiction, self.kwargs["tracking_number"])
        # Another department's request is "not found", so its number says nothing about it.
        if found is not None and not roles.may_view_request(self.request.user, found):
            found = None
        return self.found(found)

    def _show(self, service_request: ServiceRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.service_request(self.jurisdiction, service_request.tracking_number)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        incoming = FileRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        report = services.Report(**incoming.validated_data)
        with service_rules():
            submission = services.submit(self.jurisdiction, report, actor=request.user)
        return self._show(
            submission.service_request, status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK
        )

    def partial_update(self, request, *args, **kwargs):
        service_request = self.get_object()
        incoming = DetailsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with service_rules():
            services.update_details(service_request, incoming.validated_data, actor=request.user)
        return self._show(service_request)

    @extend_schema(
        summary=_("A request's history"),
        description=_("Every entry, public (shown to the resident) and internal, oldest first."),
        parameters=[TRACKING_NUMBER],
        responses={200: HistoryEntrySerializer(many=True), **DENIED, **NOT_FOUND},
    )
    @action(detail=True, methods=["get"], pagination_class=None, serializer_class=HistoryEntrySerializer)
    def history(self, request, *args, **kwargs):
        entries = selectors.history(self.get_object())
        return Response(HistoryEntrySerializer(entries, many=True).data)

    @extend_schema(
        summary=_("Change a request's status"),
        description=_(
            "Moves the request along its lifecycle. An illegal move is a 400 that says "
            "which statuses are allowed, and changes nothing."
        ),
        parameters=[TRACKING_NUMBER],
        request=StatusChangeSerializer,
        responses={200: ServiceRequestSerializer, **INVALID, **DENIED, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="status", serializer_class=ServiceRequestSerializer)
    def change_status(self, request, *args, **kwargs):
        service_request = self.get_object()
        incoming = StatusChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        errors: dict[str, list[str]] = {}
        assignee = duplicate_of = None
        if data.get("assignee"):
            assignee = selectors.staff_member(data["assignee"])
            if assignee is None:
                errors["assignee"] = [str(_("There is no staff member with that username."))]
        if data.get("duplicate_of"):
            duplicate_of = selectors.service_request(self.jurisdiction, data["duplicate_of"])
            if duplicate_of is None:
                errors["duplicate_of"] = [str(_("There is no request with that tracking number."))]
        if errors:
            raise serializers.ValidationError(errors)
        with service_rules():
            services.change_status(
                service_request,
                data["status"],
                actor=request.user,
                public_reason=data.get("public_reason", ""),
                internal_note=data.get("internal_note", ""),
                assignee=assignee,
                duplicate_of=duplicate_of,
            )
        return self._show(service_request)

    @extend_schema(
        summary=_("Add a note"),
        description=_(
            "A public note is shown to the resident and, on an open request, becomes its "
            "status note; an internal note is for staff only."
        ),
        parameters=[TRACKING_NUMBER],
        request=NoteSerializer,
        responses={201: HistoryEntrySerializer, **INVALID, **DENIED, **NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="notes", serializer_class=HistoryEntrySerializer)
    def add_note(self, request, *args, **kwargs):
        service_request = self.get_object()
        incoming = NoteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with service_rules():
            entry = services.add_note(
                service_request,
                incoming.validated_data["text"],
                actor=request.user,
                public=incoming.validated_data["is_public"],
            )
        return Response(HistoryEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files (drf-spectacular-sidecar), its start-up script loaded from a
    URL rather than inlined, so it runs under the site's Content-Security-Policy (`script-src 'self'`)."""

    url_name = "staff_api:schema"
    template_name = "staff_api/swagger_ui.html"
