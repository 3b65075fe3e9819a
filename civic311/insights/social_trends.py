"""Reads of the social trends page: how the city's posts feel week by week, what they want, and where.

Over the social inbox's items (one per post that started a conversation), as the inbox stored their reading
when they arrived (`InboxItem.sentiment`, `text_kind`, `suggested_service`, `neighborhood`): a post filed as a
request counts under the request's service, else under the service suggested for it. Weeks start on Monday
in the city's zone; the current week is counted so far.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from civic311.catalogue.models import Service
from civic311.inbox.models import InboxChannel, InboxItem, InboxMessage
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.words import words

WEEKS_CHOICES = (4, 12, 26)
DEFAULT_WEEKS = 12
TOP_WANTS = 10
_PUNCTUATION = re.compile(r"[.,;:!?¿¡()\[\]\n\"“”]+")
TOP_PHRASES = 12
# Words that make a phrase a street's name ("market st", "calle cambria").
STREET_WORDS = frozenset(
    {"st", "ave", "av", "avenue", "blvd", "boulevard", "rd", "dr", "ln", "pike", "calle", "avenida", "esquina"}
)  # ("street" and "road" stay: "street light", "road work" are wants)
# A phrase that only one post used is that post, not a trend.
MIN_PHRASE_POSTS = 2
# The posts whose words are read for the week's phrases, newest first (a busy week reads its latest).
MAX_PHRASE_POSTS = 2000
WANTING = (TextKind.REQUEST, TextKind.COMPLAINT)

# Little words left out of the phrases (English and Spanish, folded), and the words every post to 311 has.
STOP_WORDS = frozenset(
    """a an the and or but if of to in on at by for from with without about as into onto over under up down out
    off is are was were be been being am do does did done have has had having it its it's this that these those
    there here i me my mine we us our you your yours he him his she her they them their what which who whom
    when where why how all any some no not nor so too very just can could will would should may might must
    shall than then there's i'm i've we've you're they're don't doesn't didn't isn't aren't wasn't can't won't
    get got still again also please pls plz thanks thank thx ty hi hello hey yes ok okay lol one two like
    today yesterday tomorrow now week weeks day days time times since ago already ever never really
    el la los las lo un una unos unas y o pero si de del al a en con sin por para sobre entre hasta desde
    que quien cual como cuando donde porque es son fue fueron ser estar esta estan este esto estos esa ese eso
    esos esas hay ha han he hemos mi mis su sus tu tus nuestro nuestra nos me te se le les ya muy mas otra otro
    vez todavia aun tambien no ni gracias favor hola bien hoy ayer manana semana semanas dia dias
    311 philly311 philly philadelphia phl phila city ciudad""".strip().split(None)
)


@dataclass(frozen=True)
class Tally:
    """Posts and how they felt."""

    posts: int = 0
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def share_negative(self) -> float | None:
        return self.negative / self.posts if self.posts else None

    @property
    def percent_negative(self) -> int | None:
        share = self.share_negative
        return round(share * 100) if share is not None else None

    def plus(self, sentiment: str) -> Tally:
        return Tally(
            posts=self.posts + 1,
            negative=self.negative + (sentiment == Sentiment.NEGATIVE),
            neutral=self.neutral + (sentiment not in (Sentiment.NEGATIVE, Sentiment.POSITIVE)),
            positive=self.positive + (sentiment == Sentiment.POSITIVE),
        )


@dataclass(frozen=True)
class Week:
    first: dt.date  # the Monday
    tally: Tally

    @property
    def last(self) -> dt.date:
        return self.first + dt.timedelta(days=6)


@dataclass(frozen=True)
class Row:
    """A service or a neighborhood and its posts."""

    name: str
    tally: Tally


@dataclass(frozen=True)
class Want:
    name: str
    posts: int


@dataclass(frozen=True)
class SocialTrends:
    weeks: tuple[Week, ...]  # oldest first, every week of the span (an empty one too)
    chosen: Week
    total: Tally
    wanted_services: tuple[Want, ...]  # the chosen week's request and complaint posts, by service
    wanted_phrases: tuple[Want, ...]  # … and the phrases they use most
    by_service: tuple[Row, ...]
    by_neighborhood: tuple[Row, ...]
    unread: int = 0  # posts in the span without a stored reading (before the reader ran, or it failed)
    week_starts: tuple[dt.date, ...] = field(default=())

    @property
    def most_posts(self) -> int:
        return max((week.tally.posts for week in self.weeks), default=0)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_starts(jurisdiction: Jurisdiction, weeks: int, *, now: dt.datetime | None = None) -> tuple[dt.date, ...]:
    """The Mondays of the last `weeks` weeks in the city's zone, the current one last."""
    if weeks not in WEEKS_CHOICES:
        raise ValueError(f"weeks must be one of {WEEKS_CHOICES}")
    this_week = monday_of(timezone.localtime(now or timezone.now(), jurisdiction.zone).date())
    return tuple(this_week - dt.timedelta(weeks=back) for back in range(weeks - 1, -1, -1))


def _start(jurisdiction: Jurisdiction, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=jurisdiction.zone)


def social_posts(jurisdiction: Jurisdiction) -> Iterable[InboxItem]:
    return InboxItem.objects.filter(jurisdiction=jurisdiction, channel=InboxChannel.SOCIAL)


def mood_between(jurisdiction: Jurisdiction, start: dt.datetime, end: dt.datetime) -> Tally:
    """The sentiment of the city's social posts received in [start, end) (those read so far)."""
    counted = (
        InboxItem.objects.filter(
            jurisdiction=jurisdiction, channel=InboxChannel.SOCIAL, received_at__gte=start, received_at__lt=end
        )
        .exclude(sentiment="")
        .aggregate(
            posts=Count("pk"),
            negative=Count("pk", filter=Q(sentiment=Sentiment.NEGATIVE)),
            positive=Count("pk", filter=Q(sentiment=Sentiment.POSITIVE)),
        )
    )
    posts, negative, positive = counted["posts"], counted["negative"], counted["positive"]
    return Tally(posts=posts, negative=negative, neutral=posts - negative - positive, positive=positive)


def social_trends(
    jurisdiction: Jurisdiction,
    *,
    weeks: int = DEFAULT_WEEKS,
    week: dt.date | None = None,
    now: dt.datetime | None = None,
    language: str | None = None,
) -> SocialTrends:
    """The page's figures over the last `weeks` weeks; the wants of `week` (a Monday of the span; else the
    current week). ValueError for a `weeks` that is not one of WEEKS_CHOICES."""
    starts = week_starts(jurisdiction, weeks, now=now)
    chosen_start = monday_of(week) if week is not None and monday_of(week) in starts else starts[-1]
    since = _start(jurisdiction, starts[0])
    rows = (
        InboxItem.objects.filter(jurisdiction=jurisdiction, channel=InboxChannel.SOCIAL, received_at__gte=since)
        .values_list(
            "pk",
            "received_at",
            "sentiment",
            "text_kind",
            "suggested_service_id",
            "service_request__service_id",
            "neighborhood_id",
        )
        .order_by()
    )
    zone = jurisdiction.zone
    weekly: dict[dt.date, Tally] = {start: Tally() for start in starts}
    services: dict[int, Tally] = defaultdict(Tally)
    places: dict[int, Tally] = defaultdict(Tally)
    wanted: Counter[int] = Counter()
    wanting_items: list[tuple[dt.datetime, int]] = []
    total = Tally()
    unread = 0
    for pk, received_at, sentiment, kind, suggested_id, filed_id, neighborhood_id in rows.iterator(chunk_size=2000):
        if not sentiment:
            unread += 1
            continue
        start = monday_of(timezone.localtime(received_at, zone).date())
        if start not in weekly:
            continue
        weekly[start] = weekly[start].plus(sentiment)
        total = total.plus(sentiment)
        service_id = filed_id or suggested_id
        if service_id is not None:
            services[service_id] = services[service_id].plus(sentiment)
        if neighborhood_id is not None:
            places[neighborhood_id] = places[neighborhood_id].plus(sentiment)
        if start == chosen_start and kind in WANTING:
            if service_id is not None:
                wanted[service_id] += 1
            wanting_items.append((received_at, pk))
    names = _service_names(set(services) | set(wanted), language)
    neighborhoods = dict(Neighborhood.objects.filter(pk__in=places).values_list("pk", "name"))
    wanting_items.sort(reverse=True)
    return SocialTrends(
        weeks=tuple(Week(start, weekly[start]) for start in starts),
        chosen=Week(chosen_start, weekly[chosen_start]),
        total=total,
        wanted_services=tuple(Want(names[pk], posts) for pk, posts in _top(wanted, TOP_WANTS, names)),
        wanted_phrases=top_phrases(
            _first_messages([pk for _at, pk in wanting_items[:MAX_PHRASE_POSTS]]),
            place_words=_place_words(jurisdiction),
        ),
        by_service=_rows(services, names),
        by_neighborhood=_rows(places, neighborhoods),
        unread=unread,
        week_starts=starts,
    )


def _top(counts: Counter[int], limit: int, names: dict[int, str]) -> list[tuple[int, int]]:
    return sorted(counts.items(), key=lambda pair: (-pair[1], names.get(pair[0], "")))[:limit]


def _rows(tallies: dict[int, Tally], names: dict[int, str]) -> tuple[Row, ...]:
    rows = [Row(names[pk], tally) for pk, tally in tallies.items() if pk in names]
    return tuple(sorted(rows, key=lambda row: (-row.tally.posts, row.name)))


def _service_names(pks: set[int], language: str | None) -> dict[int, str]:
    return {service.pk: service.localized("name", language) for service in Service.objects.filter(pk__in=pks)}


def _place_words(jurisdiction: Jurisdiction) -> frozenset[str]:
    """The words of the city's neighborhood names, folded ("northeast", "bustleton", "point", "breeze")."""
    names = Neighborhood.objects.filter(jurisdiction=jurisdiction).values_list("name", flat=True)
    return frozenset(word for name in names for word in words(name))


def _first_messages(item_ids: list[int]) -> list[str]:
    """Each item's first message from the resident (the post that started it)."""
    texts: dict[int, str] = {}
    messages = (
        InboxMessage.objects.filter(item_id__in=item_ids, direction=InboxMessage.Direction.IN)
        .order_by("item_id", "sent_at", "pk")
        .values_list("item_id", "body")
    )
    for item_id, body in messages.iterator(chunk_size=2000):
        texts.setdefault(item_id, body)
    return list(texts.values())


def phrases_of(text: str) -> set[str]:
    """The 2- and 3-word phrases of a text's content words: little words are left out ("mattresses and
    tires" is "mattresses tires"), punctuation ends a phrase, and numbers are left out (a house number is a
    place, not a want)."""
    found: set[str] = set()
    for part in _PUNCTUATION.split(text or ""):
        kept = [word for word in words(part) if word not in STOP_WORDS and not word.isdigit() and len(word) > 1]
        for size in (2, 3):
            for start in range(len(kept) - size + 1):
                found.add(" ".join(kept[start : start + size]))
    return found


def top_phrases(
    texts: Iterable[str], *, limit: int = TOP_PHRASES, place_words: frozenset[str] = frozenset()
) -> tuple[Want, ...]:
    """The phrases most posts use (each post counts once), a 2-word phrase left out when a 3-word one that
    contains it is used by as many posts. A phrase that names a place ("market st", a neighborhood's name:
    `place_words`) says where, not what is wanted: left out."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(
            phrase
            for phrase in phrases_of(text)
            if not any(word in STREET_WORDS for word in phrase.split())
            and not all(word in place_words for word in phrase.split())
        )
    kept = {phrase: posts for phrase, posts in counts.items() if posts >= MIN_PHRASE_POSTS}
    longer = [phrase for phrase in kept if phrase.count(" ") == 2]
    for phrase in list(kept):
        if phrase.count(" ") == 1 and any(
            kept[three] >= kept[phrase] and f" {phrase} " in f" {three} " for three in longer
        ):
            del kept[phrase]
    ranked = sorted(kept.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
    return tuple(Want(phrase, posts) for phrase, posts in ranked)


def weekly_rows(trends: SocialTrends) -> list[list[object]]:
    """The weekly table for the CSV download: a header and a row per week."""
    header: list[object] = ["week_starting", "posts", "negative", "neutral", "positive", "share_negative"]
    rows: list[list[object]] = [header]
    for week in trends.weeks:
        share = week.tally.share_negative
        rows.append(
            [
                week.first.isoformat(),
                week.tally.posts,
                week.tally.negative,
                week.tally.neutral,
                week.tally.positive,
                f"{share:.3f}" if share is not None else "",
            ]
        )
    return rows


def weeks_asked(value: str | None) -> tuple[int, bool]:
    """The `weeks` GET parameter: (weeks, valid). Missing is the default; anything not offered is the default
    and invalid."""
    if value in (None, ""):
        return DEFAULT_WEEKS, True
    try:
        weeks = int(str(value))
    except ValueError:
        return DEFAULT_WEEKS, False
    return (weeks, True) if weeks in WEEKS_CHOICES else (DEFAULT_WEEKS, False)


def week_asked(value: str | None) -> dt.date | None:
    """The `week` GET parameter (an ISO date in the week); None for missing or not a date."""
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
