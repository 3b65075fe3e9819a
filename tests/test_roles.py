"""Staff roles: who may see and change what (the matrix), granting and revoking, and groups following roles."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from civic311.demo import services as demo
from civic311.people import roles, selectors
from civic311.people.models import RoleAssignment, StaffRole, Team, User
from civic311.people.services import grant_role, revoke_role
from civic311.service_requests.models import ServiceRequest

from .factories import DepartmentFactory, JurisdictionFactory, StaffFactory
from .roles_helpers import World

pytestmark = pytest.mark.django_db
R = StaffRole
# The roles staff are granted: all but the liaison's (a resident's account, granted by the programme).
STAFF_ROLES = [role for role in R if role != R.LIAISON]

# --- the matrix -------------------------------------------------------------------------------------------
# "ours": a request of the subject's department (Streets); "theirs": one of another department (Water).
# "assigned": assigned to the subject.

RULES = {
    "view ours": lambda u, w: roles.may_view_request(u, w.ours),
    "view theirs": lambda u, w: roles.may_view_request(u, w.theirs),
    "list ours": lambda u, w: roles.visible_requests(u, ServiceRequest.objects.all()).filter(pk=w.ours.pk).exists(),
    "list theirs": lambda u, w: roles.visible_requests(u, ServiceRequest.objects.all()).filter(pk=w.theirs.pk).exists(),
    "change ours": lambda u, w: roles.may_change_request(u, w.ours),
    "change theirs": lambda u, w: roles.may_change_request(u, w.theirs),
    "contact details": lambda u, w: roles.may_see_contact_details(u),
    "contact details of ours": lambda u, w: roles.may_see_contact_details(u, w.ours),
    "contact details of ours, assigned": lambda u, w: roles.may_see_contact_details(u, w.assigned(w.ours, u)),
    "contact details of theirs, assigned": lambda u, w: roles.may_see_contact_details(u, w.assigned(w.theirs, u)),
    "survey": lambda u, w: roles.may_survey(u),
    "community programs": lambda u, w: roles.may_run_community_programmes(u),
    "escalations of ours": lambda u, w: roles.may_manage_escalations(u, w.ours.department),
    "escalations of theirs": lambda u, w: roles.may_manage_escalations(u, w.theirs.department_id),
    "response templates of ours": lambda u, w: roles.may_manage_response_templates(u, w.streets),
    "response templates of theirs": lambda u, w: roles.may_manage_response_templates(u, w.water.pk),
    "city-wide response templates": lambda u, w: roles.may_manage_response_templates(u, None),
    "edit knowledge": lambda u, w: roles.may_edit_knowledge(u),
    "search analytics": lambda u, w: roles.may_see_search_analytics(u),
    "declare emergency": lambda u, w: roles.may_declare_emergency(u),
    "satisfaction reports": lambda u, w: roles.may_see_satisfaction_reports(u),
}
EVERYTHING = frozenset(RULES)
ASSIGNED = {"contact details of ours, assigned", "contact details of theirs, assigned"}
VIEW_ALL = {"view ours", "view theirs", "list ours", "list theirs"}
CONTACT_ALL = {"contact details", "contact details of ours"} | ASSIGNED

# What each kind of account may do; every rule not listed is refused.
ALLOWED: dict[str, set[str]] = {
    "agent": VIEW_ALL | CONTACT_ALL,
    "supervisor": VIEW_ALL
    | CONTACT_ALL
    | {
        "change ours",
        "change theirs",
        "survey",
        "escalations of ours",
        "escalations of theirs",
        "response templates of ours",
        "response templates of theirs",
        "city-wide response templates",
        "edit knowledge",
        "search analytics",
        "declare emergency",
        "satisfaction reports",
    },
    "department staff": {"view ours", "list ours", "change ours"} | ASSIGNED,
    "department manager": {
        "view ours",
        "list ours",
        "change ours",
        "escalations of ours",
        "response templates of ours",
        "search analytics",
    }
    | ASSIGNED,
    "surveyor": {"survey"} | ASSIGNED,
    "community staff": {"community programs"} | ASSIGNED,
    "leadership": {"satisfaction reports"} | ASSIGNED,
    "admin": set(EVERYTHING),
    "superuser": set(EVERYTHING),
    "staff without a role": set(ASSIGNED),
    "inactive agent": set(),
    "not staff (holding an agent row)": set(),
    "nobody (anonymous)": set(),
}


@pytest.fixture
def world(db):
    return World()


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("kind", list(ALLOWED))
def test_permission_matrix(world, kind, rule):
    user = world.subject(kind)
    assert RULES[rule](user, world) is (rule in ALLOWED[kind]), f"{kind} / {rule}"


def test_every_role_is_in_the_matrix():
    assert {role.label.lower() for role in R} >= set()  # labels are for people; the kinds below are the roles
    assert {
        "agent",
        "supervisor",
        "department staff",
        "department manager",
        "surveyor",
        "community staff",
        "leadership",
        "admin",
    } <= set(ALLOWED)


def test_department_staff_of_two_departments_see_both(world):
    user = world.subject("department staff")
    grant_role(user, R.DEPARTMENT_STAFF, department=world.water, actor=None)
    assert roles.departments_of(user) == {world.streets.pk, world.water.pk}
    assert roles.may_change_request(user, world.theirs)
    assert set(roles.visible_requests(user, ServiceRequest.objects.all())) == {world.ours, world.theirs}


def test_agents_see_only_their_home_jurisdiction(world):
    elsewhere = JurisdictionFactory(
        slug="elsewhere", name="Elsewhere", jurisdiction_id="elsewhere.gov", is_default=False
    )
    home = DepartmentFactory(jurisdiction=elsewhere)
    agent = StaffFactory(username="far-agent", department=home)
    grant_role(agent, R.AGENT, actor=None)
    assert not roles.may_view_request(agent, world.ours)
    assert not roles.visible_requests(agent, ServiceRequest.objects.all()).exists()
    assert roles.may_see_contact_details(agent)  # the CRM is scoped by the services that search it


def test_require_raises_permission_denied_with_the_message():
    roles.require(True, "never shown")
    with pytest.raises(PermissionDenied, match="No, thanks"):
        roles.require(False, "No, thanks")


def test_selectors_delegate_to_the_roles(world):
    agent, crew = world.subject("agent"), world.subject("department staff")
    assert selectors.may_see_contact_details(agent)
    assert not selectors.may_see_contact_details(crew)
    assert selectors.may_see_contact_details(crew, service_request=world.assigned(world.ours, crew))


# --- granting and revoking --------------------------------------------------------------------------------


def test_only_admins_grant_and_revoke(world):
    target, supervisor = StaffFactory(username="target"), world.subject("supervisor")
    with pytest.raises(PermissionDenied):
        grant_role(target, R.AGENT, actor=supervisor)
    grant_role(target, R.AGENT, actor=world.subject("admin"))
    with pytest.raises(PermissionDenied):
        revoke_role(target, R.AGENT, actor=supervisor)
    revoke_role(target, R.AGENT, actor=world.subject("superuser"))
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_a_grant_records_who_and_when_and_the_admin_log(world):
    admin, target = world.subject("admin"), StaffFactory(username="target")
    assignment = grant_role(target, R.SURVEYOR, actor=admin)
    assert assignment.granted_by == admin and assignment.granted_at is not None
    revoke_role(target, R.SURVEYOR, actor=admin)
    assert list(
        LogEntry.objects.filter(object_id=str(target.pk)).order_by("pk").values_list("change_message", flat=True)
    ) == ["Granted surveyor", "Revoked surveyor"]


@pytest.mark.parametrize(
    ("role", "with_department", "error"),
    [
        (R.DEPARTMENT_STAFF, False, "department"),
        (R.DEPARTMENT_MANAGER, False, "department"),
        (R.AGENT, True, "department"),
        (R.ADMIN, True, "department"),
        ("janitor", False, "role"),
    ],
)
def test_a_department_exactly_for_the_department_roles(world, role, with_department, error):
    target = StaffFactory(username="target")
    with pytest.raises(ValidationError) as raised:
        grant_role(target, role, department=world.streets if with_department else None, actor=None)
    assert set(raised.value.message_dict) == {error}
    assert not RoleAssignment.objects.exists()


def test_duplicates_are_refused(world):
    target = StaffFactory(username="target")
    grant_role(target, R.AGENT, actor=None)
    grant_role(target, R.DEPARTMENT_STAFF, department=world.streets, actor=None)
    grant_role(target, R.DEPARTMENT_STAFF, department=world.water, actor=None)  # another department: fine
    for role, department in ((R.AGENT, None), (R.DEPARTMENT_STAFF, world.streets)):
        with pytest.raises(ValidationError) as raised:
            grant_role(target, role, department=department, actor=None)
        assert "role" in raised.value.message_dict
    # And the database refuses them too, NULL department included.
    for role, department in ((R.AGENT, None), (R.DEPARTMENT_STAFF, world.streets)):
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleAssignment.objects.create(user=target, role=role, department=department)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=target, role=R.SURVEYOR, department=world.streets)


def test_non_staff_accounts_hold_no_role(world):
    resident = StaffFactory(username="resident", is_staff=False)
    with pytest.raises(ValidationError) as raised:
        grant_role(resident, R.AGENT, actor=None)
    assert set(raised.value.message_dict) == {"user"}


def test_revoking_a_role_not_held_is_refused(world):
    with pytest.raises(ValidationError):
        revoke_role(StaffFactory(username="target"), R.AGENT, actor=None)


# --- groups follow roles ----------------------------------------------------------------------------------


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_groups_follow_grants_and_revokes(world):
    target = StaffFactory(username="target")
    other = Group.objects.create(name="Newsletter editors")
    target.groups.add(other)
    grant_role(target, R.AGENT, actor=None)
    assert set(fresh(target).groups.values_list("name", flat=True)) == {"Role: agent", "Newsletter editors"}
    assert fresh(target).has_perm("people.view_customer")
    assert fresh(target).has_perm("requests.add_servicerequest")
    assert not fresh(target).has_perm("requests.change_servicerequest")
    revoke_role(target, R.AGENT, actor=None)
    assert set(fresh(target).groups.values_list("name", flat=True)) == {"Newsletter editors"}
    assert not fresh(target).has_perm("people.view_customer")


def test_a_department_role_in_two_departments_keeps_its_group_until_the_last_goes(world):
    target = StaffFactory(username="target")
    grant_role(target, R.DEPARTMENT_STAFF, department=world.streets, actor=None)
    parks = DepartmentFactory(jurisdiction=world.streets.jurisdiction, slug="parks")
    grant_role(target, R.DEPARTMENT_STAFF, department=parks, actor=None)
    revoke_role(target, R.DEPARTMENT_STAFF, department=world.streets, actor=None)
    assert fresh(target).has_perm("requests.change_servicerequest")
    assert not fresh(target).has_perm("people.view_customer")
    parks.delete()  # the department goes, its roles (and the group) with it
    assert not RoleAssignment.objects.filter(user=target).exists()
    assert not fresh(target).groups.exists()


def test_deleting_a_user_with_roles_works(world):
    target = world.subject("department manager")
    target.delete()
    assert not RoleAssignment.objects.exists()


def test_sync_role_groups_is_idempotent_and_repairs(world):
    call_command("sync_role_groups", stdout=open("/dev/null", "w"))  # noqa: SIM115
    target = world.subject("supervisor")
    call_command("sync_role_groups", stdout=open("/dev/null", "w"))  # noqa: SIM115
    groups = Group.objects.filter(name__startswith=roles.GROUP_PREFIX)
    assert groups.count() == len(STAFF_ROLES)
    for group in groups:
        role = group.name.removeprefix(roles.GROUP_PREFIX)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == roles.ROLE_PERMISSIONS[role]
    # Hand edits are put right: a permission taken from a group, a user taken out of their role's group.
    Group.objects.get(name="Role: supervisor").permissions.clear()
    fresh(target).groups.clear()
    call_command("sync_role_groups", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert fresh(target).has_perm("requests.change_escalation")
    assert Group.objects.filter(name__startswith=roles.GROUP_PREFIX).count() == len(STAFF_ROLES)


def test_role_permissions_name_real_permissions_and_keep_contact_details_to_the_front_office():
    assert set(roles.ROLE_PERMISSIONS) == set(STAFF_ROLES)
    holders = {role for role, permissions in roles.ROLE_PERMISSIONS.items() if "people.view_customer" in permissions}
    assert holders == {R.AGENT, R.SUPERVISOR, R.ADMIN}
    from civic311.people.services import ensure_role_groups

    assert len(ensure_role_groups()) == len(STAFF_ROLES)  # raises on an unknown permission


# --- the admin and the demo ------------------------------------------------------------------------------


def test_the_staff_admin_shows_and_grants_roles(client, world):
    admin = StaffFactory(username="root", is_superuser=True)
    target = world.subject("agent")
    client.force_login(admin)
    url = f"/admin/people/user/{target.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200 and b"role_assignments-TOTAL_FORMS" in response.content
    form = response.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in ("password", "groups", "user_permissions", "last_login", "date_joined") and value is not None
    }
    data.update(
        {
            "date_joined_0": "2024-01-01",
            "date_joined_1": "09:00",
            "is_active": "on",
            "is_staff": "on",
            "role_assignments-TOTAL_FORMS": "2",
            "role_assignments-INITIAL_FORMS": "1",
            "role_assignments-0-id": RoleAssignment.objects.get(user=target).pk,
            "role_assignments-0-user": target.pk,
            "role_assignments-0-role": R.AGENT,
            "role_assignments-0-DELETE": "on",
            "role_assignments-1-user": target.pk,
            "role_assignments-1-role": R.DEPARTMENT_STAFF,
            "role_assignments-1-department": world.streets.pk,
        }
    )
    data.pop("is_superuser", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(RoleAssignment.objects.filter(user=target).values_list("role", "department")) == {
        (R.DEPARTMENT_STAFF, world.streets.pk)
    }
    assert set(fresh(target).groups.values_list("name", flat=True)) == {"Role: department_staff"}


def test_only_admins_see_the_role_inline_editable(client, world):
    supervisor = world.subject("supervisor")
    assert not roles.is_admin(supervisor)
    from django.contrib.admin.sites import site

    from civic311.people.admin import RoleAssignmentInline, StaffAdmin

    class Request:
        user = supervisor

    inline = RoleAssignmentInline(StaffAdmin, site)
    assert not inline.has_add_permission(Request()) and not inline.has_delete_permission(Request())


def test_demo_staff_get_roles_matching_their_jobs(db):
    city = demo.create_jurisdiction()
    demo.load_catalogue(city)
    demo.create_staff(city)
    demo.create_staff(city)  # again: nothing twice
    held = {
        (a.user.username, a.role, a.department.name if a.department else None)
        for a in RoleAssignment.objects.select_related("user", "department")
    }
    assert len(held) == RoleAssignment.objects.count()
    assert ("admin", R.ADMIN, None) in held
    assert ("rdelgado", R.SUPERVISOR, None) in held
    assert ("ktran", R.SURVEYOR, None) in held
    assert ("abrooks", R.AGENT, None) in held
    assert ("gkim", R.COMMUNITY_STAFF, None) in held
    assert ("dhoward", R.LEADERSHIP, None) in held
    assert ("ohaddad", R.SUPERVISOR, None) in held
    teams = {
        team.name: (
            team.supervisor and team.supervisor.username,
            sorted(team.members.values_list("username", flat=True)),
        )
        for team in Team.objects.select_related("supervisor")
    }
    assert teams == {
        "Day team": ("rdelgado", ["abrooks", "msantos", "rdelgado"]),
        "Evening team": ("ohaddad", ["ewalsh", "jpeterson", "ohaddad"]),
    }
    assert ("tkowalski", R.DEPARTMENT_MANAGER, "Streets Department") in held
    assert ("dcarter", R.DEPARTMENT_STAFF, "Streets Department") in held
    staff = User.objects.filter(is_staff=True, is_superuser=False)
    assert all(roles.roles_of(user) for user in staff)
    assert User.objects.get(username="dcarter").has_perm("requests.change_servicerequest")
    demo.delete_demo_city(city)
    assert set(RoleAssignment.objects.values_list("role", flat=True)) <= {
        R.ADMIN,
        R.AGENT,
        R.SUPERVISOR,
        R.SURVEYOR,
        R.COMMUNITY_STAFF,
        R.LEADERSHIP,
    }
    assert not User.objects.get(username="dcarter").groups.exists()
