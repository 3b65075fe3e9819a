"""Reads for the agent console: who may open a contact, the answers an agent can give, duplicate
suggestions, and an agent's day.

`search_answers` is the knowledge base's search (articles and services); the console only ever sees
`AnswerItem`s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Service
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction, ServiceDesk
from civic311.knowledge import search
from civic311.knowledge.models import Article
from civic311.people import roles
from civic311.people.models import CustomerAddress, CustomerEmail, CustomerPhone, User
from civic311.service_requests.models import Contact, ServiceRequest
from civic311.text_intelligence import duplicates

# The channels a contact-centre agent takes contacts on (web, mobile and Open311 file for themselves).
CONSOLE_CHANNELS = ("phone", "walk_in", "email", "social")
ANSWERS_MAX = 10
DUPLICATES_MAX = 10


# --- who may -------------------------------------------------------------------------------------------


def may_use_console(user: User) -> bool:
    """Agents take contacts; supervisors and admins take them too, and look at others' (`roles`' rules)."""
    return roles.may_use_console(user)


def may_view_contact(user: User, contact: Contact) -> bool:
    """The agent who took it; supervisors and admins of the contact's city (an admin: any city)."""
    if may_work_contact(user, contact):
        return True
    return roles.may_look_at_contact(user, contact.jurisdiction_id)


def may_work_contact(user: User, contact: Contact) -> bool:
    """Only the agent who took the contact records what came of it (a supervisor looks, does not type)."""
    return contact.agent_id is not None and contact.agent_id == user.pk and may_use_console(user)


def contact_for(user: User, contact_id: int) -> Contact:
    """The contact `user` may open, or 404 when there is none, PermissionDenied when it is not theirs."""
    contact = get_object_or_404(
        Contact.objects.select_related("jurisdiction", "agent", "customer", "service", "service_request"),
        pk=contact_id,
    )
    if not may_view_contact(user, contact):
        raise PermissionDenied(_("This contact belongs to another agent."))
    return contact


# --- answers (the knowledge base's interface) --------------------------------------------------------------


@dataclass(frozen=True)
class AnswerItem:
    """Something an agent can tell a caller: a title, the answer, and the service it is about, if any.

    From the knowledge base: `article` is the help article (its summary is `body`, `url` its page), or
    None for a service of the catalogue matched by its name, keywords or description.
    """

    title: str
    body: str
    service: Service | None = None
    service_notice: str = ""
    url: str = ""
    article: Article | None = None

    @property
    def files_requests(self) -> bool:
        return self.service is not None and self.service.accepts_requests


def search_answers(
    jurisdiction: Jurisdiction, query: str, language: str | None = None, limit: int = ANSWERS_MAX
) -> list[AnswerItem]:
    """Answers for what the caller asks, best first: the knowledge base's search (articles and services,
    the same search residents use on /help/)."""

    items = []
    hits = search.search(jurisdiction, query, language=language, limit=limit).hits
    prefetch_related_objects([hit.article for hit in hits if hit.article is not None], "services")  # one query
    for hit in hits:
        if hit.article is not None:
            # The article's first offered service, so the agent can file straight from the answer.
            service = next((service for service in hit.article.services.all() if service.is_active), None)
            items.append(
                AnswerItem(
                    title=hit.title,
                    body=hit.snippet,
                    service=service,
                    service_notice=service.localized("service_notice", language) if service else "",
                    url=hit.url,
                    article=hit.article,
                )
            )
        elif hit.service is not None:
            items.append(
                AnswerItem(
                    title=hit.title,
                    body=hit.snippet,
                    service=hit.service,
                    service_notice=hit.service.localized("service_notice", language),
                    url=hit.url,
                )
            )
    return items


# --- duplicate suggestions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateSuggestion:
    service_request: ServiceRequest
    metres: int | None  # from the point given; None when matched by address
    why: str = ""  # "same service, 40 m, 2 days, similar words"
    score: float = 0.0  # 0 … 1, the ranking (text_intelligence.duplicates)

    @property
    def tracking_number(self) -> str:
        return self.service_request.tracking_number


def duplicate_suggestions(
    service: Service,
    lat: float | None,
    long: float | None,
    *,
    address: str = "",
    text: str = "",
    user: User | None = None,
    limit: int = DUPLICATES_MAX,
) -> list[DuplicateSuggestion]:
    """Open requests the caller's problem may repeat, best first: text intelligence's possible duplicates
    (the same or a related service, within the service's radius and window of the point, or at the same
    address; ranked by place, time and the caller's words), each with why. Only requests `user` may see."""
    found = duplicates.possible_duplicates(
        service.jurisdiction,
        service=service,
        text=text,
        lat=lat,
        long=long,
        address=address,
        user=user,
        limit=limit,
    )
    return [
        DuplicateSuggestion(one.service_request, one.metres, why=duplicates.explain(one), score=one.score)
        for one in found
    ]


def parse_point(jurisdiction: Jurisdiction, lat: object, long: object) -> tuple[float | None, float | None]:
    """A point typed into the console, or (None, None) when it is missing, not a number or out of the city."""
    parsed_lat = places.parse_coordinate(lat, -90, 90) if lat not in (None, "") else None
    parsed_long = places.parse_coordinate(long, -180, 180) if long not in (None, "") else None
    if parsed_lat is None or parsed_long is None or not jurisdiction.contains(parsed_lat, parsed_long):
        return None, None
    return parsed_lat, parsed_long


# --- an agent's day -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    contacts: list[Contact]
    finished: int
    average_handle_seconds: int | None

    @property
    def open_contacts(self) -> list[Contact]:
        return [contact for contact in self.contacts if contact.ended_at is None]

    @property
    def hung_up(self) -> int:
        """Finished contacts whose caller hung up before anything was decided (counted among `finished`)."""
        return sum(1 for contact in self.contacts if contact.outcome == Contact.Outcome.HUNG_UP)


def _start_of_day(jurisdiction: Jurisdiction, now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now, jurisdiction.zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _average(contacts: list[Contact]) -> int | None:
    times = [contact.handle_seconds for contact in contacts if contact.handle_seconds is not None]
    return round(sum(times) / len(times)) if times else None


def agent_contacts_today(agent: User, jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> Day:
    """The contacts `agent` took today (the city's day), newest first, with their average handle time."""
    now = now or timezone.now()
    contacts = list(
        Contact.objects.filter(agent=agent, jurisdiction=jurisdiction, started_at__gte=_start_of_day(jurisdiction, now))
        .select_related("service", "service_request", "customer")
        .order_by("-started_at", "-pk")
    )
    finished = [contact for contact in contacts if contact.ended_at is not None]
    return Day(contacts, len(finished), _average(finished))


@dataclass(frozen=True)
class AgentResult:
    agent: User
    contacts: int
    open: int
    average_handle_seconds: int | None


def team_today(jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> list[AgentResult]:
    """Per agent, today's contacts taken in the console and their average handle time (for supervisors)."""
    now = now or timezone.now()
    by_agent: dict[int, list[Contact]] = {}
    agents: dict[int, User] = {}
    for contact in (
        Contact.objects.filter(
            jurisdiction=jurisdiction, agent__isnull=False, started_at__gte=_start_of_day(jurisdiction, now)
        )
        .select_related("agent")
        .only("agent", "started_at", "ended_at")
    ):
        assert contact.agent is not None  # filtered above
        by_agent.setdefault(contact.agent.pk, []).append(contact)
        agents[contact.agent.pk] = contact.agent
    results = [
        AgentResult(
            agents[pk],
            len(contacts),
            sum(1 for c in contacts if c.ended_at is None),
            _average([c for c in contacts if c.ended_at is not None]),
        )
        for pk, contacts in by_agent.items()
    ]
    results.sort(key=lambda result: str(result.agent).casefold())
    return results


# --- small look-ups for the console's forms ----------------------------------------------------------------


def desks_of(jurisdiction: Jurisdiction) -> QuerySet[ServiceDesk]:
    """The city's open service desks, where residents walk in."""
    return ServiceDesk.objects.filter(jurisdiction=jurisdiction, is_active=True).order_by("name")


def desk_by_id(jurisdiction: Jurisdiction, value: object) -> ServiceDesk | None:
    """One of the city's open desks, by the id a form posted (None when it is not one)."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 12:
        return None
    return desks_of(jurisdiction).filter(pk=int(text)).first()


def service_by_code(jurisdiction: Jurisdiction, code: str) -> Service | None:
    code = (code or "").strip()
    if not _plausible_code(code):
        return None
    return Service.objects.filter(jurisdiction=jurisdiction, code=code).first()


def reportable_service(jurisdiction: Jurisdiction, code: str) -> Service | None:
    """The service a report may be filed for (with its questions and rules), or None."""
    code = (code or "").strip()
    if not _plausible_code(code):
        return None
    try:
        return catalogue.service_for_report(jurisdiction, code)
    except ValidationError:
        return None


def _plausible_code(code: str) -> bool:
    return bool(code) and "\x00" not in code and len(code) <= 60


def request_for_console(user: User, jurisdiction: Jurisdiction, pk: int) -> ServiceRequest | None:
    """A request of the city `user` may see, by id (for adding a caller to it)."""
    return (
        roles.visible_requests(user, ServiceRequest.objects.filter(jurisdiction=jurisdiction, pk=pk))
        .select_related("service")
        .first()
    )


_ContactDetail = TypeVar("_ContactDetail", CustomerPhone, CustomerEmail, CustomerAddress)


def primary(items: Sequence[_ContactDetail]) -> _ContactDetail | None:
    """The primary phone, e-mail or address of a customer's prefetched list (else the first)."""
    return next((item for item in items if item.is_primary), items[0] if items else None)


def format_duration(seconds: int | None) -> str:
    """A handle time as the contact centre reads it: "4:05", "1:02:30"; "-" when unknown."""
    if seconds is None:
        return "-"
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
