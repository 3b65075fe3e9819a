"""Customer journeys: one customer's timeline across every channel with the moments that matter, and the
centre-wide figures (repeat contacts, first-contact resolution, the common paths, where satisfaction drops).

The rules, in one place (docs/customer-journeys.md):
- a **missed SLA**: a request closed after its due date (`expected_at`), or still open past it;
- a **reopen**: a status change to "reopened" in a request's history;
- a **repeat contact**: a contact (or a request filed with no contact) about the same service as an earlier
  one of the same customer, at most `REPEAT_WINDOW` (7 days) later;
- an **unhappy survey**: a completed survey whose answer to "Were you satisfied…?" is no;
- a **transfer to a supervisor**: a survey call handed to a supervisor (a follow-up task).

Here, in the console (the lowest layer that can read contacts, requests, surveys, the outbox and the
inbox); the customer's contacts and requests are `service_requests.selectors.customer_history`'s.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from civic311.inbox.models import InboxItem
from civic311.insights.models import JourneySnapshot
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications.models import OutboundMessage
from civic311.people.models import Customer
from civic311.people.selectors import survivor_of
from civic311.service_requests.lifecycle import FINAL_STATES, Status
from civic311.service_requests.models import Channel, Contact, HistoryEntry, ServiceRequest
from civic311.service_requests.selectors import HistoryItem, customer_history
from civic311.surveys.models import Answer, FollowUpTask, Response
from civic311.surveys.selectors import SATISFIED_CODE

REPEAT_WINDOW = dt.timedelta(days=7)
COMPACT_ITEMS = 8  # the caller panel's journey
TOP_PATHS = 10
TOP_BRANCHES = 10


class Moment:
    """The moments that matter (codes stored in snapshots; labels in the reader's language)."""

    MISSED_SLA = "missed_sla"
    REOPEN = "reopen"
    REPEAT_CONTACT = "repeat_contact"
    UNHAPPY_SURVEY = "unhappy_survey"
    TRANSFER = "transfer"

    LABELS = {
        MISSED_SLA: gettext_lazy("Missed SLA"),
        REOPEN: gettext_lazy("Reopened"),
        REPEAT_CONTACT: gettext_lazy("Repeat contact within 7 days"),
        UNHAPPY_SURVEY: gettext_lazy("Unhappy survey"),
        TRANSFER: gettext_lazy("Transferred to a supervisor"),
    }
    # The moments whose effect on satisfaction the centre-wide page measures (an unhappy survey is the
    # measure itself).
    BEFORE_SURVEYS = (MISSED_SLA, REOPEN, REPEAT_CONTACT, TRANSFER)


def moment_label(code: str) -> str:
    return str(Moment.LABELS.get(code, code))


# The steps of a path from first contact to resolution (channels are steps too: their labels are Channel's).
STEP_LABELS = {
    # In context: the same English words name fields and statuses elsewhere ("closed" is also a date).
    "filed": pgettext_lazy("a step of a customer's journey", "request filed"),
    "assigned": pgettext_lazy("a step of a customer's journey", "assigned"),
    "transferred": pgettext_lazy("a step of a customer's journey", "transferred"),
    "escalated": pgettext_lazy("a step of a customer's journey", "escalated"),
    "reopened": pgettext_lazy("a step of a customer's journey", "reopened"),
    Status.CLOSED.value: pgettext_lazy("a step of a customer's journey", "closed"),
    Status.DUPLICATE.value: pgettext_lazy("a step of a customer's journey", "closed as a duplicate"),
    Status.REFERRED.value: pgettext_lazy("a step of a customer's journey", "referred"),
    Status.CANCELLED.value: pgettext_lazy("a step of a customer's journey", "cancelled"),
    "open": pgettext_lazy("a step of a customer's journey", "still open"),
}


def step_label(code: str) -> str:
    if code in STEP_LABELS:
        return str(STEP_LABELS[code])
    return str(dict(Channel.choices).get(code, code))


def path_label(steps: Iterable[str]) -> str:
    return " → ".join(step_label(step) for step in steps)


# --- one customer's timeline ------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str  # contact, request, history, sla, survey, transfer, message, inbox
    title: str
    detail: str = ""
    channel: str = ""
    tracking_number: str = ""
    moments: list[str] = field(default_factory=list)

    @property
    def moment_labels(self) -> list[str]:
        return [moment_label(code) for code in self.moments]


@dataclass
class Timeline:
    customer: Customer
    items: list[TimelineItem]  # oldest first
    # `customer_history` as read for it (newest first): the caller panel shows its head instead of reading it again.
    history: list[HistoryItem] = field(default_factory=list)

    @property
    def moments(self) -> list[TimelineItem]:
        return [item for item in self.items if item.moments]

    def moment_counts(self) -> list[tuple[str, int]]:
        counts = Counter(code for item in self.items for code in item.moments)
        return [(moment_label(code), counts[code]) for code in Moment.LABELS if counts[code]]

    def newest(self, limit: int = COMPACT_ITEMS) -> list[TimelineItem]:
        return list(reversed(self.items[-limit:]))


def _mine(customer: Customer, prefix: str) -> Q:
    """Rows whose requester (through `prefix`) is the customer or a record merged into it."""
    return Q(**{f"{prefix}requester__customer": customer}) | Q(
        **{f"{prefix}requester__customer__merged_into": customer}
    )


def _missed(request: ServiceRequest, now: dt.datetime) -> bool:
    if request.expected_at is None:
        return False
    if request.closed_at is not None and request.status in FINAL_STATES:
        return request.closed_at > request.expected_at
    return request.status not in FINAL_STATES and now > request.expected_at


def is_repeat(at: dt.datetime, earlier: Iterable[dt.datetime]) -> bool:
    """Whether a contact at `at` repeats one of `earlier` (same customer, same problem): within 7 days."""
    return any(dt.timedelta(0) < at - before <= REPEAT_WINDOW for before in earlier)


def customer_timeline(customer: Customer, *, now: dt.datetime | None = None) -> Timeline:
    """Everything that happened between the city and this customer (and the records merged into it), on
    every channel, oldest first, with the moments that matter marked. A fixed number of queries."""
    now = now or timezone.now()
    customer = survivor_of(customer)
    statuses = dict(Status.choices)
    channels = dict(Channel.choices)
    items: list[TimelineItem] = []

    # Contacts and requests: the CRM's history across channels (newest first there).
    newest_first = customer_history(customer)
    history = list(reversed(newest_first))
    earlier_by_service: dict[str, list[dt.datetime]] = defaultdict(list)
    for entry in history:
        moments = []
        if entry.service and is_repeat(entry.at, earlier_by_service[entry.service]):
            moments.append(Moment.REPEAT_CONTACT)
        if entry.service:
            earlier_by_service[entry.service].append(entry.at)
        title = f"{entry.channel_label} · {entry.outcome_label}"
        items.append(
            TimelineItem(
                at=entry.at,
                kind=entry.kind,
                title=title,
                detail=entry.service,
                channel=entry.channel,
                tracking_number=entry.tracking_number,
                moments=moments,
            )
        )

    # The requests themselves: their history, their SLA, the messages the city sent about them.
    numbers = {entry.tracking_number for entry in history if entry.tracking_number}
    requests = list(
        ServiceRequest.objects.filter(
            _mine(customer, "") | Q(jurisdiction_id=customer.jurisdiction_id, tracking_number__in=numbers)
        ).only("pk", "tracking_number", "status", "expected_at", "closed_at")
    )
    by_pk = {request.pk: request for request in requests}
    for request in requests:
        if _missed(request, now):
            assert request.expected_at is not None  # _missed
            items.append(
                TimelineItem(
                    at=request.expected_at,
                    kind="sla",
                    title=_("Due date passed"),
                    detail=str(statuses.get(request.status, request.status)),
                    tracking_number=request.tracking_number,
                    moments=[Moment.MISSED_SLA],
                )
            )
    kinds = dict(HistoryEntry.Kind.choices)
    for step in (
        HistoryEntry.objects.filter(service_request_id__in=list(by_pk))
        .exclude(kind__in=(HistoryEntry.Kind.OPENED, HistoryEntry.Kind.PHOTO, HistoryEntry.Kind.HAZARD))
        .only("service_request_id", "kind", "to_status", "is_public", "created_at")
        .order_by("created_at", "pk")
    ):
        if step.kind == HistoryEntry.Kind.STATUS and step.to_status:
            title = str(statuses.get(step.to_status, step.to_status))
        else:
            title = str(kinds.get(step.kind, step.kind))
        items.append(
            TimelineItem(
                at=step.created_at,
                kind="history",
                title=title,
                detail="" if step.is_public else _("internal"),
                tracking_number=by_pk[step.service_request_id].tracking_number,
                moments=[Moment.REOPEN] if step.to_status == Status.REOPENED else [],
            )
        )
    addresses = _addresses(customer)
    for message in OutboundMessage.objects.filter(
        service_request_id__in=list(by_pk),
        channel__in=(OutboundMessage.Channel.EMAIL, OutboundMessage.Channel.SMS),
    ).only("channel", "recipient", "subject", "service_request_id", "created_at", "sent_at"):
        if message.recipient.strip().lower() not in addresses:
            continue  # a follower's copy, not this customer's
        assert message.service_request_id is not None  # filtered above
        items.append(
            TimelineItem(
                at=message.sent_at or message.created_at,
                kind="message",
                title=_("Message sent (%(channel)s)") % {"channel": message.get_channel_display()},
                detail=message.subject,
                channel=message.channel,
                tracking_number=by_pk[message.service_request_id].tracking_number,
            )
        )

    # Surveys and the calls handed to a supervisor.
    responses = list(
        Response.objects.filter(
            Q(contact__customer=customer)
            | Q(contact__customer__merged_into=customer)
            | _mine(customer, "contact__")
            | _mine(customer, "service_request__")
        )
        .filter(outcome=Response.Outcome.COMPLETED)
        .distinct()
        .only("pk", "finished_at", "started_at", "contact_channel", "service_request_id")
    )
    satisfied = dict(
        Answer.objects.filter(response__in=[r.pk for r in responses], question__code=SATISFIED_CODE).values_list(
            "response_id", "value"
        )
    )
    for response in responses:
        answer = satisfied.get(response.pk)
        unhappy = answer is False
        detail = _("Satisfied") if answer is True else _("Dissatisfied") if unhappy else ""
        surveyed = by_pk.get(response.service_request_id) if response.service_request_id else None
        items.append(
            TimelineItem(
                at=response.finished_at or response.started_at,
                kind="survey",
                title=_("Survey answered"),
                detail=detail,
                channel=response.contact_channel,
                tracking_number=surveyed.tracking_number if surveyed else "",
                moments=[Moment.UNHAPPY_SURVEY] if unhappy else [],
            )
        )
    for task in FollowUpTask.objects.filter(
        Q(entry__customer=customer)
        | Q(entry__customer__merged_into=customer)
        | Q(entry__contact__customer=customer)
        | Q(entry__contact__customer__merged_into=customer)
    ).only("created_at", "state"):
        items.append(
            TimelineItem(
                at=task.created_at,
                kind="transfer",
                title=_("Survey call transferred to a supervisor"),
                detail=str(task.get_state_display()),
                moments=[Moment.TRANSFER],
            )
        )

    # What the customer wrote: e-mails, text messages, posts.
    for inbox_item in InboxItem.objects.filter(Q(customer=customer) | Q(customer__merged_into=customer)).only(
        "channel", "subject", "received_at", "status"
    ):
        items.append(
            TimelineItem(
                at=inbox_item.received_at,
                kind="inbox",
                title=str(channels.get(inbox_item.channel, inbox_item.channel)),
                detail=inbox_item.subject,
                channel=inbox_item.channel,
            )
        )

    kind_order = {"contact": 0, "request": 0, "history": 1, "message": 2, "sla": 3, "inbox": 0, "survey": 4}
    items.sort(key=lambda item: (item.at, kind_order.get(item.kind, 5)))
    return Timeline(customer=customer, items=items, history=newest_first)


def _addresses(customer: Customer) -> set[str]:
    """The customer's e-mail addresses and phone numbers as the outbox writes them (lower case)."""
    records = Customer.objects.filter(Q(pk=customer.pk) | Q(merged_into=customer))
    found: set[str] = set()
    for email, number in records.values_list("emails__email", "phones__number"):
        found.update(value.strip().lower() for value in (email, number) if value)
    from_requests = ServiceRequest.objects.filter(_mine(customer, "")).values_list(
        "requester__email", "requester__phone"
    )
    for email, phone in from_requests:
        found.update(value.strip().lower() for value in (email, phone) if value)
    return found


# --- across the centre (computed nightly into a snapshot) -----------------------------------------------------


def month_bounds(jurisdiction: Jurisdiction, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's, in the city's zone."""
    zone = jurisdiction.zone
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=zone)
    return start, following


@dataclass
class CentreFigures:
    contacts: int
    repeat_contacts: int
    first_contacts: int
    resolved_first_time: int
    figures: dict[str, Any]


RESOLVING_OUTCOMES = frozenset(
    {
        Contact.Outcome.SERVICE_REQUEST,
        Contact.Outcome.INFORMATION,
        Contact.Outcome.DIRECTORY,
        Contact.Outcome.CANNED_ANSWER,
        Contact.Outcome.EXISTING_REQUEST,
    }
)
CHUNK = 2000


def centre_figures(jurisdiction: Jurisdiction, month: dt.date, *, now: dt.datetime | None = None) -> CentreFigures:
    """The month's figures for the city, read in chunks (no whole-table count): run by the nightly task."""
    now = now or timezone.now()
    start, end = month_bounds(jurisdiction, month)

    # Contacts of known customers, from 14 days before (to tell repeats of surveyed contacts) to 7 days after.
    contacts = (
        Contact.objects.filter(
            jurisdiction=jurisdiction,
            started_at__gte=start - 2 * REPEAT_WINDOW,
            started_at__lt=end + REPEAT_WINDOW,
            ended_at__isnull=False,
        )
        .exclude(outcome=Contact.Outcome.PENDING)
        .values_list(
            "pk",
            "started_at",
            "outcome",
            "service_id",
            "service_request__service_id",
            "service_request_id",
            "customer_id",
            "customer__merged_into_id",
            "requester__customer_id",
            "requester__customer__merged_into_id",
        )
        .order_by("started_at", "pk")
    )
    # (customer, service) → the times of their contacts, in order.
    seen: dict[tuple[int, int], list[dt.datetime]] = defaultdict(list)
    rows = []
    for pk, at, outcome, service, filed_service, filed, customer, merged, req_customer, req_merged in contacts.iterator(
        chunk_size=CHUNK
    ):
        who = merged or customer or req_merged or req_customer
        about = filed_service or service
        if who is None or about is None:
            continue
        key = (who, about)
        repeat = is_repeat(at, seen[key])
        seen[key].append(at)
        rows.append((pk, at, outcome, filed, key, repeat))
    repeat_of_contact = {pk: repeat for pk, _at, _outcome, _filed, _key, repeat in rows}

    in_month = [row for row in rows if start <= row[1] < end]
    first = [row for row in in_month if not row[5] and row[2] in RESOLVING_OUTCOMES]
    filed_ids = {row[3] for row in first if row[3]}
    reopened = _reopened(filed_ids)
    resolved = 0
    for _pk, at, _outcome, filed, key, _repeat in first:
        again = any(dt.timedelta(0) < later - at <= REPEAT_WINDOW for later in seen[key])
        if not again and (filed is None or filed not in reopened):
            resolved += 1

    paths, branches, requests_counted, still_open = _paths(jurisdiction, start, end)
    return CentreFigures(
        contacts=len(in_month),
        repeat_contacts=sum(1 for row in in_month if row[5]),
        first_contacts=len(first),
        resolved_first_time=resolved,
        figures={
            "requests": requests_counted,
            "open": still_open,
            "paths": paths,
            "branches": branches,
            "satisfaction": _satisfaction(jurisdiction, start, end, repeat_of_contact, now),
        },
    )


def _reopened(request_ids: Iterable[int]) -> set[int]:
    ids = list(request_ids)
    found: set[int] = set()
    for offset in range(0, len(ids), CHUNK):
        found.update(
            HistoryEntry.objects.filter(
                service_request_id__in=ids[offset : offset + CHUNK], to_status=Status.REOPENED
            ).values_list("service_request_id", flat=True)
        )
    return found


_STEP_OF_KIND = {
    HistoryEntry.Kind.ASSIGNED: "assigned",
    HistoryEntry.Kind.TRANSFERRED: "transferred",
    HistoryEntry.Kind.ESCALATED: "escalated",
}


def _paths(
    jurisdiction: Jurisdiction, start: dt.datetime, end: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int, int]:
    """The paths of the requests filed in the month: the channel, "filed", then the steps of their history
    (repeated steps counted once in a row), ending in the final status or "open"."""
    filed = ServiceRequest.objects.filter(
        jurisdiction=jurisdiction, requested_at__gte=start, requested_at__lt=end, is_imported=False
    )
    steps: dict[int, list[str]] = {}
    finals: dict[int, str] = {}
    for pk, channel, status in filed.values_list("pk", "channel", "status").iterator(chunk_size=CHUNK):
        steps[pk] = [channel, "filed"]
        finals[pk] = status
    entries = (
        HistoryEntry.objects.filter(service_request__in=filed)
        .filter(
            Q(kind__in=list(_STEP_OF_KIND))
            | Q(kind=HistoryEntry.Kind.STATUS, to_status__in=[*FINAL_STATES, Status.REOPENED])
        )
        .values_list("service_request_id", "kind", "to_status")
        .order_by("service_request_id", "created_at", "pk")
    )
    for request_id, kind, to_status in entries.iterator(chunk_size=CHUNK):
        step = _STEP_OF_KIND.get(HistoryEntry.Kind(kind)) or to_status
        path = steps.get(request_id)
        if path is not None and path[-1] != step:
            path.append(step)
    counts: Counter[tuple[str, ...]] = Counter()
    next_steps: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    still_open = 0
    for pk, walked in steps.items():
        path = walked if finals[pk] in FINAL_STATES else [*walked, "open"]
        still_open += int(finals[pk] not in FINAL_STATES)
        counts[tuple(path)] += 1
        for index in range(1, len(path)):
            next_steps[tuple(path[:index])][path[index]] += 1
    total = len(steps)
    paths = [
        {"steps": list(path), "count": count, "share": round(count / total * 100, 1)}
        for path, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_PATHS]
    ]
    branch_points = [(prefix, following) for prefix, following in next_steps.items() if len(following) > 1]
    branch_points.sort(key=lambda pair: (-sum(pair[1].values()), len(pair[0]), pair[0]))
    branches = [
        {
            "after": list(prefix),
            "count": sum(following.values()),
            "next": [
                {"step": step, "count": count}
                for step, count in sorted(following.items(), key=lambda pair: (-pair[1], pair[0]))
            ],
        }
        for prefix, following in branch_points[:TOP_BRANCHES]
    ]
    return paths, branches, total, still_open


def _satisfaction(
    jurisdiction: Jurisdiction,
    start: dt.datetime,
    end: dt.datetime,
    repeat_of_contact: dict[int, bool],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """For each moment, the share dissatisfied among the month's surveys after it and among those without it."""
    answers = Answer.objects.filter(
        response__jurisdiction=jurisdiction,
        response__outcome=Response.Outcome.COMPLETED,
        response__finished_at__gte=start,
        response__finished_at__lt=end,
        question__code=SATISFIED_CODE,
    ).values_list(
        "response_id",
        "value",
        "response__contact_id",
        "response__service_request_id",
        "response__contact__service_request_id",
    )
    surveys = []
    for response_id, value, contact_id, request_id, contact_request_id in answers.iterator(chunk_size=CHUNK):
        if value not in (True, False):
            continue
        surveys.append((response_id, value is False, contact_id, request_id or contact_request_id))
    request_ids = {survey[3] for survey in surveys if survey[3]}
    ids = list(request_ids)
    requests = {
        request.pk: request
        for offset in range(0, len(ids), CHUNK)
        for request in ServiceRequest.objects.filter(pk__in=ids[offset : offset + CHUNK]).only(
            "pk", "status", "expected_at", "closed_at"
        )
    }
    reopened = _reopened(request_ids)
    transferred: set[int] = set()
    response_ids = [survey[0] for survey in surveys]
    for offset in range(0, len(response_ids), CHUNK):
        transferred.update(
            FollowUpTask.objects.filter(response_id__in=response_ids[offset : offset + CHUNK]).values_list(
                "response_id", flat=True
            )
        )
    tally = {code: [0, 0, 0, 0] for code in Moment.BEFORE_SURVEYS}  # with, unhappy with, without, unhappy without
    for response_id, unhappy, contact_id, request_id in surveys:
        request = requests.get(request_id) if request_id else None
        had = {
            Moment.MISSED_SLA: request is not None and _missed(request, now),
            Moment.REOPEN: request_id in reopened,
            Moment.REPEAT_CONTACT: bool(contact_id and repeat_of_contact.get(contact_id)),
            Moment.TRANSFER: response_id in transferred,
        }
        for code, happened in had.items():
            counts = tally[code]
            offset = 0 if happened else 2
            counts[offset] += 1
            counts[offset + 1] += int(unhappy)
    return [
        {
            "moment": code,
            "surveys_with": counts[0],
            "unhappy_with": counts[1],
            "surveys_without": counts[2],
            "unhappy_without": counts[3],
        }
        for code, counts in tally.items()
    ]


# --- the snapshot the page reads ------------------------------------------------------------------------------


def latest_snapshots(jurisdiction: Jurisdiction, limit: int = 13) -> list[JourneySnapshot]:
    return list(JourneySnapshot.objects.filter(jurisdiction=jurisdiction).order_by("-month")[:limit])


def snapshot_for(jurisdiction: Jurisdiction, month: dt.date | None) -> JourneySnapshot | None:
    snapshots = JourneySnapshot.objects.filter(jurisdiction=jurisdiction)
    if month is not None:
        return snapshots.filter(month=month.replace(day=1)).first()
    return snapshots.order_by("-month").first()


def share(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


@dataclass(frozen=True)
class SatisfactionRow:
    moment: str
    surveys_with: int
    unhappy_with: int
    surveys_without: int
    unhappy_without: int

    @property
    def label(self) -> str:
        return moment_label(self.moment)

    @property
    def share_with(self) -> float | None:
        return share(self.unhappy_with, self.surveys_with)

    @property
    def share_without(self) -> float | None:
        return share(self.unhappy_without, self.surveys_without)

    @property
    def drop(self) -> float | None:
        if self.share_with is None or self.share_without is None:
            return None
        return round(self.share_with - self.share_without, 1)


@dataclass(frozen=True)
class PathRow:
    steps: list[str]
    count: int
    share: float

    @property
    def label(self) -> str:
        return path_label(self.steps)


@dataclass(frozen=True)
class BranchRow:
    after: list[str]
    count: int
    next: list[tuple[str, int, float | None]]  # (label, count, share)

    @property
    def label(self) -> str:
        return path_label(self.after)


def snapshot_rows(snapshot: JourneySnapshot) -> tuple[list[PathRow], list[BranchRow], list[SatisfactionRow]]:
    """The snapshot's stored codes as rows in the reader's language."""
    figures = snapshot.figures or {}
    paths = [PathRow(row["steps"], row["count"], row["share"]) for row in figures.get("paths", [])]
    branches = [
        BranchRow(
            row["after"],
            row["count"],
            [(step_label(one["step"]), one["count"], share(one["count"], row["count"])) for one in row["next"]],
        )
        for row in figures.get("branches", [])
    ]
    satisfaction = [SatisfactionRow(**row) for row in figures.get("satisfaction", [])]
    return paths, branches, satisfaction
