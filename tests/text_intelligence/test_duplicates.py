"""Possible duplicates: open requests of the same or a related service, within the service's radius and
window (found through H3 neighbours), ranked by place, time and words; the public never sees a private one."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import h3
import pytest
from django.utils import timezone, translation

from civic311.jurisdictions import selectors as geography
from civic311.people.models import StaffRole
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.text_intelligence import duplicates
from civic311.text_intelligence.duplicates import possible_duplicates
from civic311.text_intelligence.places import FoundPlace
from tests.factories import (
    DepartmentFactory,
    JurisdictionFactory,
    ServiceFactory,
    filed_request,
    staff_in_role,
)

CITY_HALL = (39.9526, -75.1635)
METRE_LAT = 1 / 111_195  # degrees of latitude in one metre


def north(metres: float, lat: float = CITY_HALL[0], long: float = CITY_HALL[1]) -> dict[str, Any]:
    """A report's point `metres` north of City Hall."""
    return {"lat": f"{lat + metres * METRE_LAT:.7f}", "long": f"{long:.7f}"}


def find(service, text: str = "", *, at: tuple[float, float] = CITY_HALL, **options):
    return possible_duplicates(service.jurisdiction, service=service, text=text, lat=at[0], long=at[1], **options)


@pytest.fixture
def no_streets(monkeypatch):
    """The city's streets know no address (the test city has none; places are tested on their own)."""
    monkeypatch.setattr(duplicates, "places_in_text", lambda jurisdiction, text: [])


@pytest.fixture
def sibling(service, department):
    """Another service of the dumping service's group: a related service."""
    return ServiceFactory(
        jurisdiction=service.jurisdiction, group=service.group, department=department, name="Dumpster Violation"
    )


# --- what is a candidate -------------------------------------------------------------------------------------------


def test_open_requests_of_the_service_near_and_recent_are_found(service, staff):
    near = filed_request(service, **north(40))
    filed_request(service, **north(400))  # past the 150 m radius
    closed = filed_request(service, **north(10))
    requests.change_status(closed, Status.CLOSED, actor=staff, public_reason="Repair completed")
    filed_request(ServiceFactory(jurisdiction=service.jurisdiction), **north(5))  # another group

    found = find(service)

    assert [one.service_request for one in found] == [near]
    assert 35 <= found[0].metres <= 45
    assert found[0].same_service and found[0].tracking_number == near.tracking_number
    assert 0 < found[0].score <= 1


def test_only_within_the_services_window(service):
    now = timezone.now()
    recent = filed_request(service, now=now - dt.timedelta(days=29), **north(20))
    filed_request(service, now=now - dt.timedelta(days=31), **north(20))
    assert [one.service_request for one in find(service, now=now)] == [recent]

    service.duplicate_window_days = 7
    service.save()
    assert find(service, now=now) == []


def test_the_services_radius_decides_how_far(service):
    at_120 = filed_request(service, **north(120))
    at_600 = filed_request(service, **north(600))
    assert [one.service_request for one in find(service)] == [at_120]

    service.duplicate_radius_m = 50
    service.save()
    assert find(service) == []

    service.duplicate_radius_m = 1000  # a missed collection is the whole block and more
    service.save()
    assert {one.service_request for one in find(service)} == {at_120, at_600}


def test_a_radius_too_wide_for_h3_rings_still_finds_by_a_box(service):
    far = filed_request(service, **north(4800))
    service.duplicate_radius_m = 5000
    service.save()
    assert duplicates.ring_for(5000) > duplicates.RING_MAX
    assert [one.service_request for one in find(service)] == [far]


def test_another_city_is_never_a_candidate(service):
    camden = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden.gov", is_default=False)
    other = ServiceFactory(jurisdiction=camden, code=service.code)
    filed_request(other, **north(5))
    assert find(service) == []


# --- ranking --------------------------------------------------------------------------------------------------------


def test_closer_ranks_first_then_newer(service):
    now = timezone.now()
    far_new = filed_request(service, now=now - dt.timedelta(hours=2), **north(120))
    close_old = filed_request(service, now=now - dt.timedelta(days=5), **north(10))
    close_new = filed_request(service, now=now - dt.timedelta(days=1), **north(10))

    found = find(service, now=now)

    assert [one.service_request for one in found] == [close_new, close_old, far_new]
    assert found[0].score > found[1].score > found[2].score
    assert found[1].age == dt.timedelta(days=5)


def test_similar_words_rank_first(service):
    pile = filed_request(service, description="Pile of old tires and a couch dumped in the alley", **north(30))
    lamp = filed_request(service, description="Broken glass everywhere", **north(30))

    found = find(service, "Someone dumped tires and a sofa in the alley behind us")

    assert [one.service_request for one in found] == [pile, lamp]
    assert found[0].text_similarity > found[1].text_similarity
    assert found[0].similar_words and not found[1].similar_words


def test_typos_and_accents_are_forgiven_in_the_words(service):
    assert duplicates.words_similarity("Colchón tirado en la acera", "colchon tirado en acera!!") == 1.0
    assert (duplicates.words_similarity("pothole on Market", "pothol market") or 0) > 0.8
    assert (duplicates.words_similarity("pothole", "graffiti on the wall") or 0) < 0.4
    assert duplicates.words_similarity("the and of", "pothole") is None  # only little words: nothing to compare


def test_a_related_service_only_when_the_words_say_the_same(service, sibling):
    alike = filed_request(sibling, description="Dumpster overflowing, trash bags all over the sidewalk", **north(20))
    filed_request(sibling, description="Dumpster blocking the driveway", **north(20))

    found = find(service, "Trash bags all over the sidewalk from the overflowing dumpster")

    assert [one.service_request for one in found] == [alike]
    assert not found[0].same_service
    assert find(service) == []  # no words from the resident: a related service's request is not offered


def test_without_a_service_every_nearby_open_request_with_the_same_words(service, sibling):
    alike = filed_request(sibling, description="Mattress and sofa dumped on the corner", **north(20))
    filed_request(service, description="Tires in the lot", **north(20))
    found = possible_duplicates(
        service.jurisdiction, service=None, text="a mattress and a sofa dumped", lat=CITY_HALL[0], long=CITY_HALL[1]
    )
    assert [one.service_request for one in found] == [alike]
    assert possible_duplicates(service.jurisdiction, service=None, lat=CITY_HALL[0], long=CITY_HALL[1]) == []


def test_limit(service):
    for metres in (10, 20, 30, 40):
        filed_request(service, **north(metres))
    assert len(find(service, limit=2)) == 2
    assert find(service, limit=0) == []


# --- without a point ------------------------------------------------------------------------------------------------


def test_no_point_and_no_address_is_nothing(service):
    filed_request(service, **north(0))
    assert possible_duplicates(service.jurisdiction, service=service, text="mattress") == []
    assert possible_duplicates(service.jurisdiction, service=service, address="   ") == []


def test_the_same_address_written_another_way(service, no_streets):
    same = filed_request(service, lat="", long="", address="1400 North Broad Street")
    filed_request(service, lat="", long="", address="1400 South Broad Street")
    filed_request(service, lat="", long="", address="1500 N Broad St")

    found = possible_duplicates(service.jurisdiction, service=service, address=" 1400  n. BROAD st ")

    assert [one.service_request for one in found] == [same]
    assert found[0].metres is None
    assert duplicates.address_key_of("1400 North Broad Street") == "1400 n broad st"


def test_with_a_point_a_request_with_only_the_address_counts_too(service, no_streets):
    by_address = filed_request(service, lat="", long="", address="1400 JFK Blvd")
    by_point = filed_request(service, address="1400 JFK Blvd", **north(15))
    found = find(service, address="1400 jfk blvd")
    assert {one.service_request for one in found} == {by_address, by_point}


def test_an_address_the_streets_know_is_searched_by_its_point(service, monkeypatch):
    near = filed_request(service, **north(25))
    place = FoundPlace("address", "1400 JFK Blvd", "1400 John F Kennedy Blvd", *CITY_HALL, None)
    monkeypatch.setattr(duplicates, "places_in_text", lambda jurisdiction, text: [place])
    found = possible_duplicates(service.jurisdiction, service=service, address="1400 JFK Blvd")
    assert [one.service_request for one in found] == [near]
    assert found[0].metres is not None and 20 <= found[0].metres <= 30


# --- who sees what --------------------------------------------------------------------------------------------------


def test_the_public_never_sees_a_private_request(service, staff):
    private = filed_request(service, is_private=True, **north(10))
    assert find(service) == []
    assert [one.service_request for one in find(service, user=staff)] == [private]


def test_staff_see_only_what_their_role_lets_them(service):
    mine = filed_request(service, **north(10))
    theirs = staff_in_role(StaffRole.DEPARTMENT_STAFF, DepartmentFactory(jurisdiction=service.jurisdiction))
    assert find(service, user=theirs) == []
    own = staff_in_role(StaffRole.DEPARTMENT_STAFF, service.department)
    assert [one.service_request for one in find(service, user=own)] == [mine]


# --- any text -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "   ", "🗑️🛋️😡😡", "x" * 10_000, "mattress " * 2_000, "Матрас на тротуаре", "床垫在人行道上", "\x00\u202e"],
)
def test_any_text_is_answered(service, text):
    filed_request(service, **north(20))
    found = find(service, text)
    assert len(found) == 1
    if not duplicates.content_words(text):
        # No words to compare: place, time and service alone, as for no text at all.
        assert found[0].score == find(service)[0].score


def test_a_request_in_the_future_is_new(service):
    later = timezone.now() + dt.timedelta(hours=1)
    filed_request(service, now=later, **north(10))
    found = find(service, now=later - dt.timedelta(hours=2))
    assert found[0].age == dt.timedelta(0)


def test_few_queries(service, django_assert_max_num_queries):
    for metres in range(0, 140, 10):
        filed_request(service, **north(metres))
    with django_assert_max_num_queries(1):
        assert len(find(service, "mattress", limit=10)) == 10


# --- the rings -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("radius", [10, 50, 150, 300, 1000, 2500])
def test_the_ring_holds_every_point_within_the_radius(radius):
    """Random points across the city and any bearing: a point within the radius is in the disk's cells."""
    rng = random.Random(radius)
    ring = duplicates.ring_for(radius)
    for _ in range(400):
        lat, long = rng.uniform(39.87, 40.14), rng.uniform(-75.28, -74.96)
        bearing, distance = rng.uniform(0, 2 * math.pi), radius * math.sqrt(rng.random())
        there_lat = lat + distance * math.cos(bearing) * METRE_LAT
        there_long = long + distance * math.sin(bearing) * METRE_LAT / math.cos(math.radians(lat))
        assert duplicates.metres_between(lat, long, there_lat, there_long) <= radius + 1
        steps = h3.grid_distance(geography.h3_cell(lat, long), geography.h3_cell(there_lat, there_long))
        assert steps <= ring


def test_the_ring_is_not_wasteful():
    assert duplicates.ring_for(150) <= 3
    assert duplicates.ring_for(10) == 1 or duplicates.ring_for(10) == 2


# --- saying why -----------------------------------------------------------------------------------------------------


def test_why_for_staff_and_the_sentence_for_the_public(service, sibling):
    now = timezone.now()
    filed_request(service, now=now - dt.timedelta(days=2), description="Mattress on the sidewalk", **north(40))
    filed_request(sibling, now=now, description="Mattress dumped on the sidewalk", **north(3))
    same, related = sorted(find(service, "mattress on the sidewalk", now=now), key=lambda one: not one.same_service)

    assert duplicates.explain(same) == "same service, 40 m, 2 days, similar words"
    assert duplicates.public_sentence(same) == "Someone reported this 40 m away, 2 days ago."
    assert duplicates.explain(related).startswith("related service (Dumpster Violation), 3 m, today")
    assert duplicates.public_sentence(related) == "Someone reported this less than 10 m away, today."


def test_the_phrases_in_every_case(service):
    noon = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)  # noon in Philadelphia
    request = filed_request(service, now=noon)
    one = duplicates.PossibleDuplicate(request, None, dt.timedelta(days=1, hours=3), True, 0.2, 0.5)
    assert duplicates.public_sentence(one) == "Someone reported this at the same address, yesterday."
    assert duplicates.reasons(one) == ["same service", "same address", "1 day"]
    with translation.override("es"):
        assert duplicates.public_sentence(one)  # translated once the Spanish catalogue is compiled


def test_days_are_the_citys_calendar_days(service):
    late = dt.datetime(2026, 3, 11, 3, 30, tzinfo=dt.UTC)  # 11:30 p.m. in Philadelphia
    request = filed_request(service, now=late, **north(15))
    [found] = find(service, now=late + dt.timedelta(hours=1))  # 00:30 the next day there
    assert duplicates.age_phrase(found) == "yesterday"
    assert duplicates.explain(found) == "same service, 15 m, 1 day"
    [same_evening] = find(service, now=late + dt.timedelta(minutes=20))  # 11:50 p.m.
    assert duplicates.age_phrase(same_evening) == "today"
    assert same_evening.service_request == request
