"""The demo's Neighborhood Liaison Program, shaped like Philadelphia's: about 600 trained liaisons two years
ago growing to about 1,200 now (Philly311's own account, ../shared/seeds), with their applications (some
waiting, some declined with a reason), training sessions with registrations and completions, refreshers,
some lapsed and some withdrawn, English-speaking for the most part with Spanish, Chinese, Vietnamese and
others, the demo's requests of the `liaison` channel (~1.6%) as filed by liaisons, a few community meetings
and messages.

Deterministic (one seeded `random.Random`) and fast: the rows are written in bulk, not through the
program's services one by one (those send an e-mail per step: thousands of them would fill the outbox).
A liaison's access, though, is written only through `civic311.people.services.set_liaison_neighborhoods`,
as the program's own `training.sync_access` does: the role rows for the active liaisons, none for others.

`create_programme(city)` does nothing when the city has a program already, so a second run adds nothing.
`DEMO_LIAISON_EMAIL` is a liaison to sign in as (the sign-in link is e-mailed, to var/mail/ in the demo).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from civic311.community.models import (
    CommunityMeeting,
    HeardAbout,
    Liaison,
    LiaisonApplication,
    LiaisonFiling,
    ProgrammeMessage,
    TrainingRegistration,
    TrainingSession,
)
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people import roles
from civic311.people.models import User
from civic311.people.services import set_liaison_neighborhoods
from civic311.service_requests.models import Channel, ServiceRequest

DEMO_LIAISON_EMAIL = "liaison@example.org"
USERNAME_PREFIX = "demo-liaison-"
TERMS_VERSION = "2024-1"
FOUNDING = 600  # trained two years ago
GROWTH = 640  # trained since
WAITING_FOR_TRAINING = 45
PENDING_APPLICATIONS = 38
DECLINED_APPLICATIONS = 110
WITHDRAWN_SHARE = 0.05
SESSION_SIZE = 30

FIRST_NAMES = (
    "Maria",
    "James",
    "Linh",
    "Wei",
    "Aisha",
    "Robert",
    "Carmen",
    "Tyrone",
    "Mei",
    "Patricia",
    "Jose",
    "Nadia",
    "Kevin",
    "Rosa",
    "Hung",
    "Denise",
    "Luis",
    "Fatima",
    "Michael",
    "Tamika",
    "Xin",
    "Angela",
    "Omar",
    "Lucia",
    "Brian",
    "Thu",
    "Yolanda",
    "Ahmed",
    "Sharon",
    "Jamal",
    "Ana",
    "Dmitri",
    "Keisha",
    "Pedro",
    "Grace",
    "Samuel",
)
LAST_NAMES = (
    "Johnson",
    "Rivera",
    "Nguyen",
    "Chen",
    "Williams",
    "Brown",
    "Santiago",
    "Tran",
    "Jackson",
    "Lee",
    "Ortiz",
    "Harris",
    "Pham",
    "Davis",
    "Cruz",
    "Wright",
    "Morales",
    "Kim",
    "Thomas",
    "Robinson",
    "Li",
    "Ali",
    "Walker",
    "Torres",
    "Green",
    "Le",
    "Lewis",
    "Reyes",
    "Ivanova",
    "Moore",
    "Perez",
    "Wong",
    "Carter",
    "Diaz",
    "Young",
)
# (codes spoken, language for messages, weight): English for most, then Spanish, Chinese, Vietnamese, ...
LANGUAGE_MIXES = (
    (["en"], "en", 62),
    (["en", "es"], "es", 16),
    (["es"], "es", 4),
    (["en", "zh"], "en", 5),
    (["en", "vi"], "en", 4),
    (["en", "ru"], "en", 2),
    (["en", "ar"], "en", 2),
    (["en", "ht"], "en", 2),
    (["en", "km"], "en", 1),
    (["en", "fr"], "en", 1),
    (["en", "pt"], "en", 1),
)
DECLINE_REASONS = (
    "The neighborhood you chose is outside the city; please apply again with your own neighborhood.",
    "We could not reach you at the e-mail address or phone number you gave.",
    "You are already a liaison under another application.",
    "The program is for residents; a business can work with us through the Commerce Department.",
)
TRAINERS = ("Daniel Ramos", "Amanda Wagner", "Ivelisse Cruz", "Thanh Pham")
PLACES = (
    "Free Library, Parkway Central, 1901 Vine St",
    "Lucien E. Blackwell Library, 125 S 52nd St",
    "Frankford Library, 4634 Frankford Ave",
    "City Hall, Room 167",
    "South Philadelphia Older Adult Center, 1430 E Passyunk Ave",
)
MEETINGS = (
    ("civic association monthly meeting", 45),
    ("town watch walk and debrief", 18),
    ("block captains' meeting", 25),
    ("community council meeting", 60),
    ("PSA meeting with the police district", 35),
)
MESSAGES = (
    (
        "Spring clean-up: supplies for your block",
        (
            "The city's spring clean-up is on the first Saturday of April. "
            "Ask us for bags, gloves and brooms for your block by the end of March."
        ),
    ),
    (
        "New: report on behalf of a neighbor from your phone",
        (
            "You can now file a request for a neighbor from "
            "your phone, with their contact details if they agree. Sign in with the link we e-mail you."
        ),
    ),
    (
        "Refresher trainings this quarter",
        (
            "If your refresher is due, sign up for one of this quarter's sessions: "
            "in person or online, in English and Spanish."
        ),
    ),
    (
        "Thank you: 1,000 trained liaisons",
        (
            "The program now counts more than a thousand trained residents. "
            "Thank you for bringing your neighbors' concerns to 311."
        ),
    ),
)


@dataclass
class ProgrammeStats:
    applications: int = 0
    liaisons: int = 0
    active: int = 0
    sessions: int = 0
    registrations: int = 0
    filings: int = 0
    meetings: int = 0
    messages: int = 0


@dataclass
class _Person:
    first: str
    last: str
    joined: dt.datetime
    applied: dt.datetime
    trained: dt.datetime | None
    languages: list[str]
    language: str
    neighborhoods: list[Neighborhood]
    consent: bool


def has_programme(city: Jurisdiction) -> bool:
    return Liaison.objects.filter(jurisdiction=city).exists()


def _month_offset(now: dt.datetime, months: float, rng: random.Random) -> dt.datetime:
    return now - dt.timedelta(days=months * 30.44 + rng.uniform(-3, 3))


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def create_programme(city: Jurisdiction, *, seed: int = 311, now: dt.datetime | None = None) -> ProgrammeStats:
    """The whole program, once (returns empty stats when the city has one already)."""
    stats = ProgrammeStats()
    if has_programme(city):
        return stats
    now = now or timezone.now()
    rng = random.Random(seed)
    neighborhoods = list(Neighborhood.objects.filter(jurisdiction=city).order_by("name"))
    if not neighborhoods:
        return stats
    # Some neighborhoods have many liaisons, others a few: a weight per neighborhood.
    weights = [rng.uniform(0.3, 3.0) for _neighborhood in neighborhoods]
    # The demo's member of community staff decided the applications and sent messages.
    staff = next(
        (
            user
            for user in User.objects.filter(department__jurisdiction=city).order_by("username")
            if roles.may_run_community_programmes(user)  # the administrator has no department
        ),
        None,
    )
    zone = city.zone
    refresher_months = settings.CIVIC311_LIAISON_REFRESHER_MONTHS

    with transaction.atomic():
        # --- who: each future liaison's dates, oldest first -------------------------------------------------
        people: list[_Person] = []
        total = FOUNDING + GROWTH + WAITING_FOR_TRAINING
        for index in range(total):
            if index < FOUNDING:  # the founding cohort: trained 24 to 30 months ago
                trained = _month_offset(now, rng.uniform(24.2, 30), rng)
            elif index < FOUNDING + GROWTH:  # steady growth since, a little faster lately
                trained = _month_offset(now, 24 * (1 - ((index - FOUNDING) / GROWTH) ** 0.9) + 0.2, rng)
            else:
                trained = None
            joined = (trained or _month_offset(now, rng.uniform(0.1, 2.5), rng)) - dt.timedelta(
                days=rng.uniform(7, 40) if trained else 0
            )
            joined = min(joined, now - dt.timedelta(hours=2))
            mix = rng.choices(LANGUAGE_MIXES, weights=[weight for *_rest, weight in LANGUAGE_MIXES])[0]
            chosen = rng.choices(neighborhoods, weights=weights, k=2 if rng.random() < 0.15 else 1)
            people.append(
                _Person(
                    first=rng.choice(FIRST_NAMES),
                    last=rng.choice(LAST_NAMES),
                    joined=joined,
                    applied=joined - dt.timedelta(days=rng.uniform(3, 30)),
                    trained=trained,
                    languages=list(mix[0]),
                    language=str(mix[1]),
                    neighborhoods=list({n.pk: n for n in chosen}.values()),
                    consent=rng.random() < 0.6,
                )
            )
        people.sort(key=lambda person: person.joined)
        # The demo's own liaison to sign in as: active, trained a year and a half ago, in the first neighborhood.
        known = next(index for index, person in enumerate(people) if person.trained and index > FOUNDING // 2)
        dana = people[known]
        dana.first, dana.last, dana.languages, dana.language = "Dana", "Whitaker", ["en", "es"], "en"
        dana.neighborhoods, dana.consent = [neighborhoods[0]], True

        # --- accounts (resident accounts: no password, they sign in by an e-mailed link) ----------------------
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{USERNAME_PREFIX}{index:05d}",
                    email=DEMO_LIAISON_EMAIL if index == known else f"{USERNAME_PREFIX}{index:05d}@example.org",
                    first_name=str(person.first),
                    last_name=str(person.last),
                    password="!" + get_random_string(40),  # unusable, as set_unusable_password makes it
                    is_staff=False,
                    date_joined=person.joined,
                )
                for index, person in enumerate(people)
            ]
        )
        if users and users[0].pk is None:  # a database that does not return bulk keys
            by_name = dict(User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("username", "pk"))
            for user in users:
                user.pk = by_name[user.username]

        # --- applications (accepted ones, then the waiting and the declined) -----------------------------------
        applications = []
        for index, person in enumerate(people):
            applications.append(
                LiaisonApplication(
                    jurisdiction=city,
                    first_name=person.first,
                    last_name=person.last,
                    email=users[index].email,
                    languages=person.languages,
                    heard_about=rng.choice(HeardAbout.values),
                    terms_version=TERMS_VERSION,
                    agreed_at=person.applied,
                    show_on_neighborhood_page=person.consent,
                    language=person.language,
                    status=LiaisonApplication.Status.ACCEPTED,
                    decided_by=staff,
                    decided_at=person.joined,
                    created_at=person.applied,
                )
            )
        others: list[tuple[LiaisonApplication, list[Neighborhood]]] = []
        for index in range(PENDING_APPLICATIONS + DECLINED_APPLICATIONS):
            pending = index < PENDING_APPLICATIONS
            applied = _month_offset(now, rng.uniform(0.05, 1.5) if pending else rng.uniform(1, 30), rng)
            applied = min(applied, now - dt.timedelta(hours=1))
            mix = rng.choices(LANGUAGE_MIXES, weights=[weight for *_rest, weight in LANGUAGE_MIXES])[0]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            application = LiaisonApplication(
                jurisdiction=city,
                first_name=first,
                last_name=last,
                email=f"applicant{index:04d}@example.org",
                languages=list(mix[0]),
                heard_about=rng.choice(HeardAbout.values),
                terms_version=TERMS_VERSION,
                agreed_at=applied,
                show_on_neighborhood_page=rng.random() < 0.5,
                language=mix[1],
                status=LiaisonApplication.Status.PENDING if pending else LiaisonApplication.Status.DECLINED,
                decided_by=None if pending else staff,
                decided_at=None if pending else min(applied + dt.timedelta(days=rng.uniform(2, 20)), now),
                decline_reason="" if pending else rng.choice(DECLINE_REASONS),
                created_at=applied,
            )
            applications.append(application)
            others.append((application, rng.choices(neighborhoods, weights=weights, k=1)))
        applications = LiaisonApplication.objects.bulk_create(applications)
        through = LiaisonApplication.neighborhoods.through
        through.objects.bulk_create(
            [
                through(liaisonapplication_id=application.pk, neighborhood_id=neighborhood.pk)
                for application, person in zip(applications, people, strict=False)
                for neighborhood in person.neighborhoods
            ]
            + [
                through(liaisonapplication_id=application.pk, neighborhood_id=neighborhood.pk)
                for application, chosen in others
                for neighborhood in chosen
            ]
        )
        stats.applications = len(applications)

        # --- liaisons: statuses and dates ------------------------------------------------------------------------
        liaisons = []
        today = timezone.localdate(now, zone)
        for index, person in enumerate(people):
            trained = person.trained
            status, lapsed_at, withdrawn_at, refresher_due_on = Liaison.Status.ACCEPTED, None, None, None
            if isinstance(trained, dt.datetime):
                # Refreshed every year since training (nine in ten do it in time); the first missed refresher
                # lapses them the day after it was due.
                trained_on = timezone.localdate(trained, zone)
                due = _add_months(trained_on, refresher_months)
                while due < today and (index == known or rng.random() < 0.9):
                    due = _add_months(due, refresher_months)
                refresher_due_on = due
                if index != known and rng.random() < WITHDRAWN_SHARE:
                    status = Liaison.Status.WITHDRAWN
                    withdrawn_at = trained + (now - trained) * rng.uniform(0.2, 0.95)
                elif due < today:
                    status = Liaison.Status.LAPSED
                    lapsed_at = city.midnight(due + dt.timedelta(days=1)) + dt.timedelta(hours=3)
                else:
                    status = Liaison.Status.ACTIVE
            elif rng.random() < 0.04:
                status = Liaison.Status.WITHDRAWN
                withdrawn_at = min(person.joined + dt.timedelta(days=rng.uniform(5, 30)), now)
            last_active = None
            if status == Liaison.Status.ACTIVE:
                last_active = now - dt.timedelta(days=rng.expovariate(1 / 20))
            liaisons.append(
                Liaison(
                    jurisdiction=city,
                    user_id=users[index].pk,
                    application_id=applications[index].pk,
                    first_name=person.first,
                    last_name=person.last,
                    email=users[index].email,
                    phone=f"+1215555{index:04d}",
                    languages=person.languages,
                    language=person.language,
                    show_on_neighborhood_page=person.consent,
                    status=status,
                    joined_at=person.joined,
                    trained_at=trained,
                    refresher_due_on=refresher_due_on,
                    lapsed_at=lapsed_at,
                    withdrawn_at=withdrawn_at,
                    last_active_at=last_active,
                )
            )
        liaisons = Liaison.objects.bulk_create(liaisons)
        liaison_through = Liaison.neighborhoods.through
        liaison_through.objects.bulk_create(
            [
                liaison_through(liaison_id=liaison.pk, neighborhood_id=neighborhood.pk)
                for liaison, person in zip(liaisons, people, strict=True)
                for neighborhood in person.neighborhoods
            ]
        )
        stats.liaisons = len(liaisons)

        # --- access: the liaison role for the active ones, through the people app's one writer ------------------
        for liaison, user, person in zip(liaisons, users, people, strict=True):
            if liaison.status == Liaison.Status.ACTIVE:
                set_liaison_neighborhoods(user, person.neighborhoods)
                stats.active += 1

        stats.sessions, stats.registrations = _trainings(city, liaisons, staff, rng, now, refresher_months)
        stats.meetings = _meetings(city, liaisons, people, staff, rng, now)
        stats.filings = _filings(city, liaisons, people, rng, now)
        stats.messages = _messages(city, liaisons, people, staff, rng, now)
    return stats


def _session(
    city: Jurisdiction, kind: str, starts_at: dt.datetime, rng: random.Random, staff: User | None, language: str
) -> TrainingSession:
    online = rng.random() < 0.35
    title = "Neighborhood liaison training" if kind == TrainingSession.Kind.INITIAL else "Liaison refresher"
    return TrainingSession(
        jurisdiction=city,
        kind=kind,
        title=f"{title} ({'en español' if language == 'es' else 'online' if online else 'in person'})",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2 if kind == TrainingSession.Kind.INITIAL else 1),
        place="" if online else rng.choice(PLACES),
        online_url="https://meet.example.org/philly311-liaisons" if online else "",
        trainer=rng.choice(TRAINERS),
        capacity=SESSION_SIZE + 5,
        language=language,
        created_by=staff,
    )


def _trainings(
    city: Jurisdiction,
    liaisons: list[Liaison],
    staff: User | None,
    rng: random.Random,
    now: dt.datetime,
    refresher_months: int,
) -> tuple[int, int]:
    """Initial sessions that trained each liaison (trained_at is the session's end), refreshers completed
    on the anniversaries, and two upcoming sessions with the accepted liaisons registered."""
    groups: dict[tuple[str, str, int, int], list[tuple[Liaison, dt.datetime]]] = defaultdict(list)
    for liaison in liaisons:
        if liaison.trained_at is None:
            continue
        local = timezone.localtime(liaison.trained_at, city.zone)
        groups[
            (TrainingSession.Kind.INITIAL, "es" if liaison.language == "es" else "en", local.year, local.month)
        ].append((liaison, liaison.trained_at))
        # The refreshers completed: each anniversary up to the current due date.
        done = timezone.localdate(liaison.trained_at, city.zone)
        while liaison.refresher_due_on and _add_months(done, refresher_months) < liaison.refresher_due_on:
            done = _add_months(done, refresher_months)
            moment = city.midnight(done) + dt.timedelta(hours=18)
            if moment < now:
                groups[(TrainingSession.Kind.REFRESHER, "en", done.year, done.month)].append((liaison, moment))
    sessions: list[TrainingSession] = []
    members: list[list[tuple[Liaison, dt.datetime]]] = []
    for (kind, language, _year, _month), people in sorted(groups.items(), key=lambda item: item[0][2:] + item[0][:2]):
        people.sort(key=lambda pair: pair[1])
        for start in range(0, len(people), SESSION_SIZE):
            chunk = people[start : start + SESSION_SIZE]
            last = max(moment for _liaison, moment in chunk)
            length = dt.timedelta(hours=2 if kind == TrainingSession.Kind.INITIAL else 1)
            # An evening session (18:00, the city's time) on the day the last of them was trained.
            starts = min(city.midnight(timezone.localdate(last, city.zone)) + dt.timedelta(hours=18), now - length)
            session = _session(city, kind, starts, rng, staff, language)
            sessions.append(session)
            members.append(chunk)
    upcoming = [
        _session(
            city,
            TrainingSession.Kind.INITIAL,
            city.midnight(timezone.localdate(now, city.zone)) + dt.timedelta(days=days, hours=18),
            rng,
            staff,
            language,
        )
        for days, language in ((9, "en"), (16, "es"))
    ]
    sessions = TrainingSession.objects.bulk_create([*sessions, *upcoming])
    registrations: list[TrainingRegistration] = []
    certificates: dict[int, int] = defaultdict(int)
    for session, chunk in zip(sessions, members, strict=False):
        for liaison, moment in chunk:
            year = timezone.localdate(moment, city.zone).year
            certificates[year] += 1
            registrations.append(
                TrainingRegistration(
                    session=session,
                    liaison=liaison,
                    registered_at=session.starts_at - dt.timedelta(days=rng.uniform(3, 25)),
                    attended=True,
                    completed_at=session.ends_at,
                    certificate_number=f"NLP-{year}-{certificates[year]:06d}",
                )
            )
    waiting = [liaison for liaison in liaisons if liaison.status == Liaison.Status.ACCEPTED]
    for position, liaison in enumerate(waiting):
        session = sessions[-1] if liaison.language == "es" else sessions[-2]
        if position % 3 == 2:
            continue  # not everyone has signed up yet
        registrations.append(
            TrainingRegistration(
                session=session, liaison=liaison, registered_at=now - dt.timedelta(days=rng.uniform(1, 9))
            )
        )
    TrainingRegistration.objects.bulk_create(registrations)
    return len(sessions), len(registrations)


def _meetings(
    city: Jurisdiction,
    liaisons: list[Liaison],
    people: list[_Person],
    staff: User | None,
    rng: random.Random,
    now: dt.datetime,
) -> int:
    today = timezone.localdate(now, city.zone)
    meetings = []
    for index in range(14):
        neighborhood = rng.choice(people).neighborhoods[0]
        name, attendance = rng.choice(MEETINGS)
        meetings.append(
            CommunityMeeting(
                jurisdiction=city,
                neighborhood=neighborhood,
                name=f"{neighborhood.name} {name}",
                held_on=today - dt.timedelta(days=6 + index * 19 + rng.randint(0, 6)),
                place=rng.choice(PLACES),
                attendance=attendance + rng.randint(-10, 15),
                notes="Residents raised dumping behind the rec centre, two dark streetlights and potholes on the "
                "main avenue. 311 staff explained how liaisons can report on behalf of neighbors.",
                recorded_by=staff,
                created_at=now - dt.timedelta(days=index * 19 + 5),
            )
        )
    CommunityMeeting.objects.bulk_create(meetings)
    return len(meetings)


def _filings(
    city: Jurisdiction, liaisons: list[Liaison], people: list[_Person], rng: random.Random, now: dt.datetime
) -> int:
    """The demo history's requests of the `liaison` channel (about one in 50, `history.CHANNEL_MIX`) are the
    ones liaisons filed: each gets its LiaisonFiling, by a liaison of its neighborhood active at the time (or,
    for a problem across a boundary, any liaison active then). One query reads them, one bulk insert writes."""

    def active_at(liaison: Liaison, moment: dt.datetime) -> bool:
        return (
            liaison.trained_at is not None
            and liaison.trained_at < moment
            and (liaison.lapsed_at is None or liaison.lapsed_at > moment)
            and (liaison.withdrawn_at is None or liaison.withdrawn_at > moment)
        )

    serving: dict[int, list[Liaison]] = defaultdict(list)
    for liaison, person in zip(liaisons, people, strict=True):
        if liaison.trained_at is not None:
            for neighborhood in person.neighborhoods:
                serving[neighborhood.pk].append(liaison)
    everyone = [liaison for liaison in liaisons if liaison.trained_at is not None]
    meetings = {
        (meeting.neighborhood_id, meeting.held_on): meeting
        for meeting in CommunityMeeting.objects.filter(jurisdiction=city)
    }
    filed = (
        ServiceRequest.objects.filter(jurisdiction=city, channel=Channel.LIAISON)
        .order_by("pk")
        .values_list("pk", "neighborhood_id", "requested_at")
    )
    filings = []
    for pk, neighborhood_id, requested_at in filed.iterator(chunk_size=5_000):
        candidates = [liaison for liaison in serving.get(neighborhood_id, ()) if active_at(liaison, requested_at)]
        if not candidates:
            candidates = [
                liaison for liaison in rng.sample(everyone, min(40, len(everyone))) if active_at(liaison, requested_at)
            ]
        if not candidates:
            continue
        # A few liaisons file most: the first in the list weigh more.
        liaison = candidates[min(int(rng.expovariate(0.25)), len(candidates) - 1)]
        filings.append(
            LiaisonFiling(
                service_request_id=pk,
                liaison=liaison,
                meeting=meetings.get((neighborhood_id, timezone.localdate(requested_at, city.zone))),
                neighbour_consented_at=requested_at if rng.random() < 0.4 else None,
                filed_at=requested_at,
            )
        )
    LiaisonFiling.objects.bulk_create(filings, batch_size=2_000)
    latest: dict[int, dt.datetime] = {}
    for filing in filings:
        latest[filing.liaison_id] = max(filing.filed_at, latest.get(filing.liaison_id, filing.filed_at))
    for liaison in liaisons:
        moment = latest.get(liaison.pk)
        if moment is not None and (liaison.last_active_at is None or liaison.last_active_at < moment):
            liaison.last_active_at = moment
    Liaison.objects.bulk_update(
        [liaison for liaison in liaisons if liaison.pk in latest], ["last_active_at"], batch_size=1_000
    )
    return len(filings)


def _messages(
    city: Jurisdiction,
    liaisons: list[Liaison],
    people: list[_Person],
    staff: User | None,
    rng: random.Random,
    now: dt.datetime,
) -> int:
    """Past messages (the record only: their e-mails were sent long ago, so none is put in the outbox)."""
    messages = []
    for index, (subject, body) in enumerate(MESSAGES):
        sent_at = now - dt.timedelta(days=150 - index * 40 + rng.uniform(0, 5))
        active = [
            liaison
            for liaison in liaisons
            if liaison.trained_at is not None
            and liaison.trained_at < sent_at
            and (liaison.lapsed_at is None or liaison.lapsed_at > sent_at)
            and (liaison.withdrawn_at is None or liaison.withdrawn_at > sent_at)
        ]
        messages.append(
            ProgrammeMessage(
                jurisdiction=city, subject=subject, body=body, sent_by=staff, sent_at=sent_at, recipients=len(active)
            )
        )
    ProgrammeMessage.objects.bulk_create(messages)
    return len(messages)


def delete_programme(city: Jurisdiction) -> None:
    """Everything of the demo's program, with the demo liaisons' accounts (before the city is deleted:
    the program's rows keep the city from being deleted under them)."""
    with transaction.atomic():
        LiaisonFiling.objects.filter(liaison__jurisdiction=city).delete()
        TrainingRegistration.objects.filter(session__jurisdiction=city).delete()
        TrainingSession.objects.filter(jurisdiction=city).delete()
        CommunityMeeting.objects.filter(jurisdiction=city).delete()
        ProgrammeMessage.objects.filter(jurisdiction=city).delete()
        user_ids = list(Liaison.objects.filter(jurisdiction=city).values_list("user_id", flat=True))
        # The demo's own liaison accounts go (their role rows with them); any other account keeps itself but
        # loses the liaison role, through the one writer of it.
        for user in User.objects.filter(pk__in=user_ids).exclude(username__startswith=USERNAME_PREFIX):
            set_liaison_neighborhoods(user, [])
        Liaison.objects.filter(jurisdiction=city).delete()
        LiaisonApplication.objects.filter(jurisdiction=city).delete()
        User.objects.filter(pk__in=user_ids, username__startswith=USERNAME_PREFIX).delete()
