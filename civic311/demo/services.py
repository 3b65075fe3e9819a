"""Build the demo city: Philadelphia with its calendar, neighborhoods, catalogue, staff and a year of history.

Each loader is idempotent (it updates what is there and adds what is missing, matching on natural keys),
so `seed_demo_city` can run again safely. Call them in this order:

    city = create_jurisdiction()
    load_neighborhoods(city)      # before the catalogue: a routing rule names a neighborhood
    load_catalogue(city)          # data/philadelphia-catalogue.toml, a catalogue file
    create_staff(city)            # after the catalogue: staff belong to departments
    generate_history(city, requests=15_000)
    create_demo_customers(city)   # after the history: customers are made from its requesters
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import transaction

from civic311.catalogue import services as catalogue_services
from civic311.catalogue.catalogue_file import parse_catalogue
from civic311.catalogue.catalogue_translations import apply_translations, read_translation_files
from civic311.catalogue.models import Department, RoutingRule, Service
from civic311.jurisdictions.models import Holiday, Jurisdiction, Neighborhood
from civic311.jurisdictions.selectors import forget_cached_geography
from civic311.people.models import Requester, RoleAssignment, StaffRole, Team, User
from civic311.people.services import grant_role, move_to_team, save_team
from civic311.service_requests.models import Contact, Escalation, HistoryEntry, Photo, ServiceRequest
from civic311.surveys.models import Answer, FollowUpTask, Response

from . import catalogue_extra as extra
from .community import delete_programme
from .customers import create_demo_customers, delete_customers
from .history import DemoHistoryExists, HistoryStats, generate_history
from .inbox import delete_inbox
from .places import MAX_LAT, MAX_LONG, MIN_LAT, MIN_LONG
from .youth import delete_youth_program

__all__ = [
    "DemoHistoryExists",
    "HistoryStats",
    "create_demo_customers",
    "create_jurisdiction",
    "create_staff",
    "delete_demo_city",
    "demo_city",
    "generate_history",
    "load_catalogue",
    "load_holidays",
    "load_neighborhoods",
    "reset_admin_password",
]

DATA = Path(__file__).resolve().parent / "data"
JURISDICTION_ID = "phila.gov"
ADMIN_USERNAME = "admin"

# Staff by department (invented people). The first of each department is its point person; the
# contact center's staff are the agents.
STAFF: dict[str, tuple[tuple[str, str], ...]] = {
    extra.CONTACT_CENTER: (
        ("Rosa", "Delgado"),
        ("Kevin", "Tran"),
        ("Aaliyah", "Brooks"),
        ("Miguel", "Santos"),
        ("Erin", "Walsh"),
        ("Jamal", "Peterson"),
        ("Grace", "Kim"),
        ("Denise", "Howard"),
        ("Omar", "Haddad"),
    ),
    "Licenses & Inspections": (("Marcus", "Whitfield"), ("Priya", "Patel"), ("Tom", "Reilly")),
    "Streets Department": (("Theresa", "Kowalski"), ("Dwayne", "Carter"), ("Nicole", "Russo"), ("Frank", "DiNardo")),
    "Police Department": (("Andre", "Jefferson"), ("Maureen", "Fitzgerald")),
    "Community Life Improvement Program": (("Keisha", "Morgan"), ("Victor", "Alvarez")),
    "Parks & Recreation": (("Daniel", "O'Brien"), ("Hannah", "Lindqvist")),
    "Fire Department": (("Luis", "Ortega"), ("Samantha", "Greene")),
    extra.PARTNER_DEPARTMENT_NAME: (("Jamie", "Kowal"),),
}


def demo_city() -> Jurisdiction | None:
    return Jurisdiction.objects.filter(jurisdiction_id=JURISDICTION_ID).first()


@transaction.atomic
def create_jurisdiction() -> Jurisdiction:
    """Philadelphia, with its business calendar and holidays."""
    city, _ = Jurisdiction.objects.update_or_create(
        jurisdiction_id=JURISDICTION_ID,
        defaults={
            "slug": "philadelphia",
            "name": "Philadelphia",
            "time_zone": "America/New_York",
            "min_lat": MIN_LAT,
            "max_lat": MAX_LAT,
            "min_long": MIN_LONG,
            "max_long": MAX_LONG,
            # "Reported by 2 pm" starts the clock that day; due dates fall at close of business.
            "intake_cutoff": dt.time(14, 0),
            "business_day_end": dt.time(17, 0),
            "contact_email": "philly311@example.org",
            "contact_phone": "311, 215-686-8686",  # the footer joins them with "or" in the reader's language
            "host": "",
            "is_default": True,
        },
    )
    load_holidays(city)
    return city


def load_holidays(jurisdiction: Jurisdiction) -> int:
    """The City's holidays (observed dates when they fall on a weekend) from `data/holidays.csv`."""
    with (DATA / "holidays.csv").open(encoding="utf-8") as rows:
        holidays = [(dt.date.fromisoformat(row["date"]), row["name"]) for row in csv.DictReader(rows)]
    for date, name in holidays:
        Holiday.objects.update_or_create(jurisdiction=jurisdiction, date=date, defaults={"name": name})
    forget_cached_geography(jurisdiction.pk)
    return len(holidays)


@transaction.atomic
def load_neighborhoods(jurisdiction: Jurisdiction) -> int:
    """The city's boundary and its neighborhoods from `data/city-boundary.geojson` and
    `data/neighborhoods.geojson` (see `make_neighborhoods.py`), through `load_boundaries` as any city's."""
    quiet = io.StringIO()
    call_command(
        "load_boundaries",
        str(DATA / "city-boundary.geojson"),
        jurisdiction=jurisdiction.jurisdiction_id,
        city_boundary=True,
        stdout=quiet,
    )
    call_command(
        "load_boundaries",
        str(DATA / "neighborhoods.geojson"),
        jurisdiction=jurisdiction.jurisdiction_id,
        neighborhoods=True,
        stdout=quiet,
    )
    jurisdiction.refresh_from_db()
    jurisdiction.__dict__.pop("boundary_shape", None)
    return Neighborhood.objects.filter(jurisdiction=jurisdiction).count()


CATALOGUE_FILE = DATA / "philadelphia-catalogue.toml"
# One file per language besides Spanish (which the catalogue file keeps itself): drafts, see docs/languages.md.
CATALOGUE_TRANSLATIONS = DATA / "catalogue-translations"


def load_catalogue(jurisdiction: Jurisdiction) -> int:
    """Departments, groups, services, questions, routing rules and escalation ladders from
    `data/philadelphia-catalogue.toml`, through the same loader as `manage.py load_catalogue`."""
    if not Neighborhood.objects.filter(jurisdiction=jurisdiction).exists():
        load_neighborhoods(jurisdiction)  # a routing rule names a neighborhood
    catalogue = apply_translations(
        parse_catalogue(CATALOGUE_FILE.read_text(encoding="utf-8")),
        read_translation_files(sorted(CATALOGUE_TRANSLATIONS.glob("*.toml"))),
    )
    catalogue_services.load_catalogue(jurisdiction, catalogue)
    return len(catalogue.services)


@transaction.atomic
def create_staff(jurisdiction: Jurisdiction) -> list[User]:
    """The `admin` superuser and each department's staff. Nobody can sign in until `demo_login`."""
    admin, created = User.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={
            "is_superuser": True,
            "is_staff": True,
            "email": "admin@example.org",
            "first_name": "Demo",
            "last_name": "Administrator",
        },
    )
    if created:
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
    _give_role(admin, StaffRole.ADMIN)
    staff = [admin]
    departments = {department.name: department for department in Department.objects.filter(jurisdiction=jurisdiction)}
    for department_name, people in STAFF.items():
        department = departments.get(department_name)
        if department is None:
            continue
        for index, (first, last) in enumerate(people):
            username = re.sub(r"[^a-z]", "", f"{first[0]}{last}".lower())
            user, created = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                    "is_staff": True,
                    "is_active": True,
                    "department": department,
                },
            )
            if created:
                # Demo staff exist to own work; nobody signs in as them.
                user.set_unusable_password()
                user.save(update_fields=["password"])
            _give_demo_role(user, department, index)
            staff.append(user)
    _make_demo_teams(jurisdiction, staff)
    return staff


# The contact centre's people by their place in STAFF: the first and the last supervisors, the second a
# surveyor, then agents, one in community engagement and one in leadership. In every other department the
# first is its manager.
CONTACT_CENTER_ROLES = {
    0: StaffRole.SUPERVISOR,
    1: StaffRole.SURVEYOR,
    6: StaffRole.COMMUNITY_STAFF,
    7: StaffRole.LEADERSHIP,
    8: StaffRole.SUPERVISOR,
}
# The contact centre's two teams, each led by a supervisor (by place in STAFF; who also takes calls), with its agents.
DEMO_TEAMS = (("Day team", 0, (0, 2, 3)), ("Evening team", 8, (8, 4, 5)))


def _make_demo_teams(jurisdiction: Jurisdiction, staff: list[User]) -> None:
    """The teams the satisfaction reports break results down by (once; later runs leave them)."""
    people = [user for user in staff if user.department and user.department.name == extra.CONTACT_CENTER]
    for name, supervisor, members in DEMO_TEAMS:
        if len(people) <= max(supervisor, *members):
            continue
        team = Team.objects.filter(jurisdiction=jurisdiction, name=name).first()
        if team is None:
            team = save_team(Team(jurisdiction=jurisdiction, name=name, supervisor=people[supervisor]), actor=None)
        for index in members:
            if people[index].team_id is None:
                move_to_team(people[index], team, actor=None)


def _give_demo_role(user: User, department: Department, index: int) -> None:
    if department.name == extra.CONTACT_CENTER:
        _give_role(user, CONTACT_CENTER_ROLES.get(index, StaffRole.AGENT))
    else:
        _give_role(
            user, StaffRole.DEPARTMENT_MANAGER if index == 0 else StaffRole.DEPARTMENT_STAFF, department=department
        )


def _give_role(user: User, role: str, department: Department | None = None) -> None:
    """Grant once: running the demo again leaves the roles as they are."""
    if not RoleAssignment.objects.filter(user=user, role=role, department=department).exists():
        grant_role(user, role, department=department, actor=None)


# One demo person per role a visitor will want to try, with the page they start on. Looked up by role
# (not by name) so the list follows STAFF.
DEMO_SIGN_INS: tuple[tuple[str, str, str], ...] = (
    (StaffRole.SUPERVISOR, "", "/console/"),
    (StaffRole.AGENT, "", "/console/"),
    (StaffRole.DEPARTMENT_MANAGER, "streets", "/work/"),
    (StaffRole.DEPARTMENT_STAFF, "streets", "/work/"),
    (StaffRole.SURVEYOR, "", "/surveys/"),
    (StaffRole.LEADERSHIP, "", "/surveys/reports/"),
    (StaffRole.COMMUNITY_STAFF, "", "/community/"),
)


@dataclass(frozen=True)
class DemoSignIn:
    role: str
    username: str
    password: str
    path: str


def reset_demo_passwords() -> list[DemoSignIn]:
    """Fresh random passwords for one demo person of each role in DEMO_SIGN_INS (first by username)."""
    sign_ins = []
    for role, department_slug, path in DEMO_SIGN_INS:
        assignments = RoleAssignment.objects.filter(role=role, user__is_active=True, user__is_superuser=False)
        if department_slug:
            assignments = assignments.filter(department__slug__startswith=department_slug)
        assignment = assignments.select_related("user").order_by("user__username").first()
        if assignment is None:
            continue
        password = secrets.token_urlsafe(12)
        assignment.user.set_password(password)
        assignment.user.save(update_fields=["password"])
        sign_ins.append(DemoSignIn(str(StaffRole(role).label), assignment.user.username, password, path))
    return sign_ins


def reset_admin_password() -> str:
    """Give `admin` a fresh random password (creating the superuser if missing) and return it."""
    admin, _ = User.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"is_superuser": True, "is_staff": True, "email": "admin@example.org"},
    )
    password = secrets.token_urlsafe(12)
    admin.set_password(password)
    admin.is_active = admin.is_staff = admin.is_superuser = True
    admin.save()
    return password


def delete_demo_city(jurisdiction: Jurisdiction, chunk: int = 10_000) -> None:
    """Delete the demo city and everything in it: requests, contacts, history, customers, catalogue, calendar.

    Requests go in chunks, so that a city of millions never loads into memory at once. Requesters who
    contacted only this city go with it. Staff accounts are kept, without their department.
    """

    jurisdiction_pk = jurisdiction.pk
    delete_programme(jurisdiction)  # the liaison programme and its liaisons' accounts (its rows PROTECT the city)
    delete_youth_program(jurisdiction)  # the youth cohorts and the pilot (their rows PROTECT the city and surveys)
    delete_inbox(jurisdiction)  # the inbox's conversations and doors (its items PROTECT the city)
    # Survey answers are kept from casual deletion (PROTECT); a whole demo city goes with its surveys.
    with transaction.atomic():
        FollowUpTask.objects.filter(jurisdiction=jurisdiction).delete()
        Answer.objects.filter(response__jurisdiction=jurisdiction).delete()
        Response.objects.filter(jurisdiction=jurisdiction).delete()
    HistoryEntry.objects.filter(service_request__jurisdiction=jurisdiction).delete()
    Escalation.objects.filter(service_request__jurisdiction=jurisdiction).delete()
    Contact.objects.filter(jurisdiction=jurisdiction).delete()
    for photo in Photo.objects.filter(service_request__jurisdiction=jurisdiction).iterator():
        photo.image.delete(save=False)
        photo.delete()
    requests = ServiceRequest.objects.filter(jurisdiction=jurisdiction)
    requests.exclude(duplicate_of=None, parent=None).update(duplicate_of=None, parent=None)
    while True:
        rows = list(requests.values_list("pk", "requester_id")[:chunk])
        if not rows:
            break
        with transaction.atomic():
            ServiceRequest.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
            requester_ids = {requester for _, requester in rows if requester}
            Requester.objects.filter(pk__in=requester_ids, service_requests=None, contacts=None).delete()
    with transaction.atomic():
        delete_customers(jurisdiction)
        RoutingRule.objects.filter(service__jurisdiction=jurisdiction).delete()
        Service.objects.filter(jurisdiction=jurisdiction).delete()
        User.objects.filter(department__jurisdiction=jurisdiction).update(department=None)
        jurisdiction.delete()
    forget_cached_geography(jurisdiction_pk)
