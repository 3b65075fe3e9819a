"""A small city for the department work tests: two departments, their staff in every role, requests.

The `world` fixture (offered to every test through conftest.py) serves the test_work_* modules; the
browser test builds its own world in a transactional database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from civic311.catalogue.models import Department, Service
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people.models import StaffRole, User
from civic311.service_requests.models import ServiceRequest

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    NeighborhoodFactory,
    ServiceFactory,
    StaffFactory,
    filed_request,
    with_role,
)


@dataclass
class World:
    jurisdiction: Jurisdiction
    streets: Department
    water: Department
    pothole: Service
    dumping: Service
    leak: Service
    center_city: Neighborhood
    people: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)

    def file(self, service, *, when: dt.datetime | None = None, **fields) -> ServiceRequest:
        return filed_request(service, now=when, **{"description": "Something to fix.", **fields})


def build_world() -> World:
    jurisdiction = JurisdictionFactory()
    center_city = NeighborhoodFactory(jurisdiction=jurisdiction, slug="center-city", name="Center City")
    streets = DepartmentFactory(jurisdiction=jurisdiction, slug="streets", name="Streets Department")
    water = DepartmentFactory(jurisdiction=jurisdiction, slug="water", name="Water Department")
    world = World(
        jurisdiction=jurisdiction,
        streets=streets,
        water=water,
        center_city=center_city,
        pothole=ServiceFactory(jurisdiction=jurisdiction, department=streets, code="SR-ST01", name="Pothole"),
        dumping=ServiceFactory(jurisdiction=jurisdiction, department=streets, code="SR-ST02", name="Illegal Dumping"),
        leak=ServiceFactory(jurisdiction=jurisdiction, department=water, code="SR-WA01", name="Water Leak"),
    )

    def person(key: str, role: str | None, department=None, home=None) -> User:
        user = StaffFactory(
            username=key, first_name=key.replace("_", " ").title(), last_name="", department=home or department
        )
        if role is not None:
            with_role(user, role, department)
        world.people[key] = user
        return user

    person("streets_worker", StaffRole.DEPARTMENT_STAFF, streets)
    person("streets_colleague", StaffRole.DEPARTMENT_STAFF, streets)
    person("streets_manager", StaffRole.DEPARTMENT_MANAGER, streets)
    person("water_worker", StaffRole.DEPARTMENT_STAFF, water)
    person("supervisor", StaffRole.SUPERVISOR, home=streets)
    person("admin", StaffRole.ADMIN)
    person("agent", StaffRole.AGENT, home=streets)
    person("surveyor", StaffRole.SURVEYOR)
    person("community", StaffRole.COMMUNITY_STAFF)
    person("leadership", StaffRole.LEADERSHIP)
    person("no_role", None)
    both = person("both_worker", StaffRole.DEPARTMENT_STAFF, streets)
    with_role(both, StaffRole.DEPARTMENT_STAFF, water)
    return world


@pytest.fixture
def world(db) -> World:
    return build_world()


# The users of each StaffRole in the world, and whether the work pages are theirs.
ROLE_USERS = {
    StaffRole.AGENT: ("agent", False),
    StaffRole.SUPERVISOR: ("supervisor", True),
    StaffRole.DEPARTMENT_STAFF: ("streets_worker", True),
    StaffRole.DEPARTMENT_MANAGER: ("streets_manager", True),
    StaffRole.SURVEYOR: ("surveyor", False),
    StaffRole.COMMUNITY_STAFF: ("community", False),
    StaffRole.LEADERSHIP: ("leadership", False),
    StaffRole.ADMIN: ("admin", True),
}
