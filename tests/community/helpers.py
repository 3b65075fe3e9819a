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
