"""Helpers the community tests share (each helper appends its own section)."""


# --- H4: liaisons for the sign-in, dashboard and digest tests ---


def make_liaison(neighborhoods, *, email="lee@example.org", username=None, status="active", language="en", **fields):
    """A resident's account (not staff) with a Liaison row and the liaison role in `neighborhoods`."""
    from civic311.community.models import Liaison
    from civic311.people.services import set_liaison_neighborhoods
    from tests.factories import StaffFactory

    neighborhoods = list(neighborhoods)
    jurisdiction = neighborhoods[0].jurisdiction
    user = StaffFactory(username=username or email.split("@")[0], email=email, is_staff=False, first_name="Lee")
    liaison = Liaison.objects.create(
        jurisdiction=jurisdiction,
        user=user,
        first_name="Lee",
        last_name="Liaison",
        email=email,
        status=status,
        language=language,
        **fields,
    )
    liaison.neighborhoods.set(neighborhoods)
    if status == "active":
        set_liaison_neighborhoods(user, neighborhoods)
    return liaison


# --- H2: applications and training ---


def application_data(neighborhoods, **changes):
    """The public form's answers of a resident applying (in English unless `language` is given)."""
    from typing import Any

    from civic311.community.services.applications import ApplicationData

    fields: dict[str, Any] = {
        "first_name": "Ana",
        "last_name": "Applicant",
        "email": "ana@example.org",
        "phone": "(215) 686-8686",
        "neighborhood_ids": [neighborhood.pk for neighborhood in neighborhoods],
        "languages": ["en", "es"],
        "heard_about": "neighbor",
        "agreed_to_terms": True,
        "show_on_neighborhood_page": True,
        "language": "en",
    }
    fields.update(changes)
    return ApplicationData(**fields)


def community_staff(username="casey"):
    """A member of the community staff (the role that runs the program)."""
    from civic311.people.models import StaffRole
    from tests.factories import StaffFactory, with_role

    return with_role(StaffFactory(username=username), StaffRole.COMMUNITY_STAFF)


def accepted_liaison(neighborhoods, staff, **changes):
    """A liaison accepted through the real rules (apply, then accept): not yet trained."""
    from civic311.community.services import applications

    application = applications.apply(neighborhoods[0].jurisdiction, application_data(neighborhoods, **changes))
    return applications.accept(application, staff)


def session_data(**changes):
    """A training session's answers, starting `starts_at` (an aware datetime) and lasting two hours."""
    import datetime as dt

    from civic311.community.services.training import SessionData

    starts_at = changes.pop("starts_at")
    fields = {
        "title": "Liaison training",
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(hours=2),
        "trainer": "Terry Trainer",
        "capacity": 10,
        "language": "en",
        "kind": "initial",
        "place": "City Hall, Room 202",
    }
    fields.update(changes)
    return SessionData(**fields)


# --- H3: engagement and the programme's figures ---


def engagement_staff(username="casey"):
    """A member of community engagement staff (runs the liaison program)."""
    from civic311.people.models import StaffRole
    from tests.factories import staff_in_role

    return staff_in_role(StaffRole.COMMUNITY_STAFF, username=username, first_name="Casey", last_name="Organizer")


def refused_people(neighborhood):
    """Everyone the program's staff pages and services refuse: (label, user or None for anonymous)."""
    from civic311.people.models import StaffRole
    from tests.factories import staff_in_role

    return [
        ("agent", staff_in_role(StaffRole.AGENT, username="agent-h3")),
        ("department staff", staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew-h3")),
        ("liaison", make_liaison([neighborhood], email="refused-liaison@example.org").user),
        ("anonymous", None),
    ]


# --- H1: a small city for the neighborhood figures and pages, counted by hand ---

import datetime as dt  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import pytest  # noqa: E402

from civic311.service_requests import services as requests  # noqa: E402
from tests.factories import NeighborhoodFactory, ServiceFactory, box, filed_request  # noqa: E402

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=NY)
CENTER = {"lat": "39.9526", "long": "-75.1635"}
FISHTOWN = {"lat": "39.9730", "long": "-75.1300"}
NOWHERE = {"lat": "40.1000", "long": "-75.0000"}  # in the city, in no neighborhood


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


def close(service_request, when):
    return requests.change_status(
        service_request, "closed", actor=None, actor_label="test", public_reason="Done.", now=when
    )


@pytest.fixture
def neighborhood_city(jurisdiction, center_city):
    """A small city with a handful of requests whose figures are counted by hand in the tests."""
    fishtown = NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="fishtown", name="Fishtown", boundary=box(-75.14, 39.96, -75.11, 39.99)
    )
    pothole = ServiceFactory(jurisdiction=jurisdiction, name="Pothole")
    dumping = ServiceFactory(jurisdiction=jurisdiction, name="Dumping")
    r = {}
    # March in the city (23:30 on March 31 is already April 1 in UTC); closed the next morning: on time, 0 days.
    r["a"] = filed_request(pothole, now=at(2026, 3, 31, 23, 30), **CENTER)
    close(r["a"], at(2026, 4, 1, 10, 0))
    # April, open, not overdue, a day old.
    r["b"] = filed_request(pothole, now=at(2026, 4, 14, 9, 0), **CENTER)
    # January, closed 36 days later: late.
    r["c"] = filed_request(dumping, now=at(2026, 1, 5, 9, 0), **CENTER)
    close(r["c"], at(2026, 2, 10, 9, 0))
    # April (half an hour into it), open and overdue, 14 days old.
    r["d"] = filed_request(dumping, now=at(2026, 4, 1, 0, 30), **CENTER)
    # Private: never counted.
    r["e"] = filed_request(pothole, now=at(2026, 4, 2, 9, 0), is_private=True, **CENTER)
    # Fishtown, April, open, 5 days old.
    r["f"] = filed_request(pothole, now=at(2026, 4, 10, 12, 0), **FISHTOWN)
    # In no neighborhood: counts for the city only. Closed in 2 days, on time.
    r["g"] = filed_request(dumping, now=at(2026, 2, 2, 9, 0), **NOWHERE)
    close(r["g"], at(2026, 2, 4, 10, 0))
    # December 2025 in the city (January 1 in UTC): not this year.
    r["h"] = filed_request(pothole, now=at(2025, 12, 31, 23, 30), **CENTER)
    close(r["h"], at(2026, 1, 2, 9, 0))
    assert r["a"].neighborhood == center_city and r["f"].neighborhood == fishtown and r["g"].neighborhood is None
    return {"center": center_city, "fishtown": fishtown, "pothole": pothole, "dumping": dumping, **r}


# --- Issue 17 Part D: a youth cohort for the impact report and the certificates, counted by hand ---


def youth_impact_cohort(jurisdiction, *, slug="penn-treaty", signatory="Cherelle L. Parker"):
    """A cohort of seven participants (P1..P7) at Penn Treaty School, five sessions held, a survey asked
    before and after with answers worked out by hand in tests/community/test_youth_impact_figures.py.

    Attendance: P1 5, P2 5, P3 4, P4 4, P5 3, P6 2, P7 1 (24 of 35). Completed: P1 to P4. P7 answered
    the before survey only."""
    from civic311.community.models import (
        Attendance,
        Cohort,
        CohortSession,
        Participant,
        Phase,
        YouthSurveyResponse,
    )
    from civic311.surveys import services as surveys
    from civic311.surveys.models import Instrument, InstrumentVersion

    instrument = Instrument.objects.create(jurisdiction=jurisdiction, slug=f"yep-{slug}", name="YEP survey")
    version = InstrumentVersion.objects.create(instrument=instrument, number=1)
    surveys.add_question(
        version, code="knows_jbc", kind="yes_no", text="Do you know the Junior Block Captains?", order=1
    )
    surveys.add_question(version, code="comfort", kind="scale_1_5", text="How comfortable are you reporting?", order=2)
    surveys.add_question(
        version,
        code="interest",
        kind="single_choice",
        text="Which program interests you?",
        order=3,
        required=False,
        choices=[{"key": "jbc", "label": "Junior Block Captains"}, {"key": "explorers", "label": "Police Explorers"}],
    )
    surveys.add_question(
        version, code="why", kind="free_text", text="What do you hope to learn?", order=4, required=False
    )
    surveys.publish_version(version, now=at(2026, 3, 1))
    cohort = Cohort.objects.create(
        jurisdiction=jurisdiction,
        name="Spring 2026 at Penn Treaty",
        slug=slug,
        site_name="Penn Treaty School",
        site_kind=Cohort.SiteKind.SCHOOL,
        site_address="600 E Thompson St",
        starts_on=dt.date(2026, 3, 3),
        ends_on=dt.date(2026, 3, 31),
        survey=instrument,
        before_version=version,
        after_version=version,
        signatory_name=signatory,
        signatory_title="Mayor",
    )
    sessions = [
        CohortSession.objects.create(
            cohort=cohort,
            number=number,
            starts_at=at(2026, 3, 3 + 7 * (number - 1), 15),
            ends_at=at(2026, 3, 3 + 7 * (number - 1), 17),
            topic=f"Topic {number}",
            has_field_walk=number == 3,
        )
        for number in range(1, 6)
    ]
    names = [("Maria", "R"), ("Jamal", "T"), ("Ana", "L"), ("Kevin", "P"), ("Lin", "W"), ("Omar", "S"), ("Zoe", "B")]
    people = [
        Participant.objects.create(
            cohort=cohort,
            first_name=first,
            last_initial=initial,
            age_band="11-13",
            guardian_name=f"Guardian{index} Rivera",
            guardian_contact=f"guardian{index}@example.org",
            consent_method="paper",
            consented_on=dt.date(2026, 3, 1),
        )
        for index, (first, initial) in enumerate(names, start=1)
    ]
    attended = [5, 5, 4, 4, 3, 2, 1]
    for person, count in zip(people, attended, strict=True):
        for session in sessions:
            Attendance.objects.create(session=session, participant=person, present=session.number <= count)
    for person in people[:4]:
        person.completed_at = at(2026, 3, 31, 18)
        person.save(update_fields=["completed_at"])
    before: dict[int, dict[str, object]] = {
        0: {"knows_jbc": True, "comfort": 1, "interest": "jbc", "why": '=HYPERLINK("http://evil.example")'},
        1: {"knows_jbc": True, "comfort": 2, "interest": "explorers", "why": "How to fix my block"},
        2: {"knows_jbc": False, "comfort": 2},
        3: {"knows_jbc": False, "comfort": 3},
        4: {"knows_jbc": False, "comfort": 3},
        5: {"knows_jbc": False, "comfort": 4},
        6: {"knows_jbc": False, "comfort": 5},
    }
    after: dict[int, dict[str, object]] = {
        0: {"knows_jbc": True, "comfort": 3, "interest": "jbc"},
        1: {"knows_jbc": False, "comfort": 4, "interest": "jbc"},
        2: {"knows_jbc": True, "comfort": 2, "why": "About the 311 app"},
        3: {"knows_jbc": True, "comfort": 4},
        4: {"knows_jbc": True, "comfort": 5},
        5: {"knows_jbc": True, "comfort": 4},
    }
    for phase, given in ((Phase.BEFORE, before), (Phase.AFTER, after)):
        for index, raw in given.items():
            response = surveys.record_response(
                version,
                raw,
                jurisdiction=jurisdiction,
                channel="paper",
                now=at(2026, 3, 3 if phase == "before" else 31),
            )
            YouthSurveyResponse.objects.create(participant=people[index], phase=phase, response=response)
    return cohort, people, sessions


# --- Part A (issue 17): youth cohorts ---


def youth_cohort(jurisdiction, staff, *, slug="harding-2026", starts_on=None, ends_on=None, **changes):
    """A cohort made through the real rule (July 2026 unless told otherwise; four sessions complete it)."""
    import datetime as dt

    from civic311.community.services import youth

    fields = {
        "name": "Harding Middle School, summer",
        "slug": slug,
        "site_name": "Harding Middle School",
        "site_kind": "school",
        "starts_on": starts_on or dt.date(2026, 7, 1),
        "ends_on": ends_on or dt.date(2026, 8, 31),
        "sessions_to_complete": 4,
    }
    fields.update(changes)
    return youth.create_cohort(jurisdiction, youth.CohortData(**fields), staff)


def participant_data(**changes):
    """A participant's answers: Maria R., 11 to 13, her mother consented on paper on June 20, 2026."""
    import dataclasses
    import datetime as dt

    from civic311.community.services import youth

    maria = youth.ParticipantData(
        first_name="Maria",
        last_initial="r",
        age_band="11-13",
        guardian_name="Rosa R.",
        guardian_contact="(215) 686-8686",
        consent_method="paper",
        consented_on=dt.date(2026, 6, 20),
    )
    return dataclasses.replace(maria, **changes)


def youth_session(cohort, staff, number, starts_at, **changes):
    """A two-hour session of the cohort made through the real rule."""
    import datetime as dt

    from civic311.community.services import youth

    fields = {
        "number": number,
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(hours=2),
        "topic": f"Topic {number}",
    }
    fields.update(changes)
    return youth.create_session(cohort, youth.SessionData(**fields), staff)


def after_survey_response(participant, phase="after"):
    """A completed survey answer of the participant in `phase` (a bare response of a one-version survey)."""
    from civic311.community.models import YouthSurveyResponse
    from civic311.surveys.models import Instrument, InstrumentVersion, Response

    jurisdiction = participant.cohort.jurisdiction
    instrument, _ = Instrument.objects.get_or_create(
        jurisdiction=jurisdiction, slug="yep-test", defaults={"name": "YEP"}
    )
    version, _ = InstrumentVersion.objects.get_or_create(instrument=instrument, number=1)
    response = Response.objects.create(jurisdiction=jurisdiction, version=version, channel="web", outcome="completed")
    return YouthSurveyResponse.objects.create(participant=participant, phase=phase, response=response)


# --- Part B (issue 17): field walks ---


def walk_cohort(jurisdiction, *, slug="fels-2026"):
    """A cohort at Fels High School in July 2026: four weekly sessions, 3:00 to 5:00 pm in the city, on July
    1, 8, 15 and 22; sessions 2, 3 and 4 include a field walk. Two participants (Maria R., Jamal T.)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from civic311.community.models import Cohort, CohortSession, Participant

    city = ZoneInfo("America/New_York")
    cohort = Cohort.objects.create(
        jurisdiction=jurisdiction,
        name="Fels High School, summer",
        slug=slug,
        site_name="Fels High School",
        site_kind=Cohort.SiteKind.SCHOOL,
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 7, 31),
    )
    sessions = {
        number: CohortSession.objects.create(
            cohort=cohort,
            number=number,
            starts_at=dt.datetime(2026, 7, 1 + 7 * (number - 1), 15, tzinfo=city),
            ends_at=dt.datetime(2026, 7, 1 + 7 * (number - 1), 17, tzinfo=city),
            topic=f"Walk {number}" if number > 1 else "What 311 does",
            has_field_walk=number > 1,
        )
        for number in range(1, 5)
    }
    people = [
        Participant.objects.create(
            cohort=cohort,
            first_name=first,
            last_initial=initial,
            age_band="14-15",
            guardian_name="A guardian",
            guardian_contact="guardian@example.org",
            consent_method="paper",
            consented_on=dt.date(2026, 6, 20),
        )
        for first, initial in (("Maria", "R"), ("Jamal", "T"))
    ]
    return cohort, sessions, people


def walk_services(jurisdiction, department):
    """The services a walk is about, shaped like the demo city's."""
    from tests.factories import ServiceFactory

    def make(code, name, keywords, **fields):
        return ServiceFactory(
            jurisdiction=jurisdiction, department=department, code=code, name=name, keywords=keywords, **fields
        )

    return {
        "graffiti": make("SR-CL01", "Graffiti Removal", "graffiti, tags, spray paint"),
        "dumping": make("SR-ST02", "Illegal Dumping", "mattress, tires, illegal dumping"),
        "light": make("SR-ST04", "Street Light Outage", "street light, light out"),
        "pothole": make("SR-ST01", "Street Defect", "pothole, hole in street"),
        "trees": make("SR-PR08", "Street Trees", "tree down, branch"),
    }


# --- Part C: the youth cohorts' surveys and the survey editor ---


def survey_cohort(jurisdiction, names=(("Maria", "R"), ("Jamal", "T"), ("Ana", "L")), slug="penn-treaty"):
    """A cohort with participants (first name, last initial) and no survey yet: (cohort, participants)."""
    import datetime as dt

    from civic311.community.models import Cohort, Participant

    cohort = Cohort.objects.create(
        jurisdiction=jurisdiction,
        name="Penn Treaty School, spring",
        slug=slug,
        site_name="Penn Treaty School",
        site_kind="school",
        starts_on=dt.date(2026, 3, 2),
        ends_on=dt.date(2026, 3, 30),
        sessions_to_complete=0,
        after_survey_to_complete=True,
    )
    people = [
        Participant.objects.create(
            cohort=cohort,
            first_name=first,
            last_initial=initial,
            age_band="11-13",
            guardian_name="A guardian",
            consent_method="paper",
            consented_on=dt.date(2026, 2, 20),
        )
        for first, initial in names
    ]
    return cohort, people


YOUTH_ANSWERS = {
    "knows_311": "no",
    "knows_jbc": "no",
    "wants_jbc": "yes",
    "app_comfort": "2",
    "city_does": ["trash", "parks"],
    "want_to_learn": "How the city fixes potholes.",
}


# --- Part E: pilot assessments ---


def pilot_data(**changes):
    """A pilot assessment's answers: "Field tablets", May 2026, the default form unless `form_id`."""
    import dataclasses
    import datetime as dt

    from civic311.community.services.pilots import AssessmentData

    tablets = AssessmentData(
        name="Field tablets pilot",
        slug="tablets",
        technology="Field tablets",
        goals="Inspectors file from the street.",
        starts_on=dt.date(2026, 5, 1),
        ends_on=dt.date(2026, 5, 31),
        form_id=None,
    )
    return dataclasses.replace(tablets, **changes)


def pilot_with_people(jurisdiction, staff, count, *, slug="tablets", first="p"):
    """A pilot (the default form) with `count` members of staff taking part: (assessment, participants)."""
    from civic311.community.services import pilots
    from tests.factories import StaffFactory

    pilot = pilots.create_assessment(jurisdiction, pilot_data(slug=slug), staff)
    users = [
        StaffFactory(username=f"{first}{n}", first_name=f"{first.upper()}{n}", last_name="Pilot") for n in range(count)
    ]
    if users:
        pilots.add_participants(pilot, users, staff)
    return pilot, list(pilot.participants.select_related("user").order_by("user__username"))


def rate_all(rating):
    """The default form's answers: every dimension rated `rating`, no comments."""
    from civic311.community.services.pilots import DIMENSIONS

    return {code: rating for code, *_texts in DIMENSIONS}


# --- typing: the values `.annotate()` adds to a queryset's rows ---


def annotated(row, *names: str) -> tuple[object, ...]:
    """The values `.annotate()` added to `row` under `names`, in order (read with getattr: they are not fields
    of the model, so mypy does not know them)."""
    return tuple(getattr(row, name) for name in names)
