"""The demo's inbox: what Philadelphians sent 311 by e-mail, text message and social media this last week,
and what the agents did with it, so the console's inbox has a morning's work in it.

- The doors: the 311 mailbox (no IMAP server: nothing polls it), the SMS number, three social media sources
  (a Mastodon webhook, a news feed, a Bluesky search; the feed and the search are inactive and have no
  server to call, so the demo never reaches the network), the first-response targets (e-mail 24 h, SMS 4 h,
  social media 2 h), and the walk-in desks (Philly311's is City Hall, Room 167).
- About forty conversations, received through the inbox's own `services.receive` (posts through the
  social door's `receive_post`, which calls it) and worked through its `working` services and the
  console's (taken, answered, filed as requests, dismissed, handed to a team), so each is exactly what the
  doors and an agent would leave: e-mails in English and Spanish (one with a photo, one an out-of-office
  auto-reply), text messages (a conversation the machine finished with a filed request, several it handed
  to an agent, a STATUS query), and posts (some with a place, some dismissed with a reason, one turned into
  a request whose requester is the author's handle only). Some are overdue, some assigned, some linked to
  requests.

Times are relative to `now` (the newest items arrived in the last hours); deterministic (a seeded
`random.Random` jitters the minutes; the words are fixed). `create_inbox(city)` does nothing when the city
has inbox items already, so running the seed again adds nothing; `delete_inbox(city)` removes them
(`delete_demo_city` calls it).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from PIL import Image, ImageDraw

from civic311.console import services as console
from civic311.inbox import services as inbox
from civic311.inbox.models import (
    FirstResponseTarget,
    InboxChannel,
    InboxItem,
    InboxMessage,
    Mailbox,
    PostSource,
    SmsNumber,
    TextConversation,
)
from civic311.inbox.post_sources import Post
from civic311.inbox.services import social
from civic311.jurisdictions.models import Jurisdiction, ServiceDesk
from civic311.people import roles
from civic311.people.models import Team, User
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import Channel, Contact, ServiceRequest

from .places import NEIGHBORHOODS_BY_SLUG

MAILBOX_ADDRESS = "311@philly311.example.org"
SMS_NUMBER = "+12155550300"
TARGET_HOURS = {InboxChannel.EMAIL: 24, InboxChannel.SMS: 4, InboxChannel.SOCIAL: 2}
# (name, address, open): Philly311's walk-in desk, and a second one the demo invents.
DESKS = (
    ("City Hall, Room 167", "1400 John F Kennedy Blvd, Room 167, Philadelphia, PA 19107", True),
    ("Municipal Services Building concourse", "1401 John F Kennedy Blvd, Philadelphia, PA 19102", True),
)
MASTODON = "mastodon"
BLUESKY = "bluesky"


@dataclass
class InboxStats:
    items: int = 0
    messages: int = 0
    overdue: int = 0
    requests_filed: int = 0


@dataclass(frozen=True)
class Doors:
    mailbox: Mailbox
    number: SmsNumber
    mastodon: PostSource
    feed: PostSource
    bluesky: PostSource


def create_doors(city: Jurisdiction) -> Doors:
    """The mailbox, the SMS number, the social sources, the first-response targets and the walk-in desks
    (idempotent: what is there is kept, secrets included)."""
    mailbox, _ = Mailbox.objects.get_or_create(
        jurisdiction=city,
        address=MAILBOX_ADDRESS,
        defaults={"imap_host": "", "signing_key": secrets.token_urlsafe(24)},
    )
    number, _ = SmsNumber.objects.get_or_create(
        number=SMS_NUMBER, defaults={"jurisdiction": city, "signing_secret": secrets.token_urlsafe(24)}
    )
    mastodon, _ = PostSource.objects.get_or_create(
        jurisdiction=city,
        name="Mastodon: mentions of @philly311",
        defaults={
            "kind": PostSource.Kind.WEBHOOK,
            "network": MASTODON,
            "account": "@philly311@mastodon.example",
            "signing_secret": secrets.token_urlsafe(24),
        },
    )
    # Polled kinds, left inactive and pointing nowhere real: the demo never reaches the network.
    feed, _ = PostSource.objects.get_or_create(
        jurisdiction=city,
        name="Neighborhood news feed",
        defaults={"kind": PostSource.Kind.FEED, "url": "https://news.example.org/philadelphia.rss", "is_active": False},
    )
    bluesky, _ = PostSource.objects.get_or_create(
        jurisdiction=city,
        name="Bluesky: #philly311",
        defaults={
            "kind": PostSource.Kind.BLUESKY,
            "network": BLUESKY,
            "query": "#philly311",
            "account": "philly311.bsky.example",
            "is_active": False,
        },
    )
    for channel, hours in TARGET_HOURS.items():
        FirstResponseTarget.objects.get_or_create(jurisdiction=city, channel=channel, defaults={"hours": hours})
    for name, address, is_open in DESKS:
        ServiceDesk.objects.get_or_create(
            jurisdiction=city, name=name, defaults={"address": address, "is_active": is_open}
        )
    return Doors(mailbox, number, mastodon, feed, bluesky)


# --- what the agents do -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Take:
    agent: int  # an index into the city's agents
    after: float  # hours after the item arrived


@dataclass(frozen=True)
class Reply:
    text: str
    after: float


@dataclass(frozen=True)
class Inform:
    """Answer with information, and wrap the contact up (the item is done)."""

    summary: str
    after: float


@dataclass(frozen=True)
class File:
    """File a request from the item (the console's flow), tell the resident its number, wrap up."""

    service_code: str
    answers: dict[str, str]
    place: tuple[str, float, float]  # neighborhood slug and a small offset from its centre (degrees)
    address: str
    description: str
    reply: str  # "{number}" becomes the tracking number
    after: float


@dataclass(frozen=True)
class Dismiss:
    reason: str
    after: float


@dataclass(frozen=True)
class ToTeam:
    team: str
    after: float


@dataclass(frozen=True)
class Again:
    """The resident writes again on the same conversation."""

    body: str
    after: float


Action = Take | Reply | Inform | File | Dismiss | ToTeam | Again


@dataclass(frozen=True)
class Mail:
    hours_ago: float
    sender: str
    name: str
    subject: str
    body: str
    language: str = "en"
    quoted: str = ""
    photo: bool = False
    automatic: bool = False
    about_open_request: bool = False
    ack: bool = True
    actions: Sequence[Action] = field(default_factory=tuple)


@dataclass(frozen=True)
class Toot:
    hours_ago: float
    network: str
    handle: str
    name: str
    text: str
    place: tuple[str, float, float] | None = None
    media: bool = False
    actions: Sequence[Action] = field(default_factory=tuple)


@dataclass(frozen=True)
class Text:
    hours_ago: float
    sender: str
    body: str
    language: str = "en"
    actions: Sequence[Action] = field(default_factory=tuple)


ACK = {
    "en": "Thank you for writing to Philly311. We have your message and will answer within one business day. "
    "For an emergency, call 911.",
    "es": "Gracias por escribir a Philly311. Hemos recibido su mensaje y le responderemos en un día hábil. "
    "En caso de emergencia, llame al 911.",
}

MAILS: tuple[Mail, ...] = (
    Mail(
        30,
        "dana.whitaker@example.com",
        "Dana Whitaker",
        "Trash not picked up on Wharton St",
        "Hi, our trash on the 1400 block of Wharton St was not collected on Monday. The bags are still out "
        "and the birds are getting into them. Can someone come by?",
        quoted="Dana Whitaker\nSent from my phone",
    ),
    Mail(
        3,
        "tmcgrath@example.net",
        "Tom McGrath",
        "Street light out",
        "The street light in front of 2215 E Cumberland St has been out for a week. Pole number 14-0237.",
    ),
    Mail(
        5,
        "lucia.ramos@example.com",
        "Lucía Ramos",
        "Basura no recogida",
        "Buenas tardes, la basura de nuestra cuadra en la calle Rising Sun no se recogió esta semana. ¿Cuándo "
        "pasará el camión?",
        language="es",
    ),
    Mail(
        28,
        "jorge.m@example.org",
        "Jorge Medina",
        "Bache enorme en la calle 5",
        "Hay un bache enorme en la calle 5 y Lehigh. Ya se han dañado dos llantas. Por favor, arréglenlo pronto.",
        language="es",
    ),
    Mail(
        6,
        "kim.nguyen@example.com",
        "Kim Nguyen",
        "Illegal dumping behind my house (photo)",
        "Someone dumped a mattress, tires and about ten bags of trash in the alley behind 3100 N 6th St last "
        "night. Photo attached.",
        photo=True,
        actions=(Take(3, 1.0),),
    ),
    Mail(
        26,
        "bob.ferris@example.net",
        "Bob Ferris",
        "Bulk pickup for an old couch",
        "How do I get an old couch picked up? It won't fit in a trash can.",
        actions=(
            Take(2, 2.0),
            Reply(
                "Hello Bob, Sanitation picks up bulky items by appointment: call 311 or use the form at "
                "phila.gov (search for 'bulk item pickup'). There is a small fee per item. Best, Philly311",
                2.3,
            ),
        ),
    ),
    Mail(
        50,
        "maryellen.c@example.com",
        "Mary Ellen Costa",
        "Which day is recycling?",
        "We just moved to Frankford Ave. Which day is recycling collected?",
        actions=(
            Take(4, 3.0),
            Reply(
                "Welcome to the neighborhood! Trash and recycling are collected on the same day; on your block "
                "that is Thursday. Put them out by 7 a.m. Best, Philly311",
                3.2,
            ),
            Inform("Recycling day: Thursday, same day as trash; out by 7 a.m.", 3.3),
        ),
    ),
    Mail(
        8,
        "andre.b@example.org",
        "Andre Brooks",
        "Any update?",
        "I reported this weeks ago and nothing has happened yet. Any update on it?",
        about_open_request=True,
    ),
    Mail(
        70,
        "shirley.oconnor@example.com",
        "Shirley O'Connor",
        "Graffiti on the rec center wall",
        "There is new graffiti on the side wall of the recreation center at 1800 N Howard St, facing the "
        "playground. The kids see it every day.",
        actions=(
            Take(2, 4.0),
            File(
                "SR-CL01",
                {"surface": "building_wall", "offensive": "no"},
                ("kensington", 0.002, -0.003),
                "1800 N Howard St",
                "New graffiti on the side wall of the recreation center, facing the playground.",
                "Thank you, Shirley. We filed it for graffiti removal: your tracking number is {number}. You can "
                "follow it at phila.gov/311. Best, Philly311",
                4.2,
            ),
        ),
    ),
    Mail(
        12,
        "nightowl.reports@example.net",
        "",
        "Loud music every night",
        "The bar at the corner of Girard and Frankford plays loud music until 3 a.m. every night. Who do I "
        "complain to?",
        actions=(ToTeam("Evening team", 0.5),),
    ),
    Mail(
        40,
        "p.harrington@example.com",
        "Paul Harrington",
        "Abandoned car for two weeks",
        "A silver sedan with no plates has been parked in front of 4500 Tackawanna St for two weeks. It has a "
        "flat tire and the windows are broken.",
        actions=(Take(5, 5.0),),
    ),
    Mail(
        60,
        "grace.liu@example.org",
        "Grace Liu",
        "Tree branch hanging over the sidewalk",
        "A big branch of the street tree in front of 612 S 48th St cracked in the storm and is hanging over "
        "the sidewalk.",
        actions=(
            Take(3, 6.0),
            Reply("Thank you, Grace. Can you tell us whether the branch is blocking the sidewalk completely?", 6.2),
            Again("It is not blocking it completely, but people have to duck under it.", 20.0),
        ),
    ),
    Mail(
        90,
        "carmen.v@example.com",
        "Carmen Vega",
        "¿Cómo renuevo mi permiso de estacionamiento?",
        "Hola, ¿cómo puedo renovar mi permiso de estacionamiento residencial? Gracias.",
        language="es",
        actions=(
            Take(4, 2.0),
            Reply(
                "Hola, Carmen: puede renovar su permiso en línea en el sitio de la Autoridad de Estacionamiento "
                "(PPA) o en persona en sus oficinas. Atentamente, Philly311",
                2.5,
            ),
            Inform("Parking permit renewal: online at the PPA or in person.", 2.6),
        ),
    ),
    Mail(
        200,
        "d.kowalczyk@example.net",
        "Dorota Kowalczyk",
        "Fire hydrant leaking",
        "The fire hydrant at Belgrade and Clearfield has been leaking water onto the street since yesterday.",
        actions=(
            Take(2, 3.0),
            Reply("Thank you, Dorota. We passed it to the Water Department; they will send a crew.", 3.4),
            Inform("Leaking hydrant: referred to the Water Department.", 3.5),
        ),
    ),
    Mail(
        2,
        "james.obi@example.com",
        "James Obi",
        "Thank you!",
        "Just wanted to say thanks, the pothole on my street was fixed in two days.",
    ),
    Mail(
        14,
        "ahmed.k@example.com",
        "Ahmed Karimi",
        "Sidewalk blocked by construction",
        "The contractor at 2000 Frankford Ave has blocked the whole sidewalk for a month with no detour sign. "
        "People walk in the street with strollers.",
        actions=(ToTeam("Day team", 1.0),),
    ),
    Mail(
        36,
        "m.flores@example.org",
        "Marisol Flores",
        "Luz de la calle apagada",
        "La luz de la calle frente a 3200 N 5th St lleva tres noches apagada. Es peligroso caminar de noche.",
        language="es",
        actions=(Take(4, 30.0),),
    ),
)
AUTO_REPLY = Mail(
    1.5,
    "bob.ferris@example.net",
    "Bob Ferris",
    "Automatic reply: Bulk pickup for an old couch",
    "I am out of the office until Monday with limited access to e-mail.",
    automatic=True,
    ack=False,
)

TOOTS: tuple[Toot, ...] = (
    Toot(
        3,
        MASTODON,
        "@broadstreetbee@mastodon.example",
        "Bee",
        "@philly311 huge pothole on Broad St just north of City Hall, cars swerving into the bus lane",
        place=("center-city", 0.004, 0.001),
    ),
    Toot(
        1,
        BLUESKY,
        "fishtownfran.bsky.example",
        "Fran in Fishtown",
        "Third week the street light at Girard and Marlborough is out. #philly311",
        place=("fishtown", 0.001, 0.002),
    ),
    Toot(
        20,
        MASTODON,
        "@eaglesfan1933@mastodon.example",
        "Go Birds",
        "@philly311 when are the Birds giving us a parade 🦅🦅 #GoBirds",
        actions=(Take(6, 0.5), Dismiss("Not a request for service: sports chatter.", 0.6)),
    ),
    Toot(
        30,
        MASTODON,
        "@urbansketcher@mastodon.example",
        "Ruth (she/her)",
        "@philly311 the underpass on Spring Garden at 9th is covered in fresh graffiti again",
        place=("northern-liberties", 0.001, -0.002),
        media=True,
        actions=(
            Take(5, 1.0),
            File(
                "SR-CL01",
                {"surface": "fence", "offensive": "no"},
                ("northern-liberties", 0.001, -0.002),
                "",
                "Fresh graffiti on the underpass on Spring Garden St at 9th St (reported on Mastodon).",
                "Thanks for letting us know! We filed it for graffiti removal: request {number}.",
                1.2,
            ),
        ),
    ),
    Toot(
        6,
        BLUESKY,
        "westphillywalks.bsky.example",
        "West Philly Walks",
        "How do I get a recycling bin delivered? Mine was taken. @philly311.bsky.example",
        actions=(
            Take(3, 0.5),
            Reply("You can pick up a free bin at a Sanitation Convenience Center, or call 311 to ask for one.", 0.7),
        ),
    ),
    Toot(
        16,
        MASTODON,
        "@bot_of_deals@mastodon.example",
        "Deals",
        "@philly311 cheap sneakers at our store, link in bio!!!",
        actions=(Take(6, 0.2), Dismiss("Advertising.", 0.2)),
    ),
    Toot(
        0.5,
        BLUESKY,
        "parkside.pat.bsky.example",
        "Pat",
        "Trash cans overflowing all over Fairmount Park near the Parkside fields this weekend #philly311",
        place=("fairmount", 0.0, 0.003),
    ),
    Toot(
        4,
        MASTODON,
        "@rosa_en_philly@mastodon.example",
        "Rosa",
        "@philly311 hay basura tirada en el parque de la calle Lehigh desde hace días",
        place=("kensington", 0.002, 0.0),
        actions=(ToTeam("Day team", 0.3),),
    ),
    Toot(
        9,
        MASTODON,
        "@kensingtonmom@mastodon.example",
        "K.",
        "@philly311 needles on the sidewalk next to the playground at Kensington and Clearfield. Please.",
        place=("kensington", 0.004, 0.003),
        actions=(Take(2, 0.5),),
    ),
    Toot(
        26,
        BLUESKY,
        "mantua.mike.bsky.example",
        "Mike",
        "Why does it take 3 weeks to fix a traffic light in this city #philly311",
        actions=(
            Take(4, 1.0),
            Reply("Sorry for the wait. Which intersection is it? We will check on the request for you.", 1.5),
        ),
    ),
    Toot(
        2,
        MASTODON,
        "@southphillysam@mastodon.example",
        "Sam",
        "@philly311 is the Passyunk Ave farmers market still on this Saturday with the street closure?",
    ),
    Toot(
        12,
        BLUESKY,
        "manayunkmaria.bsky.example",
        "María",
        "Main Street in Manayunk flooded again after the rain, the storm drain is clogged #philly311",
        place=("manayunk", 0.001, 0.0),
        actions=(
            Take(3, 0.4),
            Reply("Thank you, María. What is the nearest cross street? We will ask Streets to clear the inlet.", 0.6),
        ),
    ),
    Toot(
        48,
        MASTODON,
        "@gtownhistory@mastodon.example",
        "Germantown History",
        "Lovely to see the new benches on Germantown Ave. Thanks @philly311!",
        actions=(Take(6, 2.0), Dismiss("A thank-you; nothing to do.", 2.1)),
    ),
)

TEXTS: tuple[Text, ...] = (
    Text(5, "+12155550171", "My neighbor's dog barks all night every night, and they leave it out in the cold"),
    Text(2, "+12155550172", "Hay un árbol caído bloqueando la calle Susquehanna", language="es"),
    Text(
        30,
        "+12155550173",
        "Is the Roxborough sanitation center open on Saturday?",
        actions=(Take(5, 1.0), Reply("Yes, it is open Saturdays from 8 a.m. to 6 p.m.", 1.1)),
    ),
    Text(7, "+12155550174", "The crossing signal at Cottman and Bustleton isn't working", actions=(Take(3, 0.5),)),
    Text(1, "+12155550175", "abandoned car on my block for a month, 2300 S Bancroft St"),
    Text(
        80,
        "+12155550176",
        "Who do I call about a gas smell?",
        actions=(Take(2, 0.2), Inform("Gas smell: PGW, 215-235-1000.", 0.3)),
    ),
    Text(3, "+12155550177", "Hay ratas en el callejón detrás de mi casa en la calle Jasper", language="es"),
    Text(
        50,
        "+12155550178",
        "Pothole on Roosevelt Blvd northbound near Cottman, really deep",
        actions=(Take(2, 1.0), Reply("Thank you. Is it in the inner or the outer lanes?", 1.2)),
    ),
)


# --- making it ------------------------------------------------------------------------------------------------


class _Seeder:
    def __init__(self, city: Jurisdiction, doors: Doors, rng: random.Random, now: dt.datetime) -> None:
        self.city, self.doors, self.rng, self.now = city, doors, rng, now
        self.stats = InboxStats()
        self.agents = list(
            roles.inbox_assignees(User.objects.filter(is_active=True), city.pk).filter(department__jurisdiction=city)
        )
        self.teams = {team.name: team for team in Team.objects.filter(jurisdiction=city)}
        self.counter = 0
        self.supervisor = next((user for user in self.agents if roles.may_manage_inbox(user, city.pk)), None)

    # Times: never in the future, and after each other.
    def at(self, hours_ago: float) -> dt.datetime:
        return self.now - dt.timedelta(hours=hours_ago, minutes=self.rng.randint(0, 20))

    def clamp(self, moment: dt.datetime) -> dt.datetime:
        return min(moment, self.now - dt.timedelta(minutes=1))

    def next_id(self, kind: str) -> str:
        self.counter += 1
        if kind == "email":
            return f"<demo-{self.counter:04d}.{self.rng.getrandbits(32):08x}@mail.example>"
        return f"SM{self.counter:04d}{self.rng.getrandbits(64):016x}"

    def agent(self, index: int) -> User | None:
        return self.agents[index % len(self.agents)] if self.agents else None

    def receive(self, incoming: inbox.Incoming) -> inbox.Receipt:
        receipt = inbox.receive(self.city, incoming, now=self.now)
        self.stats.messages += 1
        return receipt

    # -- e-mail

    def mail(self, mail: Mail, *, in_reply_to: Sequence[str] = (), received_at: dt.datetime | None = None) -> None:
        received = received_at or self.at(mail.hours_ago)
        service_request = self.open_request() if mail.about_open_request else None
        receipt = self.receive(
            inbox.Incoming(
                channel=InboxChannel.EMAIL,
                external_id=self.next_id("email"),
                sender=mail.sender,
                sender_name=mail.name,
                subject=mail.subject,
                body=mail.body,
                quoted=mail.quoted,
                received_at=received,
                in_reply_to=tuple(in_reply_to),
                attachments=(inbox.IncomingFile("dumping.jpg", "image/jpeg", demo_photo()),) if mail.photo else (),
                automatic=mail.automatic,
                language=mail.language,
                mailbox=self.doors.mailbox,
                service_request=service_request,
            )
        )
        if receipt.new_item and mail.ack:
            inbox.record_automatic_reply(receipt.item, ACK.get(mail.language, ACK["en"]), now=received)
            self.stats.messages += 1
        self.work(receipt.item, received, mail.actions, channel=InboxChannel.EMAIL)

    # -- social media

    def post(self, toot: Toot) -> InboxItem:
        received = self.at(toot.hours_ago)
        self.counter += 1
        if toot.network == MASTODON:
            user, _, server = toot.handle.lstrip("@").partition("@")
            status = 110_000_000_000_000_000 + self.counter * 7919
            uri = f"https://{server}/users/{user}/statuses/{status}"
            link = f"https://{server}/@{user}/{status}"
            source = self.doors.mastodon
        else:
            post_id = f"3l{self.rng.getrandbits(40):010x}"
            uri = f"at://did:plc:demo{self.counter:04d}/app.bsky.feed.post/{post_id}"
            link = f"https://bsky.app/profile/{toot.handle}/post/{post_id}"
            source = self.doors.bluesky
        lat = long = None
        if toot.place is not None:
            lat, long = _near(*toot.place)
        media = (f"{link}/media/1.jpg",) if toot.media else ()
        post = Post(
            uri=uri,
            text=toot.text,
            author_handle=toot.handle,
            author_name=toot.name,
            posted_at=received,
            link=link,
            lat=lat,
            long=long,
            media_urls=media,
        )
        # Through the social door, as a webhook or a poll would land it.
        receipt = social.receive_post(source, post, now=self.now)
        self.stats.messages += 1
        self.work(receipt.item, received, toot.actions, channel=InboxChannel.SOCIAL)
        return receipt.item

    # -- text messages

    def text(self, text: Text) -> InboxItem:
        received = self.at(text.hours_ago)
        item = self.text_in(text.sender, text.body, received, text.language)
        TextConversation.objects.get_or_create(
            item=item,
            defaults={
                "step": TextConversation.Step.HANDED_OVER,
                "description": text.body,
                "misunderstood": 2,
                "updated_at": received,
            },
        )
        self.work(item, received, text.actions, channel=InboxChannel.SMS)
        return item

    def text_in(self, sender: str, body: str, received: dt.datetime, language: str = "en") -> InboxItem:
        return self.receive(
            inbox.Incoming(
                channel=InboxChannel.SMS,
                external_id=self.next_id("sms"),
                sender=sender,
                body=body,
                received_at=received,
                language=language,
                sms_number=self.doors.number,
            )
        ).item

    def machine(self, item: InboxItem, text: str, moment: dt.datetime) -> None:
        inbox.record_automatic_reply(item, text, now=moment)
        self.stats.messages += 1

    def filed_by_text(self) -> None:
        """A conversation the machine finished: what, confirm, where, photo, filed, the number sent back."""
        sender = "+12155550161"
        started = self.at(22)
        steps = (
            ("There's a big pothole at 5th and Market", "Is this about: Street Defect (potholes)? Reply YES or NO."),
            ("YES", "Where is it? Reply with an address or a corner, or share your location."),
            ("5th and Market St", "Can you send a photo? Reply with a picture, or NO to skip."),
            ("NO", ""),
        )
        item: InboxItem | None = None
        moment = started
        for answer, question in steps:
            item = self.text_in(sender, answer, moment)
            moment += dt.timedelta(seconds=40)
            if question:
                self.machine(item, question, moment)
                moment += dt.timedelta(minutes=1, seconds=self.rng.randint(5, 90))
        assert item is not None
        place = NEIGHBORHOODS_BY_SLUG["old-city"]
        submission = requests.submit(
            self.city,
            requests.Report(
                service_code="SR-ST01",
                description="There's a big pothole at 5th and Market",
                address="5th and Market St",
                lat=place.lat + 0.0005,
                long=place.long - 0.004,
                answers={"defect_type": "pothole", "gas_smell": "no"},
                phone=sender,
                channel=Channel.SMS,
            ),
            now=moment,
        )
        number = submission.service_request.tracking_number
        self.machine(
            item,
            f"Thank you. Your request is filed: tracking number {number}. Text STATUS {number} for an update.",
            moment + dt.timedelta(seconds=5),
        )
        self.stats.requests_filed += 1
        TextConversation.objects.update_or_create(
            item=item,
            defaults={
                "step": TextConversation.Step.FILED,
                "description": "There's a big pothole at 5th and Market",
                "service": submission.service_request.service,
                "address": "5th and Market St",
                "updated_at": moment,
            },
        )
        # The intake's own contact (channel SMS, no agent) is the item's: every item counts as a contact.
        contact = Contact.objects.filter(service_request=submission.service_request).first()
        InboxItem.objects.filter(pk=item.pk).update(
            service_request=submission.service_request,
            contact=contact,
            status=InboxItem.Status.DONE,
            done_at=moment,
            response_due_at=None,
            first_response_at=started + dt.timedelta(seconds=40),
        )

    def status_query(self) -> None:
        """`STATUS N`: answered by the machine; nothing for an agent."""
        service_request = self.open_request()
        if service_request is None:
            return
        received = self.at(9)
        item = self.text_in("+12155550162", f"STATUS {service_request.tracking_number}", received)
        self.machine(
            item,
            f"Request {service_request.tracking_number} ({service_request.service.name}): "
            f"{service_request.get_status_display()}.",
            received + dt.timedelta(seconds=20),
        )
        InboxItem.objects.filter(pk=item.pk).update(
            service_request=service_request,
            status=InboxItem.Status.DONE,
            done_at=received + dt.timedelta(seconds=20),
            response_due_at=None,
        )

    # -- the agents' work

    def work(self, item: InboxItem, received: dt.datetime, actions: Sequence[Action], *, channel: str) -> None:
        agent: User | None = None
        for action in actions:
            moment = self.clamp(received + dt.timedelta(hours=action.after))
            if isinstance(action, Take):
                agent = self.agent(action.agent)
                if agent is None:
                    return
                item = inbox.take(item, agent=agent, now=moment)
            elif agent is None and not isinstance(action, (ToTeam, Again)):
                return
            elif isinstance(action, Reply):
                assert agent is not None
                inbox.reply(item, action.text, agent=agent, now=moment)
                self.stats.messages += 1
            elif isinstance(action, Inform):
                assert agent is not None and item.contact is not None
                console.answer_information(item.contact, summary=action.summary, agent=agent)
                console.finish_contact(item.contact, agent=agent, survey_consent=False, now=moment)
            elif isinstance(action, File):
                assert agent is not None
                self.file(item, action, agent, moment)
            elif isinstance(action, Dismiss):
                assert agent is not None
                item = inbox.dismiss(item, action.reason, agent=agent, now=moment)
            elif isinstance(action, ToTeam):
                team = self.teams.get(action.team)
                if team is not None and self.supervisor is not None:
                    item = inbox.assign(item, actor=self.supervisor, team=team, now=moment)
            elif isinstance(action, Again):
                last_out = item.messages.filter(direction=InboxMessage.Direction.OUT).exclude(external_id="").last()
                last_in = item.messages.filter(direction=InboxMessage.Direction.IN).exclude(external_id="").last()
                replied = [message.external_id for message in (last_out, last_in) if message is not None]
                item = self.receive(
                    inbox.Incoming(
                        channel=channel,
                        external_id=self.next_id("email"),
                        sender=item.sender,
                        sender_name=item.sender_name,
                        subject=f"Re: {item.subject}",
                        body=action.body,
                        received_at=moment,
                        in_reply_to=replied,
                        language=item.language,
                        mailbox=item.mailbox,
                    )
                ).item
            item.refresh_from_db()

    def file(self, item: InboxItem, action: File, agent: User, moment: dt.datetime) -> None:
        assert item.contact is not None
        lat, long = _near(*action.place)
        handle = social.requester_handle(item) if item.channel == InboxChannel.SOCIAL else ""
        report = requests.Report(
            service_code=action.service_code,
            description=action.description,
            address=action.address,
            lat=lat,
            long=long,
            answers=dict(action.answers),
            handle=handle,
            email="" if handle else item.sender,
            first_name="" if handle else item.sender_name.partition(" ")[0],
            last_name="" if handle else item.sender_name.partition(" ")[2],
            language=item.language,
        )
        submission = console.file_request_for_contact(item.contact, report, agent=agent, now=moment)
        number = submission.service_request.tracking_number
        self.stats.requests_filed += 1
        item.refresh_from_db()
        if item.service_request_id is None:  # the console links the contact's items; make sure
            inbox.link_request(item, submission.service_request, agent=agent, now=moment)
        inbox.reply(item, action.reply.format(number=number), agent=agent, now=moment + dt.timedelta(minutes=1))
        self.stats.messages += 1
        console.finish_contact(item.contact, agent=agent, survey_consent=False, now=moment + dt.timedelta(minutes=2))

    def open_request(self) -> ServiceRequest | None:
        return (
            ServiceRequest.objects.filter(jurisdiction=self.city)
            .exclude(status__in=FINAL_STATES)
            .select_related("service")
            .order_by("requested_at", "pk")
            .first()
        )


def _near(slug: str, lat_offset: float, long_offset: float) -> tuple[float, float]:
    place = NEIGHBORHOODS_BY_SLUG[slug]
    return round(place.lat + lat_offset, 6), round(place.long + long_offset, 6)


def demo_photo() -> bytes:
    """A small JPEG that passes the photo checks: an alley wall, a mattress and bags (shapes, not a photo)."""
    image = Image.new("RGB", (320, 240), (150, 140, 130))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 150, 320, 240), fill=(90, 90, 95))
    draw.rectangle((40, 120, 200, 170), fill=(225, 220, 200))
    for x in (220, 250, 280):
        draw.ellipse((x, 140, x + 35, 185), fill=(25, 25, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def has_inbox(city: Jurisdiction) -> bool:
    return InboxItem.objects.filter(jurisdiction=city).exists()


def create_inbox(city: Jurisdiction, *, seed: int = 311, now: dt.datetime | None = None) -> InboxStats:
    """The doors (always brought up to date) and, once, a week of conversations (see the module's docstring)."""
    doors = create_doors(city)
    if has_inbox(city):
        return InboxStats()
    seeder = _Seeder(city, doors, random.Random(seed), now or timezone.now())
    for mail in MAILS:
        seeder.mail(mail)
    # Bob's out-of-office answers the city's reply to him: kept, never answered, changes nothing.
    bulk = InboxItem.objects.filter(jurisdiction=city, subject=MAILS[5].subject).first()
    if bulk is not None:
        ours = bulk.messages.filter(direction=InboxMessage.Direction.OUT, automatic=False).exclude(external_id="")
        theirs = bulk.messages.filter(direction=InboxMessage.Direction.IN).exclude(external_id="")
        replied = [message.external_id for message in (ours.last(), theirs.first()) if message is not None]
        seeder.mail(
            AUTO_REPLY, in_reply_to=replied, received_at=seeder.clamp(bulk.last_message_at + dt.timedelta(minutes=2))
        )
    for toot in TOOTS:
        seeder.post(toot)
    seeder.filed_by_text()
    seeder.status_query()
    for text in TEXTS:
        seeder.text(text)
    seeder.stats.items = InboxItem.objects.filter(jurisdiction=city).count()
    seeder.stats.overdue = (
        InboxItem.objects.filter(jurisdiction=city, response_due_at__lt=seeder.now)
        .exclude(status=InboxItem.Status.DONE)
        .count()
    )
    return seeder.stats


def delete_inbox(city: Jurisdiction) -> None:
    """Every conversation of the city, with its photos, and its doors (their rows PROTECT the city)."""
    for item in InboxItem.objects.filter(jurisdiction=city).prefetch_related("messages__attachments"):
        for message in item.messages.all():
            for attachment in message.attachments.all():
                attachment.image.delete(save=False)
    InboxItem.objects.filter(jurisdiction=city).delete()  # messages, photos, text conversations cascade
    Mailbox.objects.filter(jurisdiction=city).delete()
    SmsNumber.objects.filter(jurisdiction=city).delete()
    PostSource.objects.filter(jurisdiction=city).delete()
    FirstResponseTarget.objects.filter(jurisdiction=city).delete()
