"""The demo's Youth Engagement Program and pilot assessment, shaped like Philly311's own accounts (../shared/seeds,
001: five weekly sessions at a school with partner organisations, a field walk after the first session that
filed 25 requests, graffiti most and illegal dumping next, a survey before and after: "only two students, 7%,
knew what Philly311 was, after 96%", 29% → 96% knew about the Junior Block Captains, 29% → 35% wanted to
become one; certificates signed at graduation; 004: a new technology assessed by the staff who use it, before
and after, on six dimensions, with focus groups).

Two finished cohorts and a running one (started about two weeks ago: sessions 1 and 2 held, the before survey
answered, its walk's requests still being worked), and one finished pilot with twelve members of staff.

Deterministic (one seeded `random.Random`; only the secret tokens and certificate codes are random, as a
real program's must be) and written in bulk, not through the program's services one by one (those e-mail).
The survey forms are the program's own defaults (`survey_forms.ensure_youth_survey`, `pilots.make_default_form`).

`create_youth_program(city)` does nothing when the city has a cohort or a pilot already, so a second run adds nothing;
`delete_youth_program(city)` removes it all (`delete_demo_city` calls it).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from civic311.catalogue.models import Department, Service
from civic311.catalogue.selectors import Answer as CatalogueAnswer
from civic311.catalogue.selectors import canned_answer, route, sla_due_at, validate_answers
from civic311.community.models import (
    AgeBand,
    Attendance,
    Cohort,
    CohortSession,
    ConsentMethod,
    FocusGroup,
    Participant,
    Partner,
    Phase,
    PilotAssessment,
    PilotInvitation,
    PilotParticipant,
    WalkReport,
    YouthSettings,
    YouthSurveyResponse,
)
from civic311.community.services.pilots import make_default_form, new_token
from civic311.community.services.survey_forms import ensure_youth_survey
from civic311.community.services.youth_certificates import new_code
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.jurisdictions.selectors import h3_cell, neighborhood_id_at
from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, Contact, HistoryEntry, ServiceRequest
from civic311.service_requests.services import RESIDENT, SYSTEM, allocate_tracking_numbers
from civic311.surveys.models import Answer, Instrument, InstrumentVersion, Question, Response

from . import texts
from .places import NEIGHBORHOODS

T = TypeVar("T")

SIGNATORY = ("Alicia Grant", "Chief Customer Officer, Philly311")
SECOND_SIGNATORY = ("Jordan Ellis", "Mayor of Philadelphia")  # invented, like every demo name

# (name, website, contact, e-mail, phone, notes): the seed's partners, with invented contacts.
PARTNERS = (
    (
        "Education Works",
        "https://educationworks.example.org",
        "Janelle Whitman",
        "jwhitman@example.org",
        "+12155550141",
        "Runs the summer program at the school; its site coordinator supervises every session.",
    ),
    (
        "Police Explorers",
        "",
        "Officer Raymond Castillo",
        "rcastillo@example.org",
        "+12155550142",
        "Brings cadets and officers to the second session.",
    ),
    (
        "Junior Block Captains",
        "",
        "Tanya Brooks",
        "tbrooks@example.org",
        "+12155550143",
        "Takes applications at the fourth session.",
    ),
    (
        "After School Activities Partnerships",
        "https://asap.example.org",
        "Marcus Lee",
        "mlee@example.org",
        "+12155550144",
        "",
    ),
    (
        "Mayor's Office of Civic Engagement and Volunteerism",
        "",
        "Sofia Alvarez",
        "salvarez@example.org",
        "+12155550145",
        "Presents volunteering (Waste Watchers) at graduation.",
    ),
    (
        "Youth Commission",
        "",
        "Devin Price",
        "dprice@example.org",
        "+12155550146",
        "Youth Commissioners run a leadership activity at the fourth session.",
    ),
)
EDUCATION_WORKS, POLICE_EXPLORERS, JUNIOR_BLOCK_CAPTAINS, ASAP, MOCEV, YOUTH_COMMISSION = range(6)

# (topic, field walk, presenting partners, presenting departments, other presenters): five weekly sessions.
SESSIONS = (
    (
        "What 311 is, and reporting with the Philly311 mobile app",
        True,
        (EDUCATION_WORKS,),
        ("Philly311 Contact Center",),
        "",
    ),
    ("The Police Explorers Cadet Program", False, (POLICE_EXPLORERS,), ("Police Department",), ""),
    (
        "Mural Arts and graffiti: keeping a block clean",
        True,
        (),
        ("Community Life Improvement Program",),
        "Mural Arts Philadelphia",
    ),
    ("The Junior Block Captains and the Youth Commission", False, (JUNIOR_BLOCK_CAPTAINS, YOUTH_COMMISSION), (), ""),
    ("Graduation: volunteering, and certificates", False, (MOCEV, EDUCATION_WORKS, ASAP), (), ""),
)


@dataclass(frozen=True)
class _CohortPlan:
    site: str
    kind: str
    address: str
    neighborhood: str  # slug
    lat: float
    long: float
    weeks_ago: int  # first session; 0 = the running cohort (13 days ago)
    participants: int
    walk_requests: tuple[int, ...]  # requests filed on each walk session (in SESSIONS order of the walks)


COHORTS = (
    _CohortPlan(
        "Penn Treaty School",
        Cohort.SiteKind.SCHOOL,
        "600 E Thompson St",
        "fishtown",
        39.9693,
        -75.1312,
        34,
        29,
        (25, 6),
    ),
    _CohortPlan(
        "Harding Middle School",
        Cohort.SiteKind.SCHOOL,
        "2000 Wakeling St",
        "frankford",
        40.0205,
        -75.0815,
        21,
        28,
        (26, 7),
    ),
    _CohortPlan(
        "Olney Recreation Center",
        Cohort.SiteKind.RECREATION_CENTRE,
        "100 E Godfrey Ave",
        "olney",
        40.0450,
        -75.1195,
        0,
        26,
        (24,),
    ),
)

# The program's default youth survey (`survey_forms.ensure_youth_survey`) answered like the seed: the share
# answering yes before and after.
YES_SHARES = {
    "knows_311": (0.07, 0.96),
    "knows_jbc": (0.29, 0.96),
    "wants_jbc": (0.29, 0.35),
}
# "How comfortable reporting with the app" (1 to 5): after the program 96% "felt comfortable using our app".
SCALE_WEIGHTS = {Phase.BEFORE: (8, 8, 6, 3, 1), Phase.AFTER: (0, 0, 1, 9, 16)}
# "What does city government do?": each choice's chance before and after.
CITY_DOES = {
    Phase.BEFORE: {"trash": 0.75, "snow": 0.5, "schools": 0.55, "police": 0.6, "parks": 0.35},
    Phase.AFTER: {"trash": 0.95, "snow": 0.85, "schools": 0.6, "police": 0.85, "parks": 0.8},
}
# "What would you like to learn?": some write nothing (the question is optional).
LEARN_ANSWERS = {
    Phase.BEFORE: (
        "How I can make a difference in my community.",
        "What city government does.",
        "Who picks up the trash and plows the snow.",
        "How to get the lot on my street cleaned.",
        "How to become a police officer.",
        "Why the street lights on my block are always out.",
        "How to stop people from dumping in the alley.",
        "What the mayor does all day.",
        "How to help my grandmother report things.",
        "I don't know yet.",
    ),
    Phase.AFTER: (
        "How to use the app to report graffiti.",
        "That we can join the Youth Commission.",
        "More about the Police Explorers.",
        "How the city fixes what we report.",
        "How to sign up for Waste Watchers.",
        "How to start a Junior Block Captain team on my block.",
        "More about murals and who paints them.",
        "How long it takes to clean up dumping.",
        "How to volunteer at the marathon.",
        "How to get a job with the city.",
    ),
}
LEARN_ANSWERED = {Phase.BEFORE: 0.6, Phase.AFTER: 0.5}
KID_NAMES = (
    "Aaliyah",
    "Jayden",
    "Mia",
    "Xavier",
    "Sofia",
    "Malik",
    "Ava",
    "Luis",
    "Nia",
    "Ethan",
    "Zoe",
    "Andre",
    "Kayla",
    "Tariq",
    "Emily",
    "Omar",
    "Destiny",
    "Brandon",
    "Leilani",
    "Isaiah",
    "Camila",
    "Darnell",
    "Hana",
    "Marcus",
    "Yasmin",
    "Kevin",
    "Imani",
    "Diego",
    "Thao",
    "Jalen",
    "Gabriela",
    "Tyrese",
    "Amira",
    "Elijah",
    "Lin",
)
INITIALS = "ABCDEFGHJKLMNOPRSTVWY"
# (service code, weight, what a participant wrote): graffiti most, then illegal dumping, then the rest.
WALK_SERVICES = (
    ("SR-CL01", 10, ("Tags all over the wall by the corner store.", "Graffiti on the garage door across from school.")),
    ("SR-ST02", 6, ("Tires dumped in the alley behind the school.", "Bags of trash and a couch dumped on the corner.")),
    ("SR-CL02", 2, ("The empty lot is full of trash and weeds.",)),
    ("SR-ST04", 2, ("The street light on the corner is out.",)),
    ("SR-ST01", 1, ("Big pothole at the crosswalk.",)),
    ("SR-PR08", 1, ("A tree branch is hanging over the sidewalk.",)),
)
# The three walks' graffiti session (the third) reports graffiti only.
GRAFFITI_WALK = (("SR-CL01", 1, WALK_SERVICES[0][2]),)
# Answers to each service's own questions (the catalogue's keys; checked by `catalogue.validate_answers`).
WALK_ANSWERS: dict[str, dict[str, tuple[CatalogueAnswer, ...]]] = {
    "SR-CL01": {"surface": ("building_wall", "garage_door", "fence", "street_furniture"), "offensive": ("no",)},
    "SR-ST02": {
        "material": (["household_trash"], ["tires"], ["furniture", "household_trash"]),
        "amount": ("few_items", "truckload"),
        "seen_dumping": ("no",),
    },
    "SR-CL02": {"problems": (["trash"], ["high_weeds", "trash"], ["dumping"]), "fenced": ("no", "unknown")},
    "SR-ST04": {"problem": ("out", "flickering")},
    "SR-ST01": {"defect_type": ("pothole",), "gas_smell": ("no",)},
    "SR-PR08": {"request_type": ("hanging_limb", "fallen"), "blocking": ("sidewalk",)},
}

PILOT = {
    "name": "CRM upgrade",
    "slug": "crm-upgrade",
    "technology": "The upgraded CRM: shared request notes and real-time status between the contact center and "
    "departments",
    "goals": "Departments and the contact center see the same request, with its notes, as it changes; fewer "
    "call-backs to ask where a request stands; more requests closed on time.",
}
# The six dimensions (seed 004), code → (mean change, spread of the change): most improve, the ease of the job
# is worse for some while they learn the new screens.
DIMENSIONS = {
    "productivity": (0.8, 0.8),
    "processes": (0.6, 0.8),
    "communication": (1.1, 0.7),
    "organization": (0.4, 0.8),
    "ease": (-0.3, 0.9),
    "impact": (0.7, 0.7),
}
PILOT_COMMENTS = {
    ("productivity", Phase.BEFORE): (
        "I spend a lot of time calling departments to find out where a request stands.",
        "Too many screens to get one answer.",
        "Half my calls are residents asking for an update I cannot see.",
    ),
    ("productivity", Phase.AFTER): (
        "I can answer 'where is my request' without putting the caller on hold.",
        "Fewer call-backs now.",
        "Status calls are shorter: the latest note is right there.",
    ),
    ("processes", Phase.BEFORE): (
        "Every department updates requests differently.",
        "Transfers between departments get lost.",
    ),
    ("processes", Phase.AFTER): (
        "Closing notes are consistent now.",
        "The transfer steps are clearer.",
        "Some departments still close without a note.",
    ),
    ("communication", Phase.BEFORE): (
        "We hear about closures from the resident before the department tells us.",
        "I e-mail the department and wait days for an answer.",
    ),
    ("communication", Phase.AFTER): (
        "Shared notes mean I see what the crew wrote.",
        "The department's notes show up as soon as they are saved.",
        "I no longer e-mail departments for updates.",
    ),
    ("organization", Phase.BEFORE): (
        "Work is split between the old system and e-mail.",
        "Nobody knows who owns a transferred request.",
    ),
    ("organization", Phase.AFTER): (
        "Still two places for some departments that are not on it yet.",
        "The queue by department helps our supervisors.",
    ),
    ("ease", Phase.BEFORE): (
        "The old screens are slow but I know them by heart.",
        "Too many clicks, but familiar.",
    ),
    ("ease", Phase.AFTER): (
        "The new layout took a few weeks to get used to.",
        "Search is harder to find than it was.",
        "Much easier once you learn the shortcuts.",
        "The training was too short for the new screens.",
    ),
    ("impact", Phase.BEFORE): (
        "Residents are frustrated when we cannot tell them anything.",
        "Repeat callers make the day long.",
    ),
    ("impact", Phase.AFTER): (
        "Callers are calmer when I can read them the latest note.",
        "Fewer angry repeat callers.",
        "Better days overall, once the first weeks were over.",
    ),
}
FOCUS_GROUPS = (
    (
        Phase.BEFORE,
        10,
        6,
        (
            "Agents described calling departments for status several times a day; supervisors asked for one "
            "place for request notes. Concerns: training time, and whether departments will keep notes up to date."
        ),
    ),
    (
        Phase.AFTER,
        -5,
        7,
        (
            "Everyone uses the shared notes; status calls to departments dropped. The new layout slowed some "
            "agents down in the first weeks and search is hard to find. Asks: a shortcut to search, and the two "
            "remaining departments on the new system before the rollout."
        ),
    ),
)
FACILITATOR = "Renee Castillo, customer experience team"


@dataclass
class YouthStats:
    cohorts: int = 0
    participants: int = 0
    sessions: int = 0
    survey_responses: int = 0
    walk_requests: int = 0
    certificates: int = 0
    pilot_participants: int = 0
    pilot_responses: int = 0
    focus_groups: int = 0


def has_youth_program(city: Jurisdiction) -> bool:
    """Whether the city runs the program or a pilot already (the demo then adds neither)."""
    return (
        Cohort.objects.filter(jurisdiction=city).exists() or PilotAssessment.objects.filter(jurisdiction=city).exists()
    )


def _community_staff(city: Jurisdiction) -> User | None:
    return next(
        (
            user
            for user in User.objects.filter(department__jurisdiction=city).order_by("username")
            if roles.may_run_community_programmes(user)
        ),
        None,
    )


def _shared_out(items: Sequence[T], weights: Sequence[float], count: int, rng: random.Random) -> list[T]:
    """`count` items in proportion to their weights (largest remainders round up), in a random order."""
    total = sum(weights)
    exact = [count * weight / total for weight in weights]
    counts = [int(share) for share in exact]
    for index in sorted(range(len(items)), key=lambda i: counts[i] - exact[i])[: count - sum(counts)]:
        counts[index] += 1
    shared = [item for item, times in zip(items, counts, strict=True) for _time in range(times)]
    rng.shuffle(shared)
    return shared


def _season(day: dt.date) -> str:
    return ("Winter", "Spring", "Summer", "Fall")[(day.month % 12) // 3]


def _thursday_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 3) % 7)


def create_youth_program(city: Jurisdiction, *, seed: int = 311, now: dt.datetime | None = None) -> YouthStats:
    """The cohorts and the pilot, once (returns empty stats when the city has either already)."""
    stats = YouthStats()
    if has_youth_program(city):
        return stats
    now = now or timezone.now()
    rng = random.Random(seed)
    staff = _community_staff(city)
    with transaction.atomic():
        YouthSettings.objects.get_or_create(jurisdiction=city)
        partners = [
            Partner.objects.get_or_create(
                jurisdiction=city,
                name=name,
                defaults={
                    "website": website,
                    "contact_name": contact,
                    "contact_email": email,
                    "contact_phone": phone,
                    "notes": notes,
                },
            )[0]
            for name, website, contact, email, phone, notes in PARTNERS
        ]
        instrument = ensure_youth_survey(city, now=now)
        version = instrument.versions.filter(published_at__isnull=False).order_by("-number").first()
        if version is None:  # the city's own survey has no published version: nothing to pin
            return stats
        questions = {question.code: question for question in version.questions.all()}
        departments = {department.name: department for department in Department.objects.filter(jurisdiction=city)}
        for plan in COHORTS:
            _cohort(city, plan, partners, departments, version, questions, staff, rng, now, stats)
        _pilot(city, staff, rng, now, stats)
    return stats


def _cohort(
    city: Jurisdiction,
    plan: _CohortPlan,
    partners: list[Partner],
    departments: dict[str, Department],
    version: InstrumentVersion,
    questions: dict[str, Question],
    staff: User | None,
    rng: random.Random,
    now: dt.datetime,
    stats: YouthStats,
) -> None:
    zone = city.zone
    today = timezone.localdate(now, zone)
    running = plan.weeks_ago == 0
    first_day = (
        today - dt.timedelta(days=13) if running else _thursday_before(today - dt.timedelta(weeks=plan.weeks_ago))
    )
    days = [first_day + dt.timedelta(weeks=week) for week in range(len(SESSIONS))]
    neighborhood = Neighborhood.objects.filter(jurisdiction=city, slug=plan.neighborhood).first()
    ended = days[-1] < today
    cohort = Cohort.objects.create(
        jurisdiction=city,
        name=f"{_season(first_day)} {first_day.year} at {plan.site}",
        slug=f"{plan.site.split()[0].lower()}-{_season(first_day).lower()}-{first_day.year}",
        site_name=plan.site,
        site_kind=plan.kind,
        site_address=f"{plan.address}, Philadelphia",
        neighborhood=neighborhood,
        starts_on=days[0],
        ends_on=days[-1],
        coordinator=staff,
        sessions_to_complete=4,
        survey=version.instrument,
        before_version=version,
        after_version=version if ended else None,
        signatory_name=SIGNATORY[0],
        signatory_title=SIGNATORY[1],
        second_signatory_name=SECOND_SIGNATORY[0],
        second_signatory_title=SECOND_SIGNATORY[1],
        created_by=staff,
        created_at=city.midnight(days[0] - dt.timedelta(days=30)) + dt.timedelta(hours=14),
        # The guardians' contacts go YouthSettings' 30 days after the last day (the nightly job's mark).
        guardian_contacts_erased_at=(
            city.midnight(days[-1] + dt.timedelta(days=31)) + dt.timedelta(hours=3) if ended else None
        ),
    )
    cohort.partners.set(partners)
    stats.cohorts += 1

    # --- sessions: 10:00 to 13:00 on the day, presenters as in the seed --------------------------------------
    CohortSession.objects.bulk_create(
        [
            CohortSession(
                cohort=cohort,
                number=number,
                starts_at=city.midnight(day) + dt.timedelta(hours=10),
                ends_at=city.midnight(day) + dt.timedelta(hours=13),
                topic=topic,
                other_presenters=others,
                has_field_walk=walk,
            )
            for number, (day, (topic, walk, _partners, _departments, others)) in enumerate(
                zip(days, SESSIONS, strict=True), start=1
            )
        ]
    )
    sessions = list(CohortSession.objects.filter(cohort=cohort).order_by("number"))
    by_partner = CohortSession.presenting_partners.through
    by_department = CohortSession.presenting_departments.through
    by_partner.objects.bulk_create(
        [
            by_partner(cohortsession_id=session.pk, partner_id=partners[index].pk)
            for session, spec in zip(sessions, SESSIONS, strict=True)
            for index in spec[2]
        ]
    )
    by_department.objects.bulk_create(
        [
            by_department(cohortsession_id=session.pk, department_id=departments[name].pk)
            for session, spec in zip(sessions, SESSIONS, strict=True)
            for name in spec[3]
            if name in departments
        ]
    )
    stats.sessions += len(sessions)
    held = [session for session in sessions if session.ends_at <= now]

    # --- participants: first name and last initial, mostly 11 to 13, consent on the paper form ------------------
    rows_to_add = []
    ages = _shared_out(AgeBand.values, (2, 20, 5, 0), plan.participants, rng)
    for name, age_band in zip(rng.sample(KID_NAMES, plan.participants), ages, strict=True):
        consented_on = days[0] - dt.timedelta(days=rng.randint(3, 20))
        rows_to_add.append(
            Participant(
                cohort=cohort,
                first_name=name,
                last_initial=rng.choice(INITIALS),
                age_band=age_band,
                guardian_name=f"{rng.choice(texts.FIRST_NAMES)} {rng.choice(texts.LAST_NAMES)}",
                guardian_contact="" if ended else f"+1215555{rng.randint(2000, 9999)}",
                consent_method=rng.choices(ConsentMethod.values, weights=(22, 3, 1, 1))[0],
                consented_on=consented_on,
                consent_recorded_by=staff,
                created_at=city.midnight(consented_on) + dt.timedelta(hours=15),
            )
        )
    Participant.objects.bulk_create(rows_to_add)
    participants = list(Participant.objects.filter(cohort=cohort).order_by("pk"))
    stats.participants += len(participants)

    # --- attendance: most come every week, two drop out after the second session --------------------------------
    reliability = {participant.pk: rng.uniform(0.75, 1.0) for participant in participants}
    dropouts = {participant.pk for participant in rng.sample(participants, 2)}
    present: dict[int, set[int]] = {session.pk: set() for session in held}
    rows = []
    for session in held:
        for participant in participants:
            here = session.number == 1 or (
                not (participant.pk in dropouts and session.number > 2) and rng.random() < reliability[participant.pk]
            )
            if here:
                present[session.pk].add(participant.pk)
            rows.append(
                Attendance(
                    session=session,
                    participant=participant,
                    present=here,
                    recorded_by=staff,
                    recorded_at=session.ends_at,
                )
            )
    Attendance.objects.bulk_create(rows)

    # --- the surveys: on paper at the first session, on their phones at graduation ------------------------------
    phases = [(Phase.BEFORE, held[0], "paper")]
    if ended:
        phases.append((Phase.AFTER, held[-1], "web"))
    # Who answers yes: the most engaged first, so a yes before is mostly a yes after.
    engagement = {participant.pk: rng.random() for participant in participants}
    for phase, session, channel in phases:
        answering = [participant for participant in participants if participant.pk in present[session.pk]]
        yes_by_code: dict[str, set[int]] = {}
        for code, shares in YES_SHARES.items():
            share = shares[0] if phase == Phase.BEFORE else shares[1]
            ranked = sorted(answering, key=lambda p: engagement[p.pk] + rng.uniform(0, 0.6), reverse=True)
            yes_by_code[code] = {p.pk for p in ranked[: round(share * len(answering))]}
        moment = session.starts_at + dt.timedelta(minutes=15 if phase == Phase.BEFORE else 150)
        responses = Response.objects.bulk_create(
            [
                Response(
                    jurisdiction=city,
                    version=version,
                    channel=channel,
                    outcome=Response.Outcome.COMPLETED,
                    started_at=moment,
                    finished_at=moment + dt.timedelta(minutes=rng.randint(4, 12)),
                )
                for _participant in answering
            ]
        )
        answers = []
        for participant, response in zip(answering, responses, strict=True):
            values: dict[str, object] = {code: participant.pk in yes for code, yes in yes_by_code.items()}
            values["app_comfort"] = rng.choices(range(1, 6), weights=SCALE_WEIGHTS[phase])[0]
            values["city_does"] = [key for key, chance in CITY_DOES[phase].items() if rng.random() < chance] or [
                "dont_know"
            ]
            wrote = rng.random() < LEARN_ANSWERED[phase]
            values["want_to_learn"] = rng.choice(LEARN_ANSWERS[phase]) if wrote else ""
            answers += [
                Answer(response=response, question=questions[code], value=value)
                for code, value in values.items()
                if code in questions and value != ""
            ]
        Answer.objects.bulk_create(answers)
        YouthSurveyResponse.objects.bulk_create(
            [
                YouthSurveyResponse(
                    participant=participant,
                    phase=phase,
                    response=response,
                    entered_by=staff if channel == "paper" else None,
                )
                for participant, response in zip(answering, responses, strict=True)
            ]
        )
        stats.survey_responses += len(responses)

    # --- completion and certificates (finished cohorts: at graduation, signed) -----------------------------------
    if ended:
        graduation = held[-1].ends_at
        done = []
        for participant in participants:
            attended = sum(1 for session in held if participant.pk in present[session.pk])
            if attended >= cohort.sessions_to_complete:
                participant.completed_at = graduation
                participant.certificate_code = new_code()
                participant.certificate_issued_at = graduation - dt.timedelta(hours=1)
                done.append(participant)
        Participant.objects.bulk_update(done, ["completed_at", "certificate_code", "certificate_issued_at"])
        stats.certificates += len(done)

    # --- the field walks' requests ------------------------------------------------------------------------------
    walks = [session for session in held if session.has_field_walk]
    for session, count in zip(walks, plan.walk_requests, strict=False):
        kinds = WALK_SERVICES if session.number == 1 else GRAFFITI_WALK
        walkers = [participant for participant in participants if participant.pk in present[session.pk]]
        stats.walk_requests += _walk_requests(city, cohort, plan, session, walkers, kinds, count, rng, now)


def _walk_requests(
    city: Jurisdiction,
    cohort: Cohort,
    plan: _CohortPlan,
    session: CohortSession,
    walkers: list[Participant],
    kinds: tuple[tuple[str, int, tuple[str, ...]], ...],
    count: int,
    rng: random.Random,
    now: dt.datetime,
) -> int:
    """The requests filed from the participants' phones on the walk, each as the public form's intake would
    have filed it (routing, due date, a web contact, the opened entry), and worked since: most closed."""
    services = {
        service.code: service
        for service in Service.objects.filter(jurisdiction=city, code__in=[code for code, *_rest in kinds])
        .select_related("department", "jurisdiction")
        .prefetch_related("routing_rules", "attributes__values")
    }
    # Shared out by weight (graffiti most, then dumping, as the seed counted them), in a random order.
    shared = _shared_out(kinds, [weight for _code, weight, _texts in kinds], count, rng)
    chosen = [kind for kind in shared if kind[0] in services]
    if not chosen:
        return 0
    workers: dict[int, list[int]] = {}
    for user_id, department_id in (
        User.objects.filter(department__jurisdiction=city, is_active=True)
        .order_by("pk")
        .values_list("pk", "department_id")
    ):
        workers.setdefault(department_id, []).append(user_id)
    slugs = dict(Neighborhood.objects.filter(jurisdiction=city).values_list("pk", "slug"))
    zipcodes = {place.slug: place.zipcodes for place in NEIGHBORHOODS}
    numbers = allocate_tracking_numbers(city, len(chosen))
    number, street = plan.address.split(" ", 1)
    requests: list[ServiceRequest] = []
    histories: list[list[HistoryEntry]] = []
    filers: list[Participant | None] = []
    for offset, (code, _weight, descriptions) in enumerate(chosen):
        service = services[code]
        lat = plan.lat + rng.gauss(0, 0.0015)
        long = plan.long + rng.gauss(0, 0.002)
        neighborhood_id = neighborhood_id_at(city, lat, long)
        if neighborhood_id is None:  # off the map: where the school is
            lat, long = plan.lat, plan.long
            neighborhood_id = neighborhood_id_at(city, lat, long)
        raw = {key: rng.choice(options) for key, options in WALK_ANSWERS.get(code, {}).items()}
        answers, errors = validate_answers(service, raw)
        if errors or canned_answer(service, answers) is not None:
            continue
        routing = route(service, neighborhood_id, answers)
        department = routing.department
        requested_at = session.starts_at + dt.timedelta(minutes=70 + rng.randint(0, 80))
        entries = [
            HistoryEntry(
                kind=HistoryEntry.Kind.OPENED,
                is_public=True,
                actor_label=RESIDENT,
                to_status=Status.NEW,
                created_at=requested_at,
            )
        ]
        entries += [
            HistoryEntry(
                kind=HistoryEntry.Kind.HAZARD, is_public=False, actor_label=SYSTEM, text=alert, created_at=requested_at
            )
            for alert in routing.hazard_alerts
        ]
        status, closed_at, notes, assignee_id, updated_at = Status.NEW, None, "", None, requested_at
        staff = workers.get(department.pk, [])
        worker = rng.choice(staff) if staff else None
        takes = rng.lognormvariate(1.6, 0.7)  # days; median about 5, most within the SLA
        started = requested_at + dt.timedelta(hours=rng.uniform(2, 30))
        if started < now:
            # Taken on by a member of the department's staff (or acknowledged, where it has nobody).
            moved_to = Status.IN_PROGRESS if worker else Status.ACKNOWLEDGED
            entries.append(
                HistoryEntry(
                    kind=HistoryEntry.Kind.STATUS,
                    is_public=True,
                    actor_id=worker,
                    actor_label="" if worker else SYSTEM,
                    from_status=status,
                    to_status=moved_to,
                    created_at=started,
                )
            )
            status, updated_at, assignee_id = moved_to, started, worker
        closes = max(requested_at + dt.timedelta(days=takes), started + dt.timedelta(hours=1))
        if closes < now and rng.random() < 0.95:
            notes = texts.NOT_FOUND if rng.random() < 0.08 else texts.RESOLVED
            entries.append(
                HistoryEntry(
                    kind=HistoryEntry.Kind.STATUS,
                    is_public=True,
                    actor_id=worker,
                    actor_label="" if worker else SYSTEM,
                    from_status=status,
                    to_status=Status.CLOSED,
                    text=notes,
                    created_at=closes,
                )
            )
            status, updated_at, closed_at = Status.CLOSED, closes, closes
        place_zipcodes = zipcodes.get(slugs.get(neighborhood_id or 0, ""), ()) or ("",)
        requests.append(
            ServiceRequest(
                jurisdiction=city,
                tracking_number=str(numbers[offset]),
                service=service,
                department=department,
                channel=Channel.WEB,  # the walk's page in the participants' phones (field_walks.WALK_CHANNEL)
                status=status,
                description=rng.choice(descriptions),
                address=f"{max(1, int(number) + rng.randint(-6, 6) * 20)} {street}",
                zipcode=rng.choice(place_zipcodes),
                lat=lat,
                long=long,
                neighborhood_id=neighborhood_id,
                h3_cell=h3_cell(lat, long),
                attributes=answers,
                assignee_id=assignee_id,
                hazard=bool(routing.hazard_alerts),
                requested_at=requested_at,
                updated_at=updated_at,
                expected_at=sla_due_at(service, requested_at),
                closed_at=closed_at,
                status_notes=notes,
            )
        )
        histories.append(entries)
        filers.append(rng.choice(walkers) if walkers else None)
    ServiceRequest.objects.bulk_create(requests)
    made = {
        row.tracking_number: row
        for row in ServiceRequest.objects.filter(
            jurisdiction=city, tracking_number__in=[request.tracking_number for request in requests]
        )
    }
    entries_to_write = []
    for request, entries in zip(requests, histories, strict=True):
        for entry in entries:
            entry.service_request = made[request.tracking_number]
            entries_to_write.append(entry)
    HistoryEntry.objects.bulk_create(entries_to_write)
    # The public form's intake records each as a contact of the web channel, with no agent.
    Contact.objects.bulk_create(
        [
            Contact(
                jurisdiction=city,
                channel=Channel.WEB,
                outcome=Contact.Outcome.SERVICE_REQUEST,
                service_id=request.service_id,
                service_request=made[request.tracking_number],
                started_at=request.requested_at,
                ended_at=request.requested_at,
            )
            for request in requests
        ]
    )
    WalkReport.objects.bulk_create(
        [
            WalkReport(
                service_request=made[request.tracking_number],
                session=session,
                participant=filer,
                filed_at=request.requested_at,
            )
            for request, filer in zip(requests, filers, strict=True)
        ]
    )
    return len(requests)


def _pilot(city: Jurisdiction, staff: User | None, rng: random.Random, now: dt.datetime, stats: YouthStats) -> None:
    """A finished pilot of the CRM upgrade: twelve members of staff, before and after on the six dimensions."""
    today = timezone.localdate(now, city.zone)
    starts_on = today - dt.timedelta(weeks=16)
    ends_on = today - dt.timedelta(weeks=4)
    form = make_default_form(city, str(PILOT["slug"]), str(PILOT["name"]), now=now)
    version = form.versions.get(number=1)
    questions = {question.code: question for question in version.questions.all()}
    pilot = PilotAssessment.objects.create(
        jurisdiction=city,
        name=str(PILOT["name"]),
        slug=str(PILOT["slug"]),
        technology=str(PILOT["technology"]),
        goals=str(PILOT["goals"]),
        starts_on=starts_on,
        ends_on=ends_on,
        form=version.instrument,
        before_version=version,
        after_version=version,
        created_by=staff,
        created_at=city.midnight(starts_on - dt.timedelta(days=14)) + dt.timedelta(hours=11),
    )
    # The contact center's people (but whoever runs the pilot) and a few department staff: twelve in all.
    people = [
        user
        for user in User.objects.filter(department__jurisdiction=city, is_active=True)
        .select_related("department")
        .order_by("username")
        if user != staff
    ]
    center = [user for user in people if user.department and user.department.name == "Philly311 Contact Center"]
    others = [user for user in people if user not in center]
    chosen = (center + rng.sample(others, min(len(others), max(0, 12 - len(center)))))[:12]
    added_at = city.midnight(starts_on - dt.timedelta(days=7)) + dt.timedelta(hours=10)
    PilotParticipant.objects.bulk_create(
        [PilotParticipant(assessment=pilot, user=user, added_at=added_at) for user in chosen]
    )
    members = list(PilotParticipant.objects.filter(assessment=pilot).order_by("pk"))
    stats.pilot_participants = len(members)

    before_scores = {
        (member.pk, code): rng.choices(range(1, 6), weights=(2, 5, 6, 3, 1))[0]
        for member in members
        for code in DIMENSIONS
    }
    sent = {
        Phase.BEFORE: city.midnight(starts_on - dt.timedelta(days=3)) + dt.timedelta(hours=9),
        Phase.AFTER: city.midnight(ends_on + dt.timedelta(days=1)) + dt.timedelta(hours=9),
    }
    silent = rng.choice(members).pk  # one never answered the after form
    for phase in (Phase.BEFORE, Phase.AFTER):
        answering = [member for member in members if phase == Phase.BEFORE or member.pk != silent]
        moments = {member.pk: sent[phase] + dt.timedelta(hours=rng.uniform(1, 120)) for member in answering}
        responses = Response.objects.bulk_create(
            [
                Response(
                    jurisdiction=city,
                    version=version,
                    channel="web",
                    outcome=Response.Outcome.COMPLETED,
                    started_at=moments[member.pk] - dt.timedelta(minutes=6),
                    finished_at=moments[member.pk],
                )
                for member in answering
            ]
        )
        answers = []
        for member, response in zip(answering, responses, strict=True):
            for code, (change, spread) in DIMENSIONS.items():
                score = before_scores[(member.pk, code)]
                if phase == Phase.AFTER:
                    score = min(5, max(1, score + round(rng.gauss(change, spread))))
                if code in questions:
                    answers.append(Answer(response=response, question=questions[code], value=score))
                comment_code = f"{code}_comment"
                if comment_code in questions and rng.random() < 0.3:
                    comment = rng.choice(PILOT_COMMENTS[(code, phase)])
                    answers.append(Answer(response=response, question=questions[comment_code], value=comment))
        Answer.objects.bulk_create(answers)
        by_member = dict(zip([member.pk for member in answering], responses, strict=True))
        PilotInvitation.objects.bulk_create(
            [
                PilotInvitation(
                    participant=member,
                    phase=phase,
                    token=new_token(),
                    sent_at=sent[phase],
                    response=by_member.get(member.pk),
                    answered_at=moments.get(member.pk),
                )
                for member in members
            ]
        )
        stats.pilot_responses += len(responses)

    for phase, day_offset, size, notes in FOCUS_GROUPS:
        held_on = (starts_on if phase == Phase.BEFORE else ends_on) + dt.timedelta(days=day_offset)
        group = FocusGroup.objects.create(
            assessment=pilot,
            held_on=held_on,
            phase=phase,
            facilitator=FACILITATOR,
            notes=notes,
            recorded_by=staff,
            recorded_at=city.midnight(held_on) + dt.timedelta(hours=16),
        )
        group.attendees.set(rng.sample(members, min(size, len(members))))
        stats.focus_groups += 1


def delete_youth_program(city: Jurisdiction) -> None:
    """Every cohort, partner and pilot of the city, with their survey answers and the walks' requests (before
    the city is deleted: their rows keep the city and its surveys from being deleted under them)."""
    with transaction.atomic():
        response_ids = list(
            YouthSurveyResponse.objects.filter(participant__cohort__jurisdiction=city).values_list(
                "response_id", flat=True
            )
        ) + list(
            PilotInvitation.objects.filter(
                participant__assessment__jurisdiction=city, response__isnull=False
            ).values_list("response_id", flat=True)
        )
        request_ids = list(
            WalkReport.objects.filter(session__cohort__jurisdiction=city).values_list("service_request_id", flat=True)
        )
        WalkReport.objects.filter(session__cohort__jurisdiction=city).delete()
        Cohort.objects.filter(jurisdiction=city).delete()  # sessions, participants, attendance, survey links
        Partner.objects.filter(jurisdiction=city).delete()
        YouthSettings.objects.filter(jurisdiction=city).delete()
        form_ids = list(PilotAssessment.objects.filter(jurisdiction=city).values_list("form_id", flat=True))
        PilotAssessment.objects.filter(jurisdiction=city).delete()  # participants, invitations, focus groups
        Answer.objects.filter(response_id__in=response_ids).delete()
        Response.objects.filter(pk__in=response_ids).delete()
        # Each pilot's own feedback form goes with it once nothing else uses or answered it.
        Instrument.objects.filter(pk__in=form_ids, slug__startswith="pilot-").exclude(
            versions__responses__isnull=False
        ).delete()
        Contact.objects.filter(service_request_id__in=request_ids).delete()
        ServiceRequest.objects.filter(pk__in=request_ids).delete()
