"""A small city for the department work tests: two departments, their staff in every role, requests.

Not a test module of its own (it has no tests); the test_work_* modules build their world from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from civic311.people.models import StaffRole, User
from civic311.people.services import grant_role
from civic311.requests import services as requests
from civic311.requests.models import ServiceRequest

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    NeighborhoodFactory,
    ServiceFactory,
    StaffFactory,
)

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    jurisdiction: object
    streets: object
    water: object
    pothole: object
    dumping: object
    leak: object
    center_city: object
    people: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)

    def file(self, service, *, when: dt.datetime | None = None, **fields) -> ServiceRequest:
        values = {"lat": "39.9526", "long": "-75.1635", "description": "Something to fix.", **fields}
        report = requests.Report(service_code=service.code, **values)
        return requests.submit(self.jurisdiction, report, now=when).service_request


def build_world() -> World:
    jurisdiction = JurisdictionFactory()
    center_city = NeighborhoodFactory(jurisdiction=jurisdiction, slug="center-city", name="Center City")
    streets = DepartmentFactory(jurisdiction=jurisdiction, slug="streets", name="Streets Department")
    water = DepartmentFactory(jurisdiction=jurisdiction, slug="water", name="Water Department")
    world = World(
        jurisdiction=jurisdiction, streets=streets, water=water, center_city=center_city,
        pothole=ServiceFactory(jurisdiction=jurisdiction, department=streets, code="SR-ST01", name="Pothole"),
        dumping=ServiceFactory(jurisdiction=jurisdiction, department=streets, code="SR-ST02", name="Illegal Dumping"),
        leak=ServiceFactory(jurisdiction=jurisdiction, department=water, code="SR-WA01", name="Water Leak"),
    )

    def person(key: str, role: str | None, department=None, home=None) -> User:
        user = StaffFactory(username=key, first_name=key.replace("_", " ").title(), last_name="",
                            department=home or department)
        if role is not None:
            grant_role(user, role, department=department, actor=None)
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
    grant_role(both, StaffRole.DEPARTMENT_STAFF, department=water, actor=None)
    return world


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
