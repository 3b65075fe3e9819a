"""The inbox in the staff API: e-mails, text messages and posts as conversations, read through the console's
selectors (`inbox.selectors`: the same list, in the same order) and worked through `inbox.services.working`
(take, assign, status, reply, dismiss), which judge who may do what (`roles.may_work_inbox`,
`roles.may_manage_inbox`).

Who wrote (the sender's address, number or handle, and name) is personal data: shown only to those the
roles let see residents' contact details, and each item shown with it leaves a "view" row in the
personal-data audit (where "staff API").
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from civic311.inbox import selectors as inbox
from civic311.inbox.models import InboxChannel, InboxItem, InboxMessage
from civic311.inbox.services import working
from civic311.people.models import User
from civic311.people.selectors import audit_look, may_see_contact_details

from . import selectors
from .permissions import WorksTheInbox
from .serializers import _slug
from .views import DENIED, INVALID, NOT_FOUND, StaffAPIView, _path, service_rules

WHERE = "staff API"

ITEM_EXAMPLE = {
    "id": 301,
    "channel": "email",
    "status": "in_progress",
    "subject": "Trash not picked up on Pine St",
    "first_words": "Trash not picked up on Pine St",
    "sender": "pat@example.org",
    "sender_name": "Pat Resident",
    "language": "en",
    "network": "",
    "customer": 57,
    "tracking_number": None,
    "contact": 812,
    "assigned_to": "dana",
    "team": None,
    "received_at": "2026-03-02T08:40:00-05:00",
    "last_message_at": "2026-03-02T08:40:00-05:00",
    "response_due_at": "2026-03-03T08:40:00-05:00",
    "first_response_at": None,
    "done_at": None,
    "dismissed_reason": "",
    "overdue": False,
    "updated_at": "2026-03-02T09:14:00-05:00",
}
MESSAGE_EXAMPLE = {
    "id": 977,
    "direction": "in",
    "subject": "Trash not picked up on Pine St",
    "body": "The trash on the 1200 block of Pine St was not picked up this week.",
    "automatic": False,
    "dropped_attachments": "",
    "link": "",
    "lat": None,
    "long": None,
    "media_urls": [],
    "photos": [],
    "author": None,
    "sent_at": "2026-03-02T08:40:00-05:00",
}


class InboxItemSerializer(serializers.ModelSerializer):
    # Plain text, not enums in the schema: the same names with other choice sets would collide there.
    channel = serializers.CharField(read_only=True, help_text=_("email, sms or social."))
    status = serializers.CharField(read_only=True, help_text=_("new, in_progress, waiting (for the resident) or done."))
    sender = serializers.SerializerMethodField(
        help_text=_(
            "Who wrote: an e-mail address, a phone number or a handle. Null unless your role lets you see "
            "residents' contact details; each item shown with it is recorded in the personal-data audit."
        )
    )
    sender_name = serializers.SerializerMethodField(help_text=_("The name they gave; null as `sender`."))
    first_words = serializers.SerializerMethodField(help_text=_("The subject, or the start of the first message."))
    customer = serializers.IntegerField(source="customer_id", read_only=True, allow_null=True)
    tracking_number = _slug("tracking_number", source="service_request", allow_null=True)
    contact = serializers.IntegerField(source="contact_id", read_only=True, allow_null=True)
    assigned_to = _slug("username", allow_null=True)
    team = serializers.IntegerField(source="team_id", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = InboxItem
        fields: tuple[str, ...] = (
            "id",
            "channel",
            "status",
            "subject",
            "first_words",
            "sender",
            "sender_name",
            "language",
            "network",
            "customer",
            "tracking_number",
            "contact",
            "assigned_to",
            "team",
            "received_at",
            "last_message_at",
            "response_due_at",
            "first_response_at",
            "done_at",
            "dismissed_reason",
            "overdue",
            "updated_at",
        )
        read_only_fields = fields

    def _shown(self) -> bool:
        return bool(self.context.get("sees_contact_details"))

    def get_sender(self, item: InboxItem) -> str | None:
        return item.sender if self._shown() else None

    def get_sender_name(self, item: InboxItem) -> str | None:
        return item.sender_name if self._shown() else None

    def get_first_words(self, item: InboxItem) -> str:
        given = getattr(item, "first_words", None)
        if given is not None:
            return str(given)
        messages = getattr(item, "conversation", None) or []
        first = next((m for m in messages if m.direction == InboxMessage.Direction.IN), None)
        return " ".join((item.subject or (first.body if first else "")).split())[:120]

    def get_overdue(self, item: InboxItem) -> bool:
        return item.is_overdue()


class InboxMessageSerializer(serializers.ModelSerializer):
    link = serializers.CharField(read_only=True, help_text=_("A post's address; empty for other messages."))
    author = _slug("username", allow_null=True, help_text=_("The agent who wrote a reply; null otherwise."))
    photos = serializers.SerializerMethodField(help_text=_("The photos that came with the message."))

    class Meta:
        model = InboxMessage
        fields = (
            "id",
            "direction",
            "subject",
            "body",
            "automatic",
            "dropped_attachments",
            "link",
            "lat",
            "long",
            "media_urls",
            "photos",
            "author",
            "sent_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_photos(self, message: InboxMessage) -> list[str]:
        request = self.context.get("request")
        urls = [attachment.image.url for attachment in message.attachments.all() if attachment.image]
        return [request.build_absolute_uri(url) for url in urls] if request is not None else urls


class InboxItemDetailSerializer(InboxItemSerializer):
    messages = serializers.SerializerMethodField(help_text=_("The conversation, oldest first."))

    class Meta(InboxItemSerializer.Meta):
        fields = (*InboxItemSerializer.Meta.fields, "messages")
        read_only_fields = fields

    @extend_schema_field(InboxMessageSerializer(many=True))
    def get_messages(self, item: InboxItem) -> list[dict]:
        messages = getattr(item, "conversation", None)
        if messages is None:
            messages = list(item.messages.select_related("author").prefetch_related("attachments"))
        return InboxMessageSerializer(messages, many=True, context=self.context).data  # type: ignore[return-value]


class InboxFilterSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=InboxChannel.choices, required=False)
    status = serializers.ChoiceField(
        choices=[(value, value) for value in inbox.STATUS_FILTERS],
        required=False,
        default=inbox.STATUS_OPEN,
        help_text=_("open (anything not done; the default), new, in_progress, waiting, done, or all."),
    )
    assigned = serializers.ChoiceField(
        choices=[(inbox.ASSIGNED_ME, inbox.ASSIGNED_ME), (inbox.ASSIGNED_NOBODY, inbox.ASSIGNED_NOBODY)],
        required=False,
        help_text=_("me: yours; unassigned: nobody's (no agent, no team)."),
    )
    team = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text=_("A team's id."))
    overdue = serializers.BooleanField(required=False, help_text=_("true: only items past their response time."))


class AssignSerializer(serializers.Serializer):
    agent = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text=_("A username; empty or null: no agent.")
    )
    team = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1, help_text=_("A team's id; null: no team.")
    )


class InboxStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InboxItem.Status.choices)


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text=_("What the resident is sent."))


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text=_("Why the item needs nothing from the city."))


ITEM_ID = _path("id", _("The inbox item's id."), "301")
ITEM_RESPONSES = {200: InboxItemDetailSerializer, **INVALID, **DENIED, **NOT_FOUND}
ITEM_EXAMPLES = [OpenApiExample("an item", value={**ITEM_EXAMPLE, "messages": [MESSAGE_EXAMPLE]}, response_only=True)]


class InboxPagination(PageNumberPagination):
    """Pages by number, not a cursor: the list's order (due time, NULLs last, then the latest message) has no
    single unique column a cursor could follow."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class InboxItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffAPIView):
    serializer_class = InboxItemSerializer
    queryset = InboxItem.objects.none()
    pagination_class = InboxPagination
    permission_classes = [WorksTheInbox]
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "head", "options"]

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_serializer_context(self) -> dict:
        context = dict(super().get_serializer_context())
        context["sees_contact_details"] = may_see_contact_details(self.user)
        return context

    def _audit(self, items: list[InboxItem]) -> None:
        """Each item shown with who wrote it: a "view" row (of its customer, when it has one)."""
        if may_see_contact_details(self.user):
            for item in items:
                audit_look(self.user, customer=item.customer, where=WHERE)

    def get_object(self) -> InboxItem:
        pk = selectors.object_id(self.kwargs["pk"])
        if pk is None:
            raise NotFound()
        item = inbox.item_for(self.user, pk)  # 404 for whoever may not work its city's inbox
        if item.jurisdiction_id != self.jurisdiction.pk:
            raise NotFound()
        return item

    def _show(self, item: InboxItem, code: int = status.HTTP_200_OK) -> Response:
        fresh = inbox.item_for(self.user, item.pk)
        self._audit([fresh])
        return Response(InboxItemDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary=_("List inbox items"),
        description=_(
            "The inbox as agents work it: overdue items first (the most overdue first), then the soonest "
            "due, then those with nothing due, newest first; 50 to a page (page_size up to 200), follow `next` "
            "for more. Open items unless `status` says."
        ),
        parameters=[InboxFilterSerializer],
        responses={200: InboxItemSerializer(many=True), **INVALID, **DENIED, **NOT_FOUND},
        examples=[OpenApiExample("items", value=[ITEM_EXAMPLE], response_only=True)],
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        params = request.query_params
        names = ("channel", "status", "assigned", "team", "overdue")
        filters = InboxFilterSerializer(data={name: params.get(name) for name in names if name in params})
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        now = timezone.now()
        found = inbox.inbox_items(
            self.user,
            self.jurisdiction,
            inbox.InboxFilters(
                channel=given.get("channel", ""),
                status=given["status"],
                assigned=given.get("assigned", ""),
                team_id=given.get("team"),
                overdue_only=bool(given.get("overdue")),
            ),
            now=now,
        )
        items = inbox.describe(self.paginate_queryset(found) or [], now=now)
        self._audit(items)
        return self.get_paginated_response(
            InboxItemSerializer(items, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary=_("Get an inbox item"),
        description=_("The item with its conversation, oldest message first."),
        parameters=[ITEM_ID],
        responses={200: InboxItemDetailSerializer, **DENIED, **NOT_FOUND},
        examples=ITEM_EXAMPLES,
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self._show(self.get_object())

    @extend_schema(
        summary=_("Take an inbox item"),
        description=_(
            "It becomes yours and in progress, with a contact of its channel open for you (the contact's "
            "id is in `contact`). An item another agent holds is refused (400): a supervisor hands it on."
        ),
        parameters=[ITEM_ID],
        request=None,
        responses=ITEM_RESPONSES,
        examples=ITEM_EXAMPLES,
    )
    @action(detail=True, methods=["post"], serializer_class=InboxItemDetailSerializer)
    def take(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        with service_rules():
            working.take(item, agent=self.user)
        return self._show(item)

    @extend_schema(
        summary=_("Hand an inbox item on"),
        description=_(
            "To an agent (a username) or a team (an id), or to nobody. Supervisors and admins hand any item "
            "to anyone; an agent only gives an item they hold to a team, or back."
        ),
        parameters=[ITEM_ID],
        request=AssignSerializer,
        responses=ITEM_RESPONSES,
        examples=[
            OpenApiExample("to an agent", value={"agent": "dana", "team": None}, request_only=True),
            *ITEM_EXAMPLES,
        ],
    )
    @action(detail=True, methods=["post"], serializer_class=InboxItemDetailSerializer)
    def assign(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        incoming = AssignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        errors: dict[str, list[str]] = {}
        agent = team = None
        if data.get("agent"):
            agent = selectors.staff_member(data["agent"])
            if agent is None:
                errors["agent"] = [str(_("There is no staff member with that username."))]
        if data.get("team") is not None:
            team = inbox.teams(self.jurisdiction).filter(pk=data["team"]).first()
            if team is None:
                errors["team"] = [str(_("There is no such team in this city."))]
        if errors:
            raise serializers.ValidationError(errors)
        with service_rules():
            working.assign(item, actor=self.user, agent=agent, team=team)
        return self._show(item)

    @extend_schema(
        summary=_("Set an inbox item's status"),
        description=_("new, in_progress, waiting (for the resident) or done."),
        parameters=[ITEM_ID],
        request=InboxStatusSerializer,
        responses=ITEM_RESPONSES,
        examples=[OpenApiExample("waiting", value={"status": "waiting"}, request_only=True), *ITEM_EXAMPLES],
    )
    @action(detail=True, methods=["post"], url_path="status", serializer_class=InboxItemDetailSerializer)
    def set_status(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        incoming = InboxStatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with service_rules():
            working.set_status(item, incoming.validated_data["status"], agent=self.user)
        return self._show(item)

    @extend_schema(
        summary=_("Reply to the resident"),
        description=_(
            "Sent on the item's channel through its outbox (e-mail threaded, a text message, a reply to "
            "the post); the item then waits for the resident. 201 with the item and its conversation."
        ),
        parameters=[ITEM_ID],
        request=ReplySerializer,
        responses={
            201: InboxItemDetailSerializer,
            **INVALID,
            **DENIED,
            **NOT_FOUND,
        },
        examples=[
            OpenApiExample(
                "an answer",
                value={"text": "Thank you: the crew will collect it on Thursday."},
                request_only=True,
            ),
            OpenApiExample(
                "an item",
                value={**ITEM_EXAMPLE, "messages": [MESSAGE_EXAMPLE]},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    @action(detail=True, methods=["post"], serializer_class=InboxItemDetailSerializer)
    def reply(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        incoming = ReplySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with service_rules():
            working.reply(item, incoming.validated_data["text"], agent=self.user)
        return self._show(item, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Dismiss an inbox item"),
        description=_(
            "A message or post that needs nothing from the city: done, with the reason, and no answer. An "
            "open contact taken for it ends as information given."
        ),
        parameters=[ITEM_ID],
        request=DismissSerializer,
        responses=ITEM_RESPONSES,
        examples=[OpenApiExample("not for us", value={"reason": "A post about a private event."}, request_only=True)],
    )
    @action(detail=True, methods=["post"], serializer_class=InboxItemDetailSerializer)
    def dismiss(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        incoming = DismissSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with service_rules():
            working.dismiss(item, incoming.validated_data["reason"], agent=self.user)
        return self._show(item)
