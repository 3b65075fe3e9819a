"""A season of posts about the city for the social trends: what residents post, how they feel (Philly311
saw about half of them negative), week by week.

Twelve weeks of posts up to yesterday, in English and Spanish: reports of problems (plain,
and frightened), complaints about waiting and asking again, questions, thanks, and the odd post about
nothing (a greeting, an advertisement). Each comes in through the social door (`inbox.services.social`), so
the inbox reads it as it would any post and stores its reading (kind, sentiment, suggested service, place);
an agent then dismissed it, as the city's social team would have long since. Some share their location, the
rest name a street or a neighborhood. The weeks are not all alike: from late November (the first ice, the
holiday trash) more posts complain, and in October fewer.

Made once: a city that has them is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from civic311.inbox.models import InboxMessage, PostSource
from civic311.inbox.post_sources import Post
from civic311.inbox.services import receiving, social, working
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User

from .inbox import create_doors
from .places import NEIGHBORHOODS, Place

WEEKS = 12
POSTS_PER_WEEK = (24, 36)
FULL_SIZE_REQUESTS = 15_000
# The posts' URIs start with this: how a second run knows the season is there.
HISTORY_SERVER = "history.mastodon.example"
# The season ends yesterday: today's posts are the demo inbox's (`demo.inbox`), waiting for an agent.
ENDS_DAYS_AGO = 1
DISMISSED = "Seen by the social team; nothing more to answer here."


@dataclass(frozen=True)
class Problem:
    en: str  # "a huge pothole"
    es: str  # "un bache enorme"
    fixed_en: str  # "the pothole"
    fixed_es: str  # "el bache"
    winter: bool = False


PROBLEMS = (
    Problem("a huge pothole", "un bache enorme", "the pothole", "el bache"),
    Problem("potholes everywhere", "baches por todas partes", "the potholes", "los baches"),
    Problem("a street light out", "una luz de la calle apagada", "the street light", "la luz de la calle"),
    Problem("trash not picked up", "la basura sin recoger", "the trash pickup", "la recogida de basura"),
    Problem("recycling not collected", "el reciclaje sin recoger", "the recycling", "el reciclaje"),
    Problem("illegal dumping, mattresses and tires", "colchones y llantas tirados", "the dumping", "los escombros"),
    Problem("an abandoned car with no plates", "un carro abandonado sin placas", "the abandoned car", "el carro"),
    Problem("graffiti all over the wall", "grafiti en toda la pared", "the graffiti", "el grafiti"),
    Problem("a vacant lot full of trash and weeds", "un lote vacío lleno de basura", "the vacant lot", "el lote"),
    Problem("a vacant house wide open", "una casa vacía abierta", "the vacant house", "la casa vacía"),
    Problem("the traffic signal out", "el semáforo apagado", "the traffic signal", "el semáforo"),
    Problem("a dead tree about to fall", "un árbol seco a punto de caerse", "the dead tree", "el árbol"),
    Problem("an overflowing dumpster", "un contenedor desbordado", "the dumpster", "el contenedor"),
    Problem("the alley light out", "la luz del callejón apagada", "the alley light", "la luz del callejón"),
    Problem("construction noise at 6am", "ruido de construcción a las 6 de la mañana", "the site", "la obra"),
    Problem("icy streets nobody salted", "las calles con hielo y sin sal", "the salting", "la sal", winter=True),
)

# Each: (share of posts, English templates, Spanish templates). {problem}, {fixed}, {street}, {hood}.
REQUESTS = (
    "{problem} on {street} in {hood}",
    "There's {problem} at {street}, can someone take a look? #philly311",
    "Reporting {problem} on {street}, {hood}",
    "@philly311 {problem} near {street}. Please send someone",
    "hey 311, {problem} by {street} in {hood}",
)
REQUESTS_ES = (
    "Hay {problem} en la {street} ({hood})",
    "Por favor, {problem} en la {street}, {hood}",
    "Reporto {problem} cerca de la {street}",
    "@philly311 {problem} en {hood}, calle {street}",
)
AFRAID = (
    "{problem} on {street} is dangerous, someone is going to get hurt",
    "Scared to walk my kids past {street} with {problem}. Please do something",
    "{problem} in {hood}, it's a real hazard and terrible at night",
)
AFRAID_ES = (
    "Me da miedo pasar por la {street}, {problem}. Es un peligro",
    "{problem} en {hood}, es muy peligroso para los niños",
)
COMPLAINTS = (
    "Third time reporting {problem} on {street} and nobody came",
    "{problem} on {street} STILL not fixed after 3 weeks. Ridiculous",
    "Called 311 again about {problem} in {hood}. Still waiting. #philly311",
    "@philly311 you closed my request but {fixed} on {street} is still there",
    "Sick of {problem} on {street}, months of this and nothing",
    "How long do we have to wait? {problem} on {street} for weeks now",
    "NOBODY CARES ABOUT {hood_upper}. {problem_upper} AGAIN!!!",
    "The crew was rude and left {fixed} on {street} worse than before",
)
COMPLAINTS_ES = (
    "Tercera vez que reporto {problem} en la {street} y nadie vino",
    "Otra vez {problem} en {hood}, llevamos semanas esperando",
    "Pésimo servicio, {problem} en la {street} sigue ahí",
    "Estoy harta, {problem} en {hood} y nadie hace nada",
    "Cerraron mi reporte como resuelto pero {fixed} de la {street} sigue igual",
)
QUESTIONS = (
    "When is trash pickup in {hood}?",
    "How do I report {problem}? Is there an app?",
    "Is the sanitation center open Saturday?",
    "Who do I call about {fixed} on {street}?",
    "What day is recycling in {hood} this week?",
)
QUESTIONS_ES = (
    "¿Qué día recogen la basura en {hood}?",
    "¿Cómo reporto {problem}?",
    "¿Dónde dejo muebles viejos en {hood}?",
)
PRAISE = (
    "Thank you @philly311 for fixing {fixed} on {street} so fast!",
    "Shoutout to the crew in {hood} today, great job 👏",
    "Really appreciate the quick work on {fixed} in {hood}. Thanks!",
    "{hood} looks great after the cleanup, thank you city workers",
)
PRAISE_ES = (
    "¡Gracias por arreglar {fixed} en la {street}! Excelente trabajo",
    "Mil gracias al equipo de la ciudad, {hood} se ve muy limpio",
    "Felicidades a los trabajadores, muy rápidos con {fixed} 🙏",
)
OTHER = (
    "Beautiful morning in {hood}",
    "Go Birds!",
    "Get 10k free followers now, click here www.followers.example",
    "hello philly",
)
OTHER_ES = ("Buenos días Filadelfia", "Feliz día a todos en {hood}")

# The mix of a week: (request, afraid, complaint, question, praise, other) weights.
MIX = (18, 12, 44, 10, 11, 5)
SPANISH_SHARE = 0.3
SHARED_LOCATION_SHARE = 0.4

FIRST_NAMES = (
    "ana", "marcus", "keisha", "tom", "luz", "dee", "jamal", "maria", "kevin", "rosa", "mike", "tanya", "jose",
    "lin", "carmen", "dave", "nia", "eddie", "yolanda", "pat", "sam", "andre", "gloria", "rich", "tasha", "hector",
)  # fmt: skip


def _handles(rng: random.Random) -> list[tuple[str, str]]:
    """(handle, name) of about 150 people who post, on Mastodon and Bluesky."""
    people = []
    for index in range(150):
        first = rng.choice(FIRST_NAMES)
        if index % 2:
            people.append((f"@{first}{index}@{HISTORY_SERVER}", first.title()))
        else:
            people.append((f"{first}{index}.bsky.social", first.title()))
    return people


def has_post_history(city: Jurisdiction) -> bool:
    return InboxMessage.objects.filter(jurisdiction=city, external_id__contains=HISTORY_SERVER).exists()


def _week_mix(start: dt.date) -> tuple[int, ...]:
    """A normal week, or a bad one: the first snow, the week after Thanksgiving (missed trash)."""
    if start.month == 12 or (start.month == 11 and start.day >= 24):
        request, afraid, complaint, question, praise, other = MIX
        return (request, afraid + 4, complaint + 14, question, max(praise - 6, 3), other)
    if start.month == 10:
        request, afraid, complaint, question, praise, other = MIX
        return (request + 8, afraid, complaint - 12, question, praise + 6, other)
    return MIX


def _write(rng: random.Random, kind: int, spanish: bool, problem: Problem, place: Place) -> str:
    street = rng.choice(place.streets)
    choices = [
        (REQUESTS, REQUESTS_ES),
        (AFRAID, AFRAID_ES),
        (COMPLAINTS, COMPLAINTS_ES),
        (QUESTIONS, QUESTIONS_ES),
        (PRAISE, PRAISE_ES),
        (OTHER, OTHER_ES),
    ][kind]
    template = rng.choice(choices[1] if spanish else choices[0])
    text = template.format(
        problem=problem.es if spanish else problem.en,
        fixed=problem.fixed_es if spanish else problem.fixed_en,
        street=street,
        hood=place.name,
        hood_upper=place.name.upper(),
        problem_upper=(problem.es if spanish else problem.en).upper(),
    )
    return text[0].upper() + text[1:]


def create_post_history(city: Jurisdiction, *, seed: int, now: dt.datetime | None = None) -> int:
    """Make the posts (once: a city that has them is left alone); the number made."""
    if has_post_history(city):
        return 0
    now = now or timezone.now()
    rng = random.Random(seed * 7 + 19)
    doors = create_doors(city)
    sources: tuple[PostSource, PostSource] = (doors.mastodon, doors.bluesky)
    agents = list(roles.inbox_assignees(User.objects.filter(is_active=True), city.pk))
    people = _handles(rng)
    weights = [place.density for place in NEIGHBORHOODS]
    zone = city.zone
    last_day = timezone.localtime(now, zone).date() - dt.timedelta(days=ENDS_DAYS_AGO)
    first_day = last_day - dt.timedelta(weeks=WEEKS) + dt.timedelta(days=1)
    # A city's posts follow its size: the full demo (15,000 requests) gets about 30 a week, a small test city
    # one or two.
    scale = min(1.0, city.service_requests.count() / FULL_SIZE_REQUESTS)
    days = [first_day + dt.timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    made = 0
    for week_start in range(0, len(days), 7):
        week = days[week_start : week_start + 7]
        mix = _week_mix(week[0] - dt.timedelta(days=week[0].weekday()))
        for _ in range(max(1, round(rng.uniform(*POSTS_PER_WEEK) * scale))):
            day = rng.choice(week)
            kind = rng.choices(range(len(mix)), weights=mix)[0]
            spanish = rng.random() < SPANISH_SHARE
            winter = day.month in (12, 1, 2)
            problem = rng.choice([problem for problem in PROBLEMS if winter or not problem.winter])
            place = rng.choices(NEIGHBORHOODS, weights=weights)[0]
            posted = dt.datetime.combine(day, dt.time(rng.randint(6, 22), rng.randint(0, 59)), tzinfo=zone)
            made += _post(rng, city, sources, people, agents, _write(rng, kind, spanish, problem, place), place, posted)
    return made


def _post(
    rng: random.Random,
    city: Jurisdiction,
    sources: tuple[PostSource, PostSource],
    people: list[tuple[str, str]],
    agents: list[User],
    text: str,
    place: Place,
    posted: dt.datetime,
) -> int:
    handle, name = rng.choice(people)
    number = rng.getrandbits(48)
    if handle.startswith("@"):
        user = handle.lstrip("@").partition("@")[0]
        uri = f"https://{HISTORY_SERVER}/users/{user}/statuses/{number}"
        link = f"https://{HISTORY_SERVER}/@{user}/{number}"
        source = sources[0]
    else:
        uri = f"at://did:plc:{HISTORY_SERVER}.{number:012x}/app.bsky.feed.post/{number:012x}"
        link = f"https://bsky.app/profile/{handle}/post/{number:012x}"
        source = sources[1]
    lat = long = None
    if rng.random() < SHARED_LOCATION_SHARE:
        lat = round(place.lat + rng.uniform(-0.004, 0.004), 6)
        long = round(place.long + rng.uniform(-0.004, 0.004), 6)
    post = Post(uri=uri, text=text, author_handle=handle, author_name=name, posted_at=posted, link=link, lat=lat,
                long=long)  # fmt: skip
    try:
        receipt = social.receive_post(source, post, now=posted + dt.timedelta(minutes=1))
    except receiving.Flooded:
        return 0  # one person posting too much in a minute: the door refuses it, as it would
    if receipt.created and receipt.new_item and agents:
        agent = agents[rng.randrange(len(agents))]
        working.dismiss(receipt.item, DISMISSED, agent=agent, now=posted + dt.timedelta(hours=rng.uniform(0.5, 6)))
    return int(receipt.created)
