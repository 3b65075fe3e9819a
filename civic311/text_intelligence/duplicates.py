"""Open requests a new report may repeat: the same or a related service, near and recent (the service's
own radius and window, found through H3 neighbours), ranked by place, time and words. Suggested, never
merged: a person decides.

How a candidate is found and ranked (docs/text-intelligence.md, "Possible duplicates"):
- open (not closed, duplicate, referred or cancelled), of the same service or of another service of its
  group, made within the service's `duplicate_window_days`;
- with a point: in the H3 cells around it that can hold anything within the service's
  `duplicate_radius_m` (`ring_for`), then the exact distance; a request with no point of its own counts
  when it has the same address. Without a point: the address, folded, and the point it names, when the
  city's streets know it;
- the score (0 … 1) weighs closeness (relative to the radius), newness (relative to the window), the
  words (rapidfuzz over the folded content words) and same-or-related service. A related service's
  request is offered only when its words are alike; nothing under `MIN_SCORE` is offered.
The public (`user` None) is never offered a private request; staff only what `roles.visible_requests` lets
them see.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from dataclasses import dataclass

import h3
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rapidfuzz import fuzz

from civic311.catalogue.models import Service
from civic311.jurisdictions import selectors as geography
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import ServiceRequest

from .places import places_in_text
from .words import words

# How much each part counts in the score; the words only when the new report has some.
PLACE_WEIGHT = 0.40
TIME_WEIGHT = 0.20
WORDS_WEIGHT = 0.25
SERVICE_WEIGHT = 0.15
# A request with no point of its own at the same address: near, but how near is not known.
SAME_ADDRESS_CLOSENESS = 0.75
# An existing request with no description: its words neither for nor against.
UNKNOWN_WORDS_SIMILARITY = 0.5
# A related service's request is a different problem unless the words say the same thing.
RELATED_MIN_SIMILARITY = 0.5
# Words this alike are "similar words" to the person who sees why.
SIMILAR_WORDS = 0.6
MIN_SCORE = 0.3
# The most requests read from the database for one report; the newest first.
CANDIDATES_MAX = 500
# Past this ring (a radius of about 3 km at resolution 9) the cells are too many for one query: a box of
# latitude and longitude finds the candidates instead.
RING_MAX = 15
EARTH_RADIUS_M = 6_371_000
# The shortest edge of a resolution-9 cell in the cities we serve is well above 0.8 of the average (H3's
# cells vary by less than that away from its pentagons); measured in tests/text_intelligence/test_duplicates.py.
_EDGE_M = 0.8 * float(h3.average_hexagon_edge_length(geography.H3_RESOLUTION, unit="m"))
_ADDRESS_ABBREVIATIONS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "road": "rd",
    "drive": "dr",
    "place": "pl",
    "lane": "ln",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "calle": "st",
    "avenida": "ave",
}
# Little words (English and Spanish) and words every report of a place has: they say nothing about the
# problem.
# fmt: off
_LITTLE_WORDS = frozenset({
    "a", "an", "the", "and", "or", "of", "on", "in", "at", "to", "for", "from", "by", "with", "is", "are", "was",
    "were", "be", "been", "it", "its", "this", "that", "there", "here", "my", "our", "your", "i", "we", "you", "he",
    "she", "they", "them", "me", "us", "his", "her", "their", "not", "no", "so", "very", "too", "just", "please",
    "pls", "thanks", "thank", "hi", "hello", "again", "still", "has", "have", "had", "do", "does", "did", "can",
    "could", "would", "will", "up", "down", "out", "off", "near", "next", "corner", "block", "street", "st", "ave",
    "avenue", "road", "rd", "blvd", "city", "311", "el", "la", "los", "las", "un", "una",
    "unos", "unas", "y", "o", "de", "del", "en", "al", "con", "por", "para", "que", "es", "son", "esta", "estan",
    "hay", "mi", "mis", "su", "sus", "lo", "le", "les", "se", "si", "muy", "ya", "otra", "vez", "favor", "gracias",
    "hola", "calle", "esquina", "cuadra", "avenida", "ciudad"
})
# fmt: on


@dataclass(frozen=True)
class PossibleDuplicate:
    service_request: ServiceRequest
    metres: int | None  # from the point given; None when matched by address only
    age: dt.timedelta  # since it was requested
    same_service: bool  # False: a related service (the same group)
    text_similarity: float  # 0 … 1
    score: float  # 0 … 1, the ranking

    @property
    def tracking_number(self) -> str:
        return self.service_request.tracking_number

    @property
    def similar_words(self) -> bool:
        return self.text_similarity >= SIMILAR_WORDS


def possible_duplicates(
    jurisdiction: Jurisdiction,
    *,
    service: Service | None,
    text: str = "",
    lat: float | None = None,
    long: float | None = None,
    address: str = "",
    user: User | None = None,
    now: dt.datetime | None = None,
    limit: int = 5,
) -> list[PossibleDuplicate]:
    """Best first. `user` None: the public's view (private requests never offered); else only requests
    the user may see. No point and no address: []."""
    now = now or timezone.now()
    address_key = address_key_of(address)
    if (lat is None or long is None) and address_key:
        lat, long = _point_of_address(jurisdiction, address)
    if lat is None or long is None:
        lat = long = None
        if not address_key:
            return []
    if limit <= 0:
        return []
    radius, window = _reach(jurisdiction, service)
    found = _open_requests(jurisdiction, service, user, since=now - dt.timedelta(days=window))
    near = []
    if lat is not None and long is not None:
        ring = ring_for(radius)
        if ring <= RING_MAX:
            near.append(Q(h3_cell__in=list(h3.grid_disk(geography.h3_cell(lat, long), ring))))
        else:
            near.append(_box(lat, long, radius))
    if address_key:
        # Only requests without a point of their own: one with a point is measured, not read.
        near.append(Q(lat__isnull=True, address__icontains=address_key.split()[0]))
    candidates = found.filter(functools.reduce(operator.or_, near)).select_related("service", "jurisdiction")
    candidates = candidates.order_by("-requested_at", "-pk")[:CANDIDATES_MAX]
    content = content_words(text)
    ranked = []
    for candidate in candidates:
        ranked_one = _rank(candidate, service, content, lat, long, address_key, now)
        if ranked_one is not None and ranked_one.score >= MIN_SCORE:
            ranked.append(ranked_one)
    ranked.sort(key=lambda one: (-one.score, -one.service_request.requested_at.timestamp(), -one.service_request.pk))
    return ranked[:limit]


# --- finding -------------------------------------------------------------------------------------------------


def ring_for(radius_m: float) -> int:
    """The H3 ring (grid distance) that holds every point within `radius_m` of any point of the centre cell.

    A point lies at most one edge from its cell's centre, and a cell `k` steps away has its centre at
    least 1.5·k edges away (the hexagons' corner direction), so k > (r/edge + 2) / 1.5 is enough."""
    return max(1, math.floor((radius_m / _EDGE_M + 2) / 1.5) + 1)


def _reach(jurisdiction: Jurisdiction, service: Service | None) -> tuple[int, int]:
    """The radius and window to search: the service's, or without a service the widest of the city's
    (each candidate is then held to its own service's)."""
    if service is not None:
        return service.duplicate_radius_m, service.duplicate_window_days
    widest = Service.objects.filter(jurisdiction=jurisdiction).order_by()
    radius = max(widest.values_list("duplicate_radius_m", flat=True), default=0)
    window = max(widest.values_list("duplicate_window_days", flat=True), default=0)
    return radius, window


def _open_requests(
    jurisdiction: Jurisdiction, service: Service | None, user: User | None, *, since: dt.datetime
) -> QuerySet[ServiceRequest]:
    found = ServiceRequest.objects.filter(jurisdiction=jurisdiction, requested_at__gte=since).exclude(
        status__in=[status.value for status in FINAL_STATES]
    )
    if service is not None:
        found = found.filter(service__group_id=service.group_id)
    if user is None:
        return found.filter(is_private=False)
    return roles.visible_requests(user, found)


def _box(lat: float, long: float, radius_m: float) -> Q:
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlong = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 0.01)))
    return Q(lat__gte=lat - dlat, lat__lte=lat + dlat, long__gte=long - dlong, long__lte=long + dlong)


def _point_of_address(jurisdiction: Jurisdiction, address: str) -> tuple[float | None, float | None]:
    """The point of an address or a corner the city's streets know, else (None, None)."""
    for place in places_in_text(jurisdiction, address):
        if place.kind in ("address", "intersection") and place.lat is not None and place.long is not None:
            return place.lat, place.long
    return None, None


def address_key_of(address: str) -> str:
    """An address as compared: folded, the usual abbreviations ("1400 North Broad Street" → "1400 n broad st")."""
    return " ".join(_ADDRESS_ABBREVIATIONS.get(word, word) for word in words(address))


def metres_between(lat1: float, long1: float, lat2: float, long2: float) -> int:
    """The great-circle distance in whole metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


# --- ranking -------------------------------------------------------------------------------------------------


def content_words(text: str) -> str:
    """The words of `text` that can say what the problem is: folded, little words and place words dropped."""
    return " ".join(word for word in words(text) if len(word) > 1 and word not in _LITTLE_WORDS)


def words_similarity(first: str, second: str) -> float | None:
    """How alike two texts' content words are (0 … 1), typos forgiven; None when either has none."""
    return _similarity(content_words(first), content_words(second))


def _similarity(first: str, second: str) -> float | None:
    if not first or not second:
        return None
    # token_set alone calls any text containing the other's one word identical; token_sort alone ignores
    # that a short report is part of a long one. Their mean is neither.
    return (fuzz.token_set_ratio(first, second) + fuzz.token_sort_ratio(first, second)) / 200


def _rank(
    candidate: ServiceRequest,
    service: Service | None,
    content: str,
    lat: float | None,
    long: float | None,
    address_key: str,
    now: dt.datetime,
) -> PossibleDuplicate | None:
    reach_of = service or candidate.service
    radius, window = reach_of.duplicate_radius_m, reach_of.duplicate_window_days
    age = max(now - candidate.requested_at, dt.timedelta(0))
    if age > dt.timedelta(days=window):
        return None
    metres: int | None = None
    if lat is not None and long is not None and candidate.lat is not None and candidate.long is not None:
        metres = metres_between(lat, long, candidate.lat, candidate.long)
        if metres > radius:
            return None
        closeness = 1 - metres / radius
    elif address_key and candidate.lat is None and address_key_of(candidate.address) == address_key:
        closeness = SAME_ADDRESS_CLOSENESS
    else:
        return None
    same_service = service is not None and candidate.service_id == service.pk
    similarity = _similarity(content, content_words(candidate.description)) if content else None
    if not same_service and (similarity is None or similarity < RELATED_MIN_SIMILARITY):
        return None
    newness = 1 - age / dt.timedelta(days=window)
    parts = [(PLACE_WEIGHT, closeness), (TIME_WEIGHT, newness), (SERVICE_WEIGHT, 1.0 if same_service else 0.0)]
    if content:
        parts.append((WORDS_WEIGHT, UNKNOWN_WORDS_SIMILARITY if similarity is None else similarity))
    score = sum(weight * value for weight, value in parts) / sum(weight for weight, _value in parts)
    return PossibleDuplicate(
        service_request=candidate,
        metres=metres,
        age=age,
        same_service=same_service,
        text_similarity=round(similarity or 0.0, 3),
        score=round(score, 3),
    )


# --- saying why ----------------------------------------------------------------------------------------------


def distance_phrase(duplicate: PossibleDuplicate) -> str:
    """ "40 m away", "less than 10 m away" or "at the same address"."""
    if duplicate.metres is None:
        return _("at the same address")
    if duplicate.metres < 10:
        return _("less than 10 m away")
    return _("%(metres)s m away") % {"metres": 5 * round(duplicate.metres / 5)}


def days_ago(duplicate: PossibleDuplicate) -> int:
    """Calendar days since it was requested, in the city's time zone (0: today, 1: yesterday)."""
    requested = duplicate.service_request.requested_at
    zone = duplicate.service_request.jurisdiction.zone
    return (
        timezone.localtime(requested + duplicate.age, zone).date() - timezone.localtime(requested, zone).date()
    ).days


def age_phrase(duplicate: PossibleDuplicate) -> str:
    """ "today", "yesterday" or "3 days ago" (the city's calendar days)."""
    days = days_ago(duplicate)
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}


def public_sentence(duplicate: PossibleDuplicate) -> str:
    """What a resident is told: "Someone reported this 40 m away 2 days ago." (nothing of what they wrote)."""
    return _("Someone reported this %(where)s, %(when)s.") % {
        "where": distance_phrase(duplicate),
        "when": age_phrase(duplicate),
    }


def reasons(duplicate: PossibleDuplicate) -> list[str]:
    """Why it is offered, for staff: "same service", "40 m", "2 days", "similar words"."""
    found = [
        _("same service")
        if duplicate.same_service
        else _("related service (%(name)s)") % {"name": duplicate.service_request.service.localized("name")}
    ]
    if duplicate.metres is None:
        found.append(_("same address"))
    else:
        found.append(_("%(metres)s m") % {"metres": duplicate.metres})
    days = days_ago(duplicate)
    found.append(_("today") if days == 0 else ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if duplicate.similar_words:
        found.append(_("similar words"))
    return found


def explain(duplicate: PossibleDuplicate) -> str:
    """The reasons in one line: "same service, 40 m, 2 days, similar words"."""
    return ", ".join(reasons(duplicate))
