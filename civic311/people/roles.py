"""Who may do what: the staff roles' rules, as plain functions the services call.

Least privilege, enforced here and called by the service functions (not only by templates):

* a department sees and changes only its own requests (department staff and managers, of one or more
  departments, through their `RoleAssignment` rows);
* agents, supervisors and admins see every request of their jurisdiction (the jurisdiction of their home
  department, `User.department`; staff without one are not limited, as in a one-city installation);
* nobody but agents, supervisors and admins sees a resident's contact details, unless it is their request
  (the request is assigned to them);
* only active staff hold anything: a non-staff or inactive account with role rows still may do nothing.

Superusers are admins whatever rows they have. Each rule is one call for a service:
`require(may_change_request(actor, request), _("…"))`.

This module is the one place that decides who may do what. Views, selectors, services, admins and
templates ask a named rule here (`may_use_console(user)`, `may_work_queues(user)`, `may_survey(user)`, …;
templates through the `staff_may_*` flags of `civic311.people.staff_pages.staff_navigation`); none of them
names a role (`StaffRole.…`, "supervisor"), tests one through `is_admin` / `roles_of`, or reads
`is_superuser` / `is_staff` to decide. A new rule, or a role joining one, is written here, once.
`tests/test_roles_in_one_place.py` (`test_only_the_roles_module_names_roles`) fails on any other file that
does, naming the file and line; only the role's definition (`people.models`), the migrations, and the code
that creates staff with roles (the `add_staff` command, the demo city) may.

`ROLE_PERMISSIONS` maps each role to the Django model permissions its group carries, so that the admin
and the staff API (which check model permissions) follow the roles; `sync_role_groups` writes the groups,
`civic311.people.services.grant_role` / `revoke_role` keep each user's groups in step with their roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .models import DEPARTMENT_ROLES, NEIGHBORHOOD_ROLES, RoleAssignment, StaffRole, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civic311.catalogue.models import Department

    Someone = User | AnonymousUser | None


class ServiceRequestOnRecord(Protocol):
    """What the rules read of a service request. A protocol, not the model: the requests app sits above
    people in the layers (README, "How civic311 is built") and may not be imported here."""

    @property
    def jurisdiction_id(self) -> int: ...

    @property
    def department_id(self) -> int | None: ...

    @property
    def assignee_id(self) -> int | None: ...


RequestsQuerySet = TypeVar("RequestsQuerySet", bound="QuerySet[Any]")


# --- the roles' model permissions (data-free: the command and the tests share it) -------------------------

_CATALOGUE_READ = frozenset({"catalogue.view_service", "catalogue.view_department", "catalogue.view_servicegroup"})
_AGENT = _CATALOGUE_READ | {
    "requests.add_servicerequest",
    "requests.view_servicerequest",
    "requests.add_contact",
    "requests.view_contact",
    "requests.change_contact",
    "people.view_customer",
    "people.add_customer",
    "people.change_customer",
}
_DEPARTMENT_STAFF = _CATALOGUE_READ | {
    # Works the queue: assigns, updates, closes, transfers; spawns follow-on requests.
    "requests.add_servicerequest",
    "requests.view_servicerequest",
    "requests.change_servicerequest",
    "requests.view_historyentry",
    "requests.add_photo",
    "requests.view_photo",
}
_ESCALATIONS = frozenset({"requests.view_escalation", "requests.change_escalation", "catalogue.view_escalationstep"})
_RESPONSE_TEMPLATES = frozenset(
    {
        "work.view_responsetemplate",
        "work.add_responsetemplate",
        "work.change_responsetemplate",
        "work.delete_responsetemplate",
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    StaffRole.AGENT: frozenset(_AGENT),
    StaffRole.SUPERVISOR: frozenset(
        _AGENT
        | {"requests.change_servicerequest", "requests.view_historyentry", "requests.view_photo"}
        | _ESCALATIONS
        | _RESPONSE_TEMPLATES
    ),
    StaffRole.DEPARTMENT_STAFF: frozenset(_DEPARTMENT_STAFF),
    StaffRole.DEPARTMENT_MANAGER: frozenset(
        _DEPARTMENT_STAFF
        | _ESCALATIONS
        | _RESPONSE_TEMPLATES
        | {"catalogue.add_escalationstep", "catalogue.change_escalationstep", "catalogue.delete_escalationstep"}
    ),
    # Surveys and community programmes have their own rules (`may_survey`, `may_run_community_programmes`);
    # neither role sees requests or contact details through the admin.
    StaffRole.SURVEYOR: _CATALOGUE_READ,
    StaffRole.COMMUNITY_STAFF: _CATALOGUE_READ | {"jurisdictions.view_neighborhood"},
    # Leadership reads the reports and the boards (`may_see_satisfaction_reports`); it changes nothing.
    StaffRole.LEADERSHIP: _CATALOGUE_READ,
    StaffRole.ADMIN: frozenset(
        _AGENT
        | _DEPARTMENT_STAFF
        | _ESCALATIONS
        | _RESPONSE_TEMPLATES
        | {
            "catalogue.add_escalationstep",
            "catalogue.change_escalationstep",
            "catalogue.delete_escalationstep",
            "people.view_user",
            "people.add_user",
            "people.change_user",
            "people.view_roleassignment",
            "people.add_roleassignment",
            "people.change_roleassignment",
            "people.delete_roleassignment",
            "people.view_personaldataaccess",
            "people.view_team",
            "people.add_team",
            "people.change_team",
            "people.delete_team",
            "catalogue.add_service",
            "catalogue.change_service",
            "catalogue.change_department",
            "catalogue.add_department",
            "catalogue.add_servicegroup",
            "catalogue.change_servicegroup",
            "jurisdictions.view_neighborhood",
            "jurisdictions.view_holiday",
            "jurisdictions.add_holiday",
            "jurisdictions.change_holiday",
            "jurisdictions.delete_holiday",
        }
    ),
}

GROUP_PREFIX = "Role: "


def group_name(role: str) -> str:
    """The Django group that carries `role`'s permissions ("Role: agent")."""
    return f"{GROUP_PREFIX}{StaffRole(role).value}"


# --- who holds what -----------------------------------------------------------------------------------

_CACHE = "_civic311_role_assignments"


def _is_staff(user: Someone) -> bool:
    return _staff(user) is not None


def _staff(user: Someone) -> User | None:
    """The user, when an active member of staff (or superuser) signed in; else None."""
    if isinstance(user, User) and user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser):
        return user
    return None


def _assignments(user: Someone) -> tuple[tuple[str, int | None], ...]:
    """(role, department id) rows of an active member of staff, read once per user object."""
    staff = _staff(user)
    if staff is None:
        return ()
    cached: tuple[tuple[str, int | None], ...] | None = getattr(staff, _CACHE, None)
    if cached is None:
        cached = tuple(RoleAssignment.objects.filter(user_id=staff.pk).values_list("role", "department_id"))
        setattr(staff, _CACHE, cached)
    return cached


def forget_roles(user: Any) -> None:
    """Drop the roles read for this user object (after a grant or a revoke)."""
    if user is not None and hasattr(user, _CACHE):
        delattr(user, _CACHE)


def roles_of(user: Someone) -> frozenset[str]:
    """The roles an active member of staff holds; a superuser always holds `admin`."""
    staff = _staff(user)
    if staff is None:
        return frozenset()
    # A liaison's rows (a resident's role, per neighborhood) never count as a staff role, even should the
    # account later be made staff: they must not open the staff pages.
    roles = {role for role, _department in _assignments(staff) if role not in NEIGHBORHOOD_ROLES}
    if staff.is_superuser:
        roles.add(StaffRole.ADMIN)
    return frozenset(roles)


def departments_of(user: Someone, *, roles: tuple[str, ...] = DEPARTMENT_ROLES) -> frozenset[int]:
    """The ids of the departments whose requests the user works (department staff or manager there)."""
    return frozenset(department for role, department in _assignments(user) if role in roles and department is not None)


def is_admin(user: Someone) -> bool:
    return StaffRole.ADMIN in roles_of(user)


def is_staff_member(user: Someone) -> bool:
    """An active member of staff (a staff or a superuser account), whatever roles they hold."""
    return _is_staff(user)


def may_open_staff_pages(user: Someone) -> bool:
    """The staff pages (the console, the queues, the surveys...) are for active staff holding a role; each page
    then asks its own rule."""
    return bool(roles_of(user))


def holds_any_role(user: Someone, wanted: Iterable[str]) -> bool:
    """Whether the user holds one of `wanted` (for a page gated by a list of roles: the tests' pages)."""
    return bool(roles_of(user) & frozenset(wanted))


def may_grant_roles(user: Someone) -> bool:
    """Granting and revoking roles: admins."""
    return is_admin(user)


def may_see_role_assignments(user: Someone) -> bool:
    """A staff member's roles, in the admin: admins, and whoever may view staff accounts (`people.view_user`)."""
    return may_grant_roles(user) or bool(user is not None and user.has_perm("people.view_user"))


def may_manage_teams(user: Someone) -> bool:
    """Creating and changing contact-centre teams, and who is in them: admins."""
    return is_admin(user)


def may_work_every_city(user: Someone) -> bool:
    """Admins work every city's departments; supervisors (`may_work_every_department`) their home city's."""
    return is_admin(user)


# --- the roles themselves (what `grant_role` accepts) ----------------------------------------------------

# The roles staff are granted (the admin, `add_staff`, `grant_role`). The liaison role is not among them:
# the Neighborhood Liaison Program grants it to a resident's account through `set_liaison_neighborhoods`.
ROLE_NAMES: tuple[str, ...] = tuple(role for role in StaffRole.values if role not in NEIGHBORHOOD_ROLES)


def is_role(name: str) -> bool:
    """Whether `name` is one of the staff roles."""
    return name in ROLE_NAMES


def is_department_role(name: str) -> bool:
    """Whether `name` is held in a department (for these a department is required, for the others forbidden)."""
    return name in DEPARTMENT_ROLES


# --- staff accounts, whatever their roles --------------------------------------------------------------


def _is_staff_account(user: Someone) -> bool:
    """An active staff account (`is_staff`, as Django's admin counts one; a superuser flag alone is not)."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def may_hold_roles(user: Someone) -> bool:
    """Only staff accounts hold a role (active or not: an inactive account's rows still grant nothing)."""
    return bool(user is not None and user.is_authenticated and user.is_staff)


def may_sign_in_as_staff(user: Someone) -> bool:
    """The staff sign-in (and its second step) is for active staff accounts."""
    return _is_staff_account(user)


def may_use_staff_api(user: Someone) -> bool:
    """The staff API, and a token for it, are for active staff accounts (their model permissions decide the
    rest)."""
    return _is_staff_account(user)


def may_be_assigned_requests(user: Someone) -> bool:
    """Requests are assigned to active staff accounts only (and then only what `may_change_request` allows)."""
    return _is_staff_account(user)


def assignable_accounts(users: QuerySet[User]) -> QuerySet[User]:
    """`users` narrowed to those a request may be assigned to: the filter form of `may_be_assigned_requests`."""
    return users.filter(is_active=True, is_staff=True)


def assignable_department_staff(users: QuerySet[User], departments: Iterable[int]) -> QuerySet[User]:
    """`users` narrowed to the active staff accounts working the given departments' requests (department
    staff and managers there): whom a department's queue offers for assignment."""
    return assignable_accounts(users).filter(
        role_assignments__role__in=[role.value for role in DEPARTMENT_ROLES],
        role_assignments__department_id__in=list(departments),
    )


# --- superusers only -----------------------------------------------------------------------------------


def _is_superuser(user: Someone) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def may_delete_records(user: Someone) -> bool:
    """Deleting a request, a contact or a customer record (the lifecycle and the merge keep them
    otherwise): superusers only."""
    return _is_superuser(user)


def may_browse_requesters(user: Someone) -> bool:
    """Residents' requester records as stored (the requester admin, a contact's requester in the admin):
    superusers only, whatever else a role grants."""
    return _is_superuser(user)


def may_read_audits(user: Someone) -> bool:
    """The audits (of looks at personal data, of sign-ins): superusers only."""
    return _is_superuser(user)


def may_reset_second_factor(user: Someone) -> bool:
    """Removing another staff member's authenticator (a lost or replaced phone): superusers only."""
    return _is_superuser(user)


def sees_jurisdiction(user: Someone, jurisdiction_id: int | None) -> bool:
    """Whether `jurisdiction_id` is the user's home city (always, for staff without a home department)."""
    return _sees_jurisdiction(user, jurisdiction_id)


def may_see_city(user: Someone, jurisdiction_id: int | None) -> bool:
    """A city's own staff pages and figures (the reader board, the search analytics): admins, any city's;
    everyone else, their home city's (any, for staff without a home department)."""
    return is_admin(user) or _sees_jurisdiction(user, jurisdiction_id)


def _sees_jurisdiction(user: Someone, jurisdiction_id: int | None) -> bool:
    home = _home_jurisdiction(user)
    return home is None or home == jurisdiction_id


def _home_jurisdiction(user: Someone) -> int | None:
    if not isinstance(user, User) or user.department is None:
        return None
    return user.department.jurisdiction_id


def _all_of_jurisdiction(user: Someone) -> bool:
    return bool(roles_of(user) & {StaffRole.AGENT, StaffRole.SUPERVISOR})


# --- requests ----------------------------------------------------------------------------------------------


def may_view_request(user: Someone, service_request: ServiceRequestOnRecord) -> bool:
    """Admins: any request. Agents and supervisors: their jurisdiction's. Department staff and managers:
    their departments'. Everyone else: none."""
    if is_admin(user):
        return True
    if _all_of_jurisdiction(user) and _sees_jurisdiction(user, service_request.jurisdiction_id):
        return True
    return service_request.department_id in departments_of(user)


def may_change_request(user: Someone, service_request: ServiceRequestOnRecord) -> bool:
    """Admins: any request. Supervisors: their jurisdiction's. Department staff and managers: their
    departments'. Agents file and read requests but do not work them; nobody else changes any."""
    if is_admin(user):
        return True
    if StaffRole.SUPERVISOR in roles_of(user) and _sees_jurisdiction(user, service_request.jurisdiction_id):
        return True
    return service_request.department_id in departments_of(user)


def may_file_request(user: Someone, jurisdiction_id: int | None) -> bool:
    """Filing for someone else (a caller, a follow-on): agents, supervisors, admins, and department staff
    and managers, within their home jurisdiction. Everyone else (surveyors, community staff, leadership)
    files as residents do. A list of who may, so that a new role files nothing until it is added here."""
    held = roles_of(user)
    if StaffRole.ADMIN in held:
        return True
    filers = {StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.DEPARTMENT_STAFF, StaffRole.DEPARTMENT_MANAGER}
    return bool(held & filers) and _sees_jurisdiction(user, jurisdiction_id)


def visible_requests(user: Someone, queryset: RequestsQuerySet) -> RequestsQuerySet:
    """`queryset` (of ServiceRequest) narrowed to what `user` may see: the filter form of `may_view_request`."""
    if is_admin(user):
        return queryset
    if _all_of_jurisdiction(user):
        home = _home_jurisdiction(user)
        return queryset if home is None else queryset.filter(jurisdiction_id=home)
    departments = departments_of(user)
    if departments:
        return queryset.filter(department_id__in=departments)
    return queryset.none()


# --- the console and the department queues ---------------------------------------------------------------


def may_use_console(user: Someone) -> bool:
    """The agent console: agents take contacts there; supervisors and admins take them too."""
    return bool(roles_of(user) & {StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.ADMIN})


def may_oversee_console(user: Someone) -> bool:
    """Supervisors and admins watch the team's day on the console, besides their own."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN})


def may_look_at_contact(user: Someone, jurisdiction_id: int | None) -> bool:
    """Another agent's contact: admins, any; supervisors, their city's (its agent always sees their own)."""
    held = roles_of(user)
    if StaffRole.ADMIN in held:
        return True
    return StaffRole.SUPERVISOR in held and _sees_jurisdiction(user, jurisdiction_id)


def may_work_inbox(user: Someone, jurisdiction_id: int | None) -> bool:
    """The inbox of e-mails, texts and posts: whoever takes contacts on the console, in their own city."""
    return may_use_console(user) and _sees_jurisdiction(user, jurisdiction_id)


def may_manage_inbox(user: Someone, jurisdiction_id: int | None) -> bool:
    """Hand an item to another agent or a team, and set the inbox's doors and targets: supervisors and
    admins of the city (an agent takes items for themselves)."""
    return may_oversee_console(user) and _sees_jurisdiction(user, jurisdiction_id)


def inbox_assignees(users: QuerySet[User], jurisdiction_id: int) -> QuerySet[User]:
    """The accounts an inbox item can be handed to: active staff of the city who take contacts."""
    held = RoleAssignment.objects.filter(role__in=(StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.ADMIN))
    return (
        assignable_accounts(users)
        .filter(pk__in=held.values("user_id"))
        .filter(Q(department__isnull=True) | Q(department__jurisdiction_id=jurisdiction_id))
        .order_by("first_name", "last_name", "username")
    )


def may_work_queues(user: Someone) -> bool:
    """The department queues: department staff and managers, supervisors, admins."""
    return bool(
        roles_of(user)
        & {StaffRole.DEPARTMENT_STAFF, StaffRole.DEPARTMENT_MANAGER, StaffRole.SUPERVISOR, StaffRole.ADMIN}
    )


def may_work_every_department(user: Someone) -> bool:
    """Supervisors and admins work every department's queue (of their city; an admin's: of any)."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN})


def managed_departments(user: Someone) -> frozenset[int]:
    """The ids of the departments the user manages (department manager there)."""
    return departments_of(user, roles=(StaffRole.DEPARTMENT_MANAGER,))


# --- personal data -------------------------------------------------------------------------------------


def may_see_contact_details(user: Someone, service_request: ServiceRequestOnRecord | None = None) -> bool:
    """Agents, supervisors and admins see residents' contact details; any other active member of staff
    only the requester of a request assigned to them ("unless it is their request")."""
    if is_admin(user) or _all_of_jurisdiction(user):
        return True
    staff = _staff(user)
    return bool(
        staff is not None
        and service_request is not None
        and service_request.assignee_id is not None
        and service_request.assignee_id == staff.pk
    )


def may_see_customers(user: Someone, service_request: ServiceRequestOnRecord | None = None) -> bool:
    """Residents' contact details and customer records: as `may_see_contact_details`, and also superusers and
    active staff holding `people.view_customer` directly (not through a role), as before roles existed."""
    staff = _staff(user)
    if staff is None:
        return False
    if staff.is_superuser or staff.has_perm("people.view_customer"):
        return True
    return may_see_contact_details(user, service_request)


def may_export_personal_data(user: Someone, jurisdiction_id: int | None = None) -> bool:
    """Handing a resident everything held about them (a subject-access file): supervisors of the customer's
    jurisdiction and admins. Agents see contact details on a call, but a whole record leaves the building
    only through someone answerable for it."""
    if is_admin(user):
        return True
    return StaffRole.SUPERVISOR in roles_of(user) and _sees_jurisdiction(user, jurisdiction_id)


def may_erase_personal_data(user: Someone, jurisdiction_id: int | None = None) -> bool:
    """Erasing a customer on their request (it cannot be undone): the same people as the export."""
    return may_export_personal_data(user, jurisdiction_id)


# --- the other work ------------------------------------------------------------------------------------


def may_survey(user: Someone) -> bool:
    """Calls consenting customers for the satisfaction survey: surveyors, supervisors, admins."""
    return bool(roles_of(user) & {StaffRole.SURVEYOR, StaffRole.SUPERVISOR, StaffRole.ADMIN})


def may_survey_without_training(user: Someone) -> bool:
    """Surveyors claim calls only with current training; supervisors and admins need no training record."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN})


def may_take_follow_ups(user: Someone) -> bool:
    """The survey follow-ups (a customer a surveyor transferred): supervisors and admins see them, resolve
    their city's, and may be handed one."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN})


def offered_follow_up_owners(users: QuerySet[User]) -> QuerySet[User]:
    """`users` narrowed to those a surveyor's transfer form offers: supervisors (an admin may own a follow-up
    too, but is not offered)."""
    return users.filter(role_assignments__role=StaffRole.SUPERVISOR)


def may_run_community_programmes(user: Someone) -> bool:
    """Neighborhood Liaison, Youth Engagement, pilot assessments: community engagement staff, admins."""
    return bool(roles_of(user) & {StaffRole.COMMUNITY_STAFF, StaffRole.ADMIN})


def may_run_community_programmes_in(user: Someone, jurisdiction_id: int) -> bool:
    """The community programs of one city: its community staff (and admins who see that city)."""
    return may_run_community_programmes(user) and sees_jurisdiction(user, jurisdiction_id)


def pilot_participant_accounts(users: QuerySet[User], jurisdiction_id: int) -> QuerySet[User]:
    """`users` narrowed to whom a city's pilot assessment may ask for feedback: active staff accounts whose
    home department is in that city, or who have none (never a resident's account, a liaison's included)."""
    return assignable_accounts(users).filter(
        Q(department__isnull=True) | Q(department__jurisdiction_id=jurisdiction_id)
    )


def may_see_programme_figures(user: Someone) -> bool:
    """The community programs' figures (liaisons over time, their requests' outcomes): the staff who run
    the programs, leadership, admins."""
    return bool(roles_of(user) & {StaffRole.COMMUNITY_STAFF, StaffRole.LEADERSHIP, StaffRole.ADMIN})


# --- neighborhood liaisons -------------------------------------------------------------------------------
# A liaison is a resident's account (not staff: no admin, no staff pages) holding the liaison role in one
# row per neighborhood. The rows grant nothing to an inactive account. What a liaison may do is least
# privilege: file requests (on behalf of a neighbour or a meeting), follow their own neighborhoods, and see
# a requester's contact details only on the requests they filed themselves.

_LIAISON_CACHE = "_civic311_liaison_neighborhoods"


def liaison_neighborhoods(user: Someone) -> frozenset[int]:
    """The ids of the neighborhoods an active liaison serves (empty for everyone else, and for a staff or
    superuser account whatever rows it holds: a liaison's account is never staff)."""
    if not isinstance(user, User) or not user.is_authenticated or not may_hold_liaison_role(user):
        return frozenset()
    cached: frozenset[int] | None = getattr(user, _LIAISON_CACHE, None)
    if cached is None:
        cached = frozenset(
            neighborhood
            for neighborhood in RoleAssignment.objects.filter(
                user_id=user.pk, role__in=NEIGHBORHOOD_ROLES, neighborhood__isnull=False
            ).values_list("neighborhood_id", flat=True)
            if neighborhood is not None
        )
        setattr(user, _LIAISON_CACHE, cached)
    return cached


def forget_liaison_neighborhoods(user: Any) -> None:
    """Drop the neighborhoods read for this user object (after they changed)."""
    if user is not None and hasattr(user, _LIAISON_CACHE):
        delattr(user, _LIAISON_CACHE)


def may_hold_liaison_role(user: Someone) -> bool:
    """The liaison role is held by an active resident's account: never a staff or superuser account, whose
    other roles must not mix with a volunteer's."""
    return isinstance(user, User) and user.is_active and not user.is_staff and not user.is_superuser


def is_liaison(user: Someone) -> bool:
    """An active account serving at least one neighborhood as a liaison."""
    return bool(liaison_neighborhoods(user))


def may_file_as_liaison(user: Someone) -> bool:
    """Filing a request on behalf of a neighbor or a community meeting: active liaisons, any hour. Where
    the problem is does not limit them (a neighbor's problem may be across the street's boundary)."""
    return is_liaison(user)


def may_follow_neighborhood(user: Someone, neighborhood_id: int | None) -> bool:
    """A liaison's dashboard and digest of a neighborhood: the liaisons serving it."""
    return neighborhood_id is not None and neighborhood_id in liaison_neighborhoods(user)


def may_see_liaison_filing_contact(user: Someone, filed_by_id: int | None) -> bool:
    """The neighbor's contact details on a request a liaison filed: that liaison only (community staff and
    the contact centre read them through their own rules)."""
    return isinstance(user, User) and is_liaison(user) and filed_by_id is not None and filed_by_id == user.pk


def may_sign_in_by_email_link(user: Someone, *, in_programme: bool, withdrawn: bool) -> bool:
    """Whether a link e-mailed to this account's address signs into it (`people.email_sign_in`): only an
    account that may hold the liaison role (never staff, who sign in with a password and a second factor),
    serving as a liaison now or in the program (accepted, active, lapsed), and not withdrawn from it. The
    program's record is the community app's: its caller passes what it says."""
    if withdrawn or not may_hold_liaison_role(user):
        return False
    return in_programme or is_liaison(user)


def liaison_accounts(users: QuerySet[User]) -> QuerySet[User]:
    """`users` narrowed to active liaisons: the filter form of `is_liaison` (for a program message)."""
    return users.filter(
        is_active=True, is_staff=False, is_superuser=False, role_assignments__role__in=NEIGHBORHOOD_ROLES
    ).distinct()


def may_use_liaison_account(user: Someone, in_programme: bool) -> bool:
    """A liaison's own pages that need no role rows (their trainings, their certificates): an active
    resident's account whose Liaison record is not withdrawn (`in_programme`, read by the caller), so an
    accepted liaison not yet trained signs up for their first training here."""
    return bool(in_programme) and may_hold_liaison_role(user)


def may_manage_liaison_training(user: Someone, liaison_user_id: int | None, in_programme: bool) -> bool:
    """Registering a liaison for a training (or taking them off it), and a liaison leaving the program:
    community staff, and the liaison themselves while in the program."""
    if may_run_community_programmes(user):
        return True
    return (
        isinstance(user, User)
        and liaison_user_id is not None
        and user.pk == liaison_user_id
        and may_use_liaison_account(user, in_programme)
    )


def may_download_certificate(user: Someone, liaison_user_id: int | None) -> bool:
    """A liaison's certificate of completion: community staff, and the liaison it was made for."""
    if may_run_community_programmes(user):
        return True
    return (
        isinstance(user, User)
        and user.is_authenticated
        and user.is_active
        and liaison_user_id is not None
        and user.pk == liaison_user_id
    )


def may_manage_escalations(user: Someone, department: Department | int | None = None) -> bool:
    """Supervisors and admins: every department's escalations. Department managers: their departments'
    (with no department given: whether they manage any)."""
    if roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN}:
        return True
    managed = departments_of(user, roles=(StaffRole.DEPARTMENT_MANAGER,))
    if department is None:
        return bool(managed)
    department_id = department if isinstance(department, int) else department.pk
    return department_id in managed


def may_manage_response_templates(user: Someone, department: Department | int | None) -> bool:
    """Writing the replies staff start notes from: supervisors and admins, any (a city-wide one has no
    department); department managers, their departments' only."""
    if roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN}:
        return True
    if department is None:
        return False
    department_id = department if isinstance(department, int) else department.pk
    return department_id in departments_of(user, roles=(StaffRole.DEPARTMENT_MANAGER,))


def may_edit_knowledge(user: Someone) -> bool:
    """Writing, reviewing and publishing knowledge-base articles: supervisors and admins."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN})


def may_see_search_analytics(user: Someone) -> bool:
    """What residents and agents search for and read: supervisors, department managers, admins."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.DEPARTMENT_MANAGER, StaffRole.ADMIN})


# The contact centre's wall figures: for the people who answer, survey and manage the work, and leadership.
READER_BOARD_ROLES = (
    StaffRole.AGENT,
    StaffRole.SUPERVISOR,
    StaffRole.SURVEYOR,
    StaffRole.DEPARTMENT_MANAGER,
    StaffRole.LEADERSHIP,
    StaffRole.ADMIN,
)


def may_see_reader_board(user: Someone) -> bool:
    """The contact centre's reader board (`READER_BOARD_ROLES`)."""
    return bool(roles_of(user) & set(READER_BOARD_ROLES))


def may_manage_wall_screens(user: Someone) -> bool:
    """Wall screens show the reader board to anyone in the room: only admins set them up and revoke them."""
    return is_admin(user)


def may_see_satisfaction_reports(user: Someone) -> bool:
    """The monthly and quarterly satisfaction reports (by question, channel and team): leadership,
    supervisors, admins. Per-agent results are `may_see_agent_results`'s, not theirs."""
    return bool(roles_of(user) & {StaffRole.LEADERSHIP, StaffRole.SUPERVISOR, StaffRole.ADMIN})


def may_see_agent_results(user: Someone, agent: User) -> bool:
    """An agent's own survey results are for coaching: the agent and the supervisor of the agent's team
    only (not other supervisors, not leadership, not admins)."""
    staff = _staff(user)
    if staff is None:
        return False
    if agent.pk == staff.pk:
        return True
    if StaffRole.SUPERVISOR not in roles_of(staff) or agent.team is None:  # select_related("team") saves a query
        return False
    return agent.team.supervisor_id == staff.pk


def may_see_own_survey_results(user: Someone) -> bool:
    """Agents have survey results of their own ("My survey results")."""
    return StaffRole.AGENT in roles_of(user)


def may_supervise_team(user: Someone) -> bool:
    """A contact-centre team's supervisor holds the supervisor role."""
    return StaffRole.SUPERVISOR in roles_of(user)


def may_declare_emergency(user: Someone) -> bool:
    """Declaring (and ending) an emergency such as a snow emergency: supervisors and admins."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN})


def require(rule_result: bool, message: str) -> None:
    """Raise PermissionDenied(message) unless the rule allowed it: `require(may_x(actor, thing), _("…"))`."""
    if not rule_result:
        raise PermissionDenied(message)


__all__ = [
    "GROUP_PREFIX",
    "READER_BOARD_ROLES",
    "ROLE_NAMES",
    "ROLE_PERMISSIONS",
    "assignable_accounts",
    "assignable_department_staff",
    "departments_of",
    "forget_liaison_neighborhoods",
    "forget_roles",
    "group_name",
    "holds_any_role",
    "inbox_assignees",
    "is_admin",
    "is_department_role",
    "is_liaison",
    "is_role",
    "is_staff_member",
    "liaison_accounts",
    "liaison_neighborhoods",
    "managed_departments",
    "may_be_assigned_requests",
    "may_browse_requesters",
    "may_change_request",
    "may_declare_emergency",
    "may_delete_records",
    "may_download_certificate",
    "may_edit_knowledge",
    "may_erase_personal_data",
    "may_export_personal_data",
    "may_file_as_liaison",
    "may_file_request",
    "may_follow_neighborhood",
    "may_grant_roles",
    "may_hold_liaison_role",
    "may_hold_roles",
    "may_look_at_contact",
    "may_manage_escalations",
    "may_manage_inbox",
    "may_manage_liaison_training",
    "may_manage_response_templates",
    "may_manage_teams",
    "may_manage_wall_screens",
    "may_open_staff_pages",
    "may_oversee_console",
    "may_read_audits",
    "may_reset_second_factor",
    "may_run_community_programmes",
    "may_run_community_programmes_in",
    "may_see_agent_results",
    "may_see_city",
    "may_see_contact_details",
    "may_see_customers",
    "may_see_liaison_filing_contact",
    "may_see_own_survey_results",
    "may_see_programme_figures",
    "may_see_reader_board",
    "may_see_role_assignments",
    "may_see_satisfaction_reports",
    "may_see_search_analytics",
    "may_sign_in_as_staff",
    "may_sign_in_by_email_link",
    "may_supervise_team",
    "may_survey",
    "may_survey_without_training",
    "may_take_follow_ups",
    "may_use_console",
    "may_use_liaison_account",
    "may_use_staff_api",
    "may_view_request",
    "may_work_every_city",
    "may_work_every_department",
    "may_work_inbox",
    "may_work_queues",
    "offered_follow_up_owners",
    "pilot_participant_accounts",
    "require",
    "roles_of",
    "sees_jurisdiction",
    "visible_requests",
]


# --- text intelligence (issue 19) -------------------------------------------------------------------------


def may_see_social_trends(user: Someone) -> bool:
    """The mood of the city's posts and its top wants: supervisors, leadership, admins."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN})


def may_read_texts(user: Someone) -> bool:
    """Asking the text reader (services, kind, sentiment, places of a text) through the staff API: anyone
    who may use the staff API; what it answers is the city's catalogue and no one's data."""
    return may_use_staff_api(user)


def may_retrain_text_models(user: Someone) -> bool:
    """Training a new version of the service suggester and choosing the one in use: admins."""
    return is_admin(user)


# --- customer journeys (issue 20) -------------------------------------------------------------------------


def may_see_customer_journey(user: Someone) -> bool:
    """One customer's timeline across channels: whoever may view the customer's record (it is personal data,
    and each look is audited like a look at the record)."""
    return may_see_contact_details(user)


def may_see_centre_journeys(user: Someone) -> bool:
    """The centre-wide journey figures (repeat contacts, first-contact resolution, paths, where satisfaction
    drops): supervisors, leadership, admins; not agents."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN})


# --- forecasts and staffing (issue 20) ---------------------------------------------------------------------


def may_see_forecasts(user: Someone) -> bool:
    """The volume forecast and the agents needed per half hour: supervisors, leadership, admins; not agents."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN})


def may_adjust_forecasts(user: Someone) -> bool:
    """An emergency adjustment of the forecast, and the city's staffing target: supervisors and admins."""
    return bool(roles_of(user) & {StaffRole.SUPERVISOR, StaffRole.ADMIN})


def may_adjust_forecasts_in(user: Someone, jurisdiction_id: int | None) -> bool:
    """`may_adjust_forecasts`, for a city whose staff pages they see."""
    return may_adjust_forecasts(user) and may_see_city(user, jurisdiction_id)


# --- operations dashboards and the leadership report (issue 20) ---------------------------------------------


_OPERATIONS_CITYWIDE = frozenset({StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN})


def may_see_operations(user: Someone) -> bool:
    """The operations dashboard and the leadership report: supervisors, leadership and admins (the whole
    city), and department managers (their departments only, `operations_departments`)."""
    return bool(roles_of(user) & (_OPERATIONS_CITYWIDE | {StaffRole.DEPARTMENT_MANAGER}))


def operations_departments(user: Someone) -> frozenset[int] | None:
    """The departments whose figures the user may see on the operations pages: None for every department
    (supervisors, leadership, admins), else those they manage (empty for someone who may not see them)."""
    if roles_of(user) & _OPERATIONS_CITYWIDE:
        return None
    return managed_departments(user)


def may_see_centre_figures(user: Someone) -> bool:
    """The contact centre's own figures beside the operations (first-contact resolution, repeat contacts,
    satisfaction, deflection, social mood): who sees the centre's journeys; not a department manager."""
    return may_see_centre_journeys(user)


# --- reviews of the resident translations (issue 21) --------------------------------------------------------


def may_review_translations(user: Someone) -> bool:
    """Mark messages of a resident catalogue as reviewed by a speaker, withdraw a review, and see the review
    pages (`/translations/review/`): admins. Often an admin records the review a speaker did; a reviewer's own
    role (a new `StaffRole` and its group) would open it to more staff, here, once."""
    return is_admin(user)
