"""Reads of the inbox: the list agents work (filtered, overdue first), its counts and live version, one item
with its conversation, and who an item can be handed to.

Every read is of one city's items and asks `people.roles.may_work_inbox` first: whoever may not work the
city's inbox sees nothing (the list is refused, an item is "not found").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import Team, User
from civic311.service_requests.models import Contact
from civic311.social.models import text_limit
from civic311.text_intelligence import mood, suggesting
from civic311.text_intelligence.duplicates import PossibleDuplicate, possible_duplicates
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.reading import Reading
from civic311.text_intelligence.suggesting import ServiceSuggestion

from .models import REPLY_MAX_CHARS, SMS_REPLY_MAX_CHARS, InboxChannel, InboxItem, InboxMessage
from .services.receiving import read_message, reading_text

logger = logging.getLogger(__name__)

Status = InboxItem.Status

# The status filter: "open" (anything not done, the default), one status, or "all".
STATUS_OPEN = "open"
STATUS_ALL = "all"
STATUS_FILTERS = (STATUS_OPEN, *Status.values, STATUS_ALL)
# The assignment filter: anyone (""), the agent themselves, nobody; a team is `InboxFilters.team_id`.
ASSIGNED_ME = "me"
ASSIGNED_NOBODY = "unassigned"
PAGE_SIZE = 100
# Open requests an item may repeat, shown on its page.
DUPLICATES_SHOWN = 5
# The next likely services are shown from this confidence (a 0 % alternative is noise to an agent).
ALTERNATIVE_SHOWN_FROM = 0.05


@dataclass(frozen=True)
class InboxFilters:
    channel: str = ""  # an InboxChannel value, or "" for every channel
    status: str = STATUS_OPEN
    assigned: str = ""  # "", ASSIGNED_ME, ASSIGNED_NOBODY
    team_id: int | None = None
    overdue_only: bool = False
    text_kind: str = ""  # a TextKind value, or "" for every kind (what the first message was read as)
    sentiment: str = ""  # a Sentiment value, or "" for every sentiment


def check_may_work(user: User, jurisdiction: Jurisdiction) -> None:
    roles.require(roles.may_work_inbox(user, jurisdiction.pk), _("You may not work this city's inbox."))


def _filtered(user: User, jurisdiction: Jurisdiction, filters: InboxFilters, now: dt.datetime) -> QuerySet[InboxItem]:
    items = InboxItem.objects.filter(jurisdiction=jurisdiction)
    if filters.channel in InboxChannel.values:
        items = items.filter(channel=filters.channel)
    if filters.status == STATUS_OPEN or filters.status not in STATUS_FILTERS:
        items = items.exclude(status=Status.DONE)
    elif filters.status != STATUS_ALL:
        items = items.filter(status=filters.status)
    if filters.assigned == ASSIGNED_ME:
        items = items.filter(assigned_to=user)
    elif filters.assigned == ASSIGNED_NOBODY:
        items = items.filter(assigned_to__isnull=True, team__isnull=True)
    if filters.team_id is not None:
        items = items.filter(team_id=filters.team_id)
    if filters.overdue_only:
        items = items.filter(response_due_at__lt=now)
    if filters.text_kind in TextKind.values:
        items = items.filter(text_kind=filters.text_kind)
    if filters.sentiment in Sentiment.values:
        items = items.filter(sentiment=filters.sentiment)
    return items


def inbox_items(
    user: User, jurisdiction: Jurisdiction, filters: InboxFilters | None = None, *, now: dt.datetime | None = None
) -> QuerySet[InboxItem]:
    """The items `user` works, in the order they are owed an answer: overdue first (the most overdue first),
    then the soonest due, then those with nothing due (newest first; NULLs last on every database). Not cut:
    the console shows the first `PAGE_SIZE`, the staff API pages it; `describe` the rows shown.
    PermissionDenied for whoever may not work the city's inbox."""
    check_may_work(user, jurisdiction)
    now = now or timezone.now()
    first_in = InboxMessage.objects.filter(direction=InboxMessage.Direction.IN).order_by("sent_at", "pk")
    return (
        _filtered(user, jurisdiction, filters or InboxFilters(), now)
        .select_related("assigned_to", "team", "customer")
        .prefetch_related(Prefetch("messages", queryset=first_in, to_attr="incoming"))
        .order_by(F("response_due_at").asc(nulls_last=True), "-last_message_at", "-pk")
    )


def describe(items: Iterable[InboxItem], *, now: dt.datetime | None = None) -> list[InboxItem]:
    """Rows of `inbox_items` with `first_words` (the subject, or the start of the first message) and
    `overdue`."""
    now = now or timezone.now()
    described = list(items)
    for item in described:
        incoming: list[InboxMessage] = item.incoming  # type: ignore[attr-defined]
        text = item.subject or (incoming[0].body if incoming else "")
        item.first_words = " ".join(text.split())[:120]  # type: ignore[attr-defined]
        item.overdue = item.is_overdue(now)  # type: ignore[attr-defined]
    return described


def inbox(
    user: User, jurisdiction: Jurisdiction, filters: InboxFilters | None = None, *, now: dt.datetime | None = None
) -> list[InboxItem]:
    """The console's list: the first `PAGE_SIZE` of `inbox_items`, described."""
    now = now or timezone.now()
    return describe(inbox_items(user, jurisdiction, filters, now=now)[:PAGE_SIZE], now=now)


def inbox_version(
    user: User, jurisdiction: Jurisdiction, filters: InboxFilters | None = None, *, now: dt.datetime | None = None
) -> str:
    """A token of the list's state for its live updates: the latest change of an item in it, how many it holds
    and how many are overdue (an item falls overdue without a change of its own)."""
    check_may_work(user, jurisdiction)
    now = now or timezone.now()
    found = _filtered(user, jurisdiction, filters or InboxFilters(), now).aggregate(
        latest=Max("updated_at"), count=Count("pk"), overdue=Count("pk", filter=Q(response_due_at__lt=now))
    )
    latest = found["latest"].isoformat() if found["latest"] is not None else "-"
    return f"{latest}~{found['count']}~{found['overdue']}"


@dataclass
class ChannelCounts:
    channel: str
    label: str
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def open(self) -> int:
        return sum(count for status, count in self.by_status.items() if status != Status.DONE)


@dataclass(frozen=True)
class InboxCounts:
    channels: list[ChannelCounts]
    mine: int
    unassigned: int

    @property
    def open(self) -> int:
        return sum(channel.open for channel in self.channels)

    @property
    def overdue(self) -> int:
        return sum(channel.overdue for channel in self.channels)


def inbox_counts(user: User, jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> InboxCounts | None:
    """Open items per channel and status, overdue ones, the user's and nobody's: the console home's summary.
    None for whoever may not work the city's inbox."""
    if not roles.may_work_inbox(user, jurisdiction.pk):
        return None
    now = now or timezone.now()
    channels = {value: ChannelCounts(value, str(label)) for value, label in InboxChannel.choices}
    open_items = InboxItem.objects.filter(jurisdiction=jurisdiction).exclude(status=Status.DONE)
    rows = open_items.values("channel", "status").annotate(
        count=Count("pk"), overdue=Count("pk", filter=Q(response_due_at__lt=now))
    )
    for row in rows:
        counts = channels.get(row["channel"])
        if counts is not None:
            counts.by_status[row["status"]] = row["count"]
            counts.overdue += row["overdue"]
    return InboxCounts(
        channels=list(channels.values()),
        mine=open_items.filter(assigned_to=user).count(),
        unassigned=open_items.filter(assigned_to__isnull=True, team__isnull=True).count(),
    )


def item_for(user: User, pk: int) -> InboxItem:
    """One item with its conversation (messages with their photos, oldest first); 404 when there is none or
    `user` may not work its city's inbox (an item of another city is not theirs to know of)."""
    item = (
        InboxItem.objects.select_related(
            "jurisdiction", "assigned_to", "team", "customer", "service_request", "contact", "source"
        )
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=InboxMessage.objects.select_related("author").prefetch_related("attachments"),
                to_attr="conversation",
            )
        )
        .filter(pk=pk)
        .first()
    )
    if item is None or not roles.may_work_inbox(user, item.jurisdiction_id):
        raise Http404(_("There is no such inbox item."))
    return item


def item_of_contact(contact: Contact) -> InboxItem | None:
    """The inbox item an agent is working through this contact, if the contact is one."""
    return InboxItem.objects.filter(contact=contact).select_related("jurisdiction").order_by("-pk").first()


def incoming_messages(item: InboxItem) -> QuerySet[InboxMessage]:
    return item.messages.filter(direction=InboxMessage.Direction.IN, automatic=False).order_by("sent_at", "pk")


def latest_incoming(item: InboxItem) -> InboxMessage | None:
    """The resident's latest message (not an auto-reply): what a request filed from the item is made of."""
    return incoming_messages(item).prefetch_related("attachments").last()


def assignees(item: InboxItem) -> QuerySet[User]:
    """The agents the item can be handed to (`roles.inbox_assignees`)."""
    return roles.inbox_assignees(User.objects.all(), item.jurisdiction_id)


def teams(jurisdiction: Jurisdiction) -> QuerySet[Team]:
    return Team.objects.filter(jurisdiction=jurisdiction).order_by("name")


def may_manage(user: User, item: InboxItem) -> bool:
    return roles.may_manage_inbox(user, item.jurisdiction_id)


__all__ = [
    "ASSIGNED_ME",
    "ASSIGNED_NOBODY",
    "STATUS_ALL",
    "STATUS_FILTERS",
    "STATUS_OPEN",
    "InboxCounts",
    "InboxFilters",
    "ItemReading",
    "assignees",
    "check_may_work",
    "describe",
    "inbox",
    "inbox_counts",
    "inbox_items",
    "inbox_version",
    "item_for",
    "item_of_contact",
    "item_reading",
    "latest_incoming",
    "may_manage",
    "reply_limit",
    "teams",
]


def reply_limit(item: InboxItem) -> int:
    """The longest reply the item's channel takes: a social network's post limit, a text's, else the inbox's."""
    if item.channel == InboxChannel.SOCIAL:
        network = item.network or (item.source.network if item.source else "")
        return text_limit(network)
    if item.channel == InboxChannel.SMS:
        return SMS_REPLY_MAX_CHARS
    return REPLY_MAX_CHARS


# --- what the text intelligence reads in an item ------------------------------------------------------------------


@dataclass(frozen=True)
class ShownSuggestion:
    suggestion: ServiceSuggestion
    name: str  # the service's name in the agent's language
    percent: int
    explanation: str


@dataclass(frozen=True)
class ShownDuplicate:
    found: PossibleDuplicate
    service_name: str  # the request's service in the agent's language


@dataclass(frozen=True)
class ItemReading:
    """What the item's page shows of its first message, read now (a model retrained since it arrived may read
    it differently from the badges stored then): the likely services and why (after the first, only those from
    `ALTERNATIVE_SHOWN_FROM`), the kind and sentiment and why, the places named, and open requests it may
    repeat. Suggestions only: the agent decides."""

    text: str
    reading: Reading | None  # None: the reader failed (logged); the page says the reading is unavailable
    suggestions: list[ShownSuggestion] = field(default_factory=list)
    mood_explanation: str = ""
    duplicates: list[ShownDuplicate] = field(default_factory=list)

    @property
    def unsure(self) -> bool:
        return self.reading is None or self.reading.suggestions.unsure

    @property
    def kind_label(self) -> str:
        return str(TextKind(self.reading.mood.kind).label) if self.reading is not None else ""

    @property
    def sentiment_label(self) -> str:
        return str(Sentiment(self.reading.mood.sentiment).label) if self.reading is not None else ""


def first_text(item: InboxItem) -> str:
    """What the resident first wrote (the item's subject and first message, as `receive` read it), or ""."""
    messages: list[InboxMessage] | None = getattr(item, "conversation", None)
    if messages is None:
        messages = list(item.messages.all())
    first = next(
        (message for message in messages if message.direction == InboxMessage.Direction.IN and not message.automatic),
        None,
    )
    return reading_text(first.subject or item.subject, first.body) if first is not None else ""


def item_reading(user: User, item: InboxItem, *, language: str | None = None) -> ItemReading:
    """The reading of `item` (from `item_for`) for `user`: the possible duplicates are only requests they may
    see (`text_intelligence.duplicates`: `roles.visible_requests`)."""
    text = first_text(item)
    reading = read_message(item.jurisdiction, text, lat=item.lat, long=item.long, language=item.language)
    if reading is None:
        return ItemReading(text=text, reading=None)
    shown = [
        ShownSuggestion(
            suggestion=found,
            name=found.service.localized("name", language),
            percent=suggesting.percent_sure(found.confidence),
            explanation=suggesting.explain(found),
        )
        for position, found in enumerate(reading.suggestions.services)
        if position == 0 or found.confidence >= ALTERNATIVE_SHOWN_FROM
    ]
    lat, long = item.lat, item.long
    if (lat is None or long is None) and reading.place is not None:
        lat, long = reading.place.lat, reading.place.long
    service = item.suggested_service or reading.suggestions.best
    try:
        duplicates = possible_duplicates(
            item.jurisdiction, service=service, text=text, lat=lat, long=long, user=user, limit=DUPLICATES_SHOWN
        )
    except Exception:  # a reader's bug must not hide the item from the agent
        logger.exception("inbox: looking for duplicates of an item failed")
        duplicates = []
    return ItemReading(
        text=text,
        reading=reading,
        suggestions=shown,
        mood_explanation=mood.explain(reading.mood),
        duplicates=[
            ShownDuplicate(found=found, service_name=found.service_request.service.localized("name", language))
            for found in duplicates
        ],
    )
