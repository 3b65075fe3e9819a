"""Every rule about who may do what lives in `civic311.people.roles`: the rules the pages, the console, the
queues and the surveys ask there (role by role), and a scan that no other file names a role to decide."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from civic311.people import roles
from civic311.people.models import StaffRole, User
from civic311.people.staff_pages import staff_navigation

from .factories import DepartmentFactory, JurisdictionFactory, StaffFactory, with_role
from .roles_helpers import World

R = StaffRole
ROOT = Path(__file__).resolve().parent.parent / "civic311"

# --- the rules moved here, role by role ----------------------------------------------------------------

RULES = {
    "use console": roles.may_use_console,
    "oversee console": roles.may_oversee_console,
    "work queues": roles.may_work_queues,
    "work every department": roles.may_work_every_department,
    "survey without training": roles.may_survey_without_training,
    "take follow-ups": roles.may_take_follow_ups,
    "reader board": roles.may_see_reader_board,
    "own survey results": roles.may_see_own_survey_results,
    "supervise a team": roles.may_supervise_team,
    "manage wall screens": roles.may_manage_wall_screens,
    "grant roles": roles.may_grant_roles,
    "manage teams": roles.may_manage_teams,
    "work every city": roles.may_work_every_city,
    "open staff pages": roles.may_open_staff_pages,
    "hold a contact-centre role": lambda user: roles.holds_any_role(user, [R.AGENT, R.SUPERVISOR]),
}
OVERSIGHT = {"oversee console", "work every department", "survey without training", "take follow-ups"}
ADMINISTRATION = {"manage wall screens", "grant roles", "manage teams", "work every city"}
CONTACT_CENTRE = {"open staff pages", "hold a contact-centre role"}
ALLOWED: dict[str, set[str]] = {
    "agent": {"use console", "reader board", "own survey results"} | CONTACT_CENTRE,
    "supervisor": {"use console", "work queues", "reader board", "supervise a team"} | OVERSIGHT | CONTACT_CENTRE,
    "department staff": {"work queues", "open staff pages"},
    "department manager": {"work queues", "reader board", "open staff pages"},
    "surveyor": {"reader board", "open staff pages"},
    "community staff": {"open staff pages"},
    "leadership": {"reader board", "open staff pages"},
    "admin": {"use console", "work queues", "reader board", "open staff pages"} | OVERSIGHT | ADMINISTRATION,
    "superuser": {"use console", "work queues", "reader board", "open staff pages"} | OVERSIGHT | ADMINISTRATION,
    "staff without a role": set(),
    "inactive agent": set(),
    "not staff (holding an agent row)": set(),
    "nobody (anonymous)": set(),
}


@pytest.fixture
def world(db):
    return World()


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("kind", list(ALLOWED))
def test_the_moved_rules_role_by_role(world, kind, rule):
    assert RULES[rule](world.subject(kind)) is (rule in ALLOWED[kind]), f"{kind} / {rule}"


@pytest.mark.parametrize("kind", list(ALLOWED))
def test_the_staff_menu_asks_the_same_rules(world, kind):
    user = world.subject(kind)
    request = RequestFactory().get("/")
    request.user = user
    context = staff_navigation(request)
    if not roles.is_staff_member(user):
        assert context == {}
        return
    assert context["staff_may_use_console"] is roles.may_use_console(user)
    assert context["staff_may_work_queues"] is roles.may_work_queues(user)
    assert context["staff_may_see_reader_board"] is roles.may_see_reader_board(user)
    assert context["staff_has_survey_results"] is roles.may_see_own_survey_results(user)
    assert context["staff_may_reset_second_factor"] is roles.may_reset_second_factor(user)


def test_managed_departments_are_the_managers_only(world):
    manager = world.subject("department manager")
    crew = with_role(StaffFactory(username="crew"), R.DEPARTMENT_STAFF, world.streets)
    assert roles.managed_departments(manager) == {world.streets.pk}
    assert roles.managed_departments(crew) == frozenset()
    assert roles.managed_departments(AnonymousUser()) == frozenset()
    assert roles.managed_departments(None) == frozenset()


def test_another_agents_contact_is_for_admins_and_the_citys_supervisors(world):
    supervisor, admin = world.subject("supervisor"), world.subject("admin")
    here = world.streets.jurisdiction_id
    elsewhere = JurisdictionFactory(slug="elsewhere", jurisdiction_id="elsewhere.example.org", is_default=False).pk
    assert roles.may_look_at_contact(supervisor, here)
    assert roles.may_look_at_contact(admin, here) and roles.may_look_at_contact(admin, elsewhere)
    for kind in ("agent", "department manager", "surveyor", "inactive agent", "nobody (anonymous)"):
        assert not roles.may_look_at_contact(world.subject(kind), here), kind
    # A supervisor whose home department is in another city does not look at this city's contacts.
    User.objects.filter(pk=supervisor.pk).update(department=DepartmentFactory(jurisdiction_id=elsewhere))
    assert not roles.may_look_at_contact(User.objects.get(pk=supervisor.pk), here)


def test_a_citys_pages_are_for_its_staff_and_admins(world):
    here = world.streets.jurisdiction_id
    elsewhere = JurisdictionFactory(slug="elsewhere", jurisdiction_id="elsewhere.example.org", is_default=False).pk
    agent, admin = world.subject("agent"), world.subject("admin")
    assert roles.may_see_city(agent, here) and roles.may_see_city(agent, elsewhere)  # no home department
    User.objects.filter(pk__in=[agent.pk, admin.pk]).update(department=world.streets)
    agent, admin = User.objects.get(pk=agent.pk), User.objects.get(pk=admin.pk)
    assert roles.may_see_city(agent, here) and not roles.may_see_city(agent, elsewhere)
    assert roles.may_see_city(admin, here) and roles.may_see_city(admin, elsewhere)
    assert not roles.may_see_city(agent, None)


# --- superusers only, and staff accounts whatever their roles ----------------------------------------------

SUPERUSER_RULES = [
    roles.may_delete_records,
    roles.may_browse_requesters,
    roles.may_read_audits,
    roles.may_reset_second_factor,
]
ACCOUNT_RULES = [roles.may_sign_in_as_staff, roles.may_use_staff_api, roles.may_be_assigned_requests]


@pytest.mark.parametrize("rule", SUPERUSER_RULES)
def test_superuser_rules_are_for_active_superusers_only(world, rule):
    assert rule(world.subject("superuser"))
    for kind in ("admin", "supervisor", "agent", "staff without a role", "nobody (anonymous)"):
        assert not rule(world.subject(kind)), kind
    assert not rule(None)
    inactive = world.subject("superuser")
    inactive.is_active = False
    assert not rule(inactive)


@pytest.mark.parametrize("rule", ACCOUNT_RULES)
def test_account_rules_are_for_active_staff_accounts(world, rule):
    for kind in ("agent", "staff without a role", "superuser", "community staff"):
        assert rule(world.subject(kind)), kind
    for kind in ("inactive agent", "not staff (holding an agent row)", "nobody (anonymous)"):
        assert not rule(world.subject(kind)), kind
    assert not rule(None)
    # A superuser flag without the staff flag is not a staff account.
    assert not rule(StaffFactory(username="root-only", is_staff=False, is_superuser=True))


def test_only_staff_accounts_hold_roles(world):
    assert roles.may_hold_roles(world.subject("staff without a role"))
    assert roles.may_hold_roles(world.subject("inactive agent"))  # the rows grant nothing while inactive
    assert not roles.may_hold_roles(world.subject("not staff (holding an agent row)"))
    assert not roles.may_hold_roles(AnonymousUser())
    assert not roles.may_hold_roles(None)


def test_the_role_names(db):
    # Every role but the liaison's, which the Neighborhood Liaison Program grants to residents' accounts.
    assert set(roles.ROLE_NAMES) == set(R.values) - {R.LIAISON}
    assert all(roles.is_role(name) for name in R.values if name != R.LIAISON)
    assert not roles.is_role(R.LIAISON)
    for bad in ("", "Agent", "agent ", "root", "department", "0"):
        assert not roles.is_role(bad), bad
    assert {name for name in roles.ROLE_NAMES if roles.is_department_role(name)} == {
        "department_staff",
        "department_manager",
    }
    assert not roles.is_department_role("") and not roles.is_department_role("streets")


def test_whom_a_queue_offers_for_assignment(world):
    manager = world.subject("department manager")
    crew = with_role(StaffFactory(username="crew"), R.DEPARTMENT_STAFF, world.streets)
    world.subject("agent")
    other = with_role(StaffFactory(username="waterworks"), R.DEPARTMENT_STAFF, world.water)
    gone = with_role(StaffFactory(username="gone"), R.DEPARTMENT_STAFF, world.streets)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    offered = roles.assignable_department_staff(User.objects.all(), [world.streets.pk]).distinct()
    assert set(offered) == {crew, manager}
    assert set(roles.assignable_department_staff(User.objects.all(), [world.water.pk]).distinct()) == {other}
    assert not roles.assignable_department_staff(User.objects.all(), []).exists()


def test_whom_a_transfer_offers(world):
    supervisor = world.subject("supervisor")
    world.subject("admin"), world.subject("agent")
    assert list(roles.offered_follow_up_owners(User.objects.all()).distinct()) == [supervisor]


def test_the_second_factor_page_links_the_reset_for_superusers_only(world):
    template = Template("{% if staff_may_reset_second_factor %}reset{% endif %}")
    for kind, shown in (("superuser", True), ("admin", False), ("agent", False)):
        request = RequestFactory().get("/")
        request.user = world.subject(kind)
        assert (template.render(Context(staff_navigation(request))) == "reset") is shown, kind


def test_the_second_factor_page_shows_the_reset_link_to_superusers_only(client, world):
    reset = reverse("people:second_factor_reset")
    for kind, shown in (("superuser", True), ("admin", False), ("supervisor", False)):
        client.force_login(world.subject(kind))
        page = client.get(reverse("people:second_factor"))
        assert page.status_code == 200, kind
        assert (reset in page.content.decode()) is shown, kind


# --- the scan: no other file names a role to decide -------------------------------------------------------

# The files that may name the roles, and why. Every other file asks `civic311.people.roles`.
ALLOWED_FILES = {
    "people/roles.py": "the rules",
    "people/models.py": "the roles' definition",
    "people/management/commands/add_staff.py": "creates staff with roles (its --role choices)",
    "demo/services.py": "creates the demo city's staff with their roles",
    "demo/surveys.py": "casts the demo's surveyor and supervisor",
    "demo/history.py": "casts the demo's call takers",
    "demo/console_contacts.py": "casts the demo's agents",
}
# The role sets, and the two helpers that let a caller test a role by name (`roles.is_admin(user)`,
# `roles.roles_of(user) & {...}`): a caller asks a rule named for what it allows instead.
ROLE_ENUMS = {"StaffRole", "DEPARTMENT_ROLES", "READER_BOARD_ROLES", "is_admin", "roles_of"}
ACCOUNT_FLAGS = {"is_superuser", "is_staff"}
ROLE_VALUES = frozenset(R.values)
SET_OPERATORS = (ast.BitAnd, ast.BitOr, ast.BitXor, ast.Sub)
# The same as methods: `held.intersection({"admin"})`, `{"supervisor"}.issubset(held)`.
SET_METHODS = frozenset(
    {
        "intersection",
        "issubset",
        "issuperset",
        "isdisjoint",
        "union",
        "difference",
        "symmetric_difference",
        "__contains__",
    }
)
TAG = re.compile(r"\{[%{].*?[%}]\}", re.DOTALL)
TEMPLATE_ROLE = re.compile(
    r"""\b(?:is_superuser|is_staff|staff_roles)\b|\bperms\.|['"](?:""" + "|".join(sorted(ROLE_VALUES)) + r""")['"]"""
)


def _python_files():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in f"/{relative}" or relative in ALLOWED_FILES:
            continue
        yield relative, path


def _template_files():
    for path in sorted(ROOT.rglob("*")):
        if path.suffix in {".html", ".txt"} and "templates" in path.relative_to(ROOT).parts:
            yield path.relative_to(ROOT).as_posix(), path


def _role_strings_in(node: ast.AST) -> list[ast.Constant]:
    return [
        child
        for child in ast.walk(node)
        if isinstance(child, ast.Constant) and isinstance(child.value, str) and child.value in ROLE_VALUES
    ]


def role_decisions_in_python(source: str) -> list[tuple[int, str]]:
    """(line, what) for every place the source names a role or reads an account flag to decide."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in ROLE_ENUMS:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in ROLE_ENUMS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Attribute) and node.attr in ACCOUNT_FLAGS and isinstance(node.ctx, ast.Load):
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.ImportFrom):
            found.extend((node.lineno, alias.name) for alias in node.names if alias.name in ROLE_ENUMS)
        elif isinstance(node, ast.Compare) or (isinstance(node, ast.BinOp) and isinstance(node.op, SET_OPERATORS)):
            # `role == "agent"`, `"supervisor" in held`, `held & {"admin"}` (not `_("%(supervisor)s") % {...}`)
            found.extend((c.lineno, repr(c.value)) for c in _role_strings_in(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}:
            # `getattr(request.user, "is_superuser", False)`
            flag = node.args[1] if len(node.args) > 1 else None
            if isinstance(flag, ast.Constant) and flag.value in ACCOUNT_FLAGS | ROLE_ENUMS:
                found.append((node.lineno, f".{flag.value}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SET_METHODS:
            for part in (node.func.value, *node.args):
                found.extend((c.lineno, repr(c.value)) for c in _role_strings_in(part))
        elif isinstance(node, ast.match_case):
            # `match role: case "agent": ...`
            found.extend((c.lineno, repr(c.value)) for c in _role_strings_in(node.pattern))
        elif isinstance(node, ast.keyword) and node.arg and "role" in node.arg:
            # `departments_of(user, roles=("department_manager",))`, `filter(role_assignments__role="agent")`
            found.extend((c.lineno, repr(c.value)) for c in _role_strings_in(node.value))
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            # a role set: two roles or more side by side
            named = [e for e in node.elts if isinstance(e, ast.Constant) and e.value in ROLE_VALUES]
            if len({e.value for e in named}) >= 2:
                found.extend((e.lineno, repr(e.value)) for e in named)
    return sorted(set(found))


def role_decisions_in_template(text: str) -> list[tuple[int, str]]:
    found = []
    for tag in TAG.finditer(text):
        for hit in TEMPLATE_ROLE.finditer(tag.group()):
            found.append((text.count("\n", 0, tag.start() + hit.start()) + 1, hit.group()))
    return found


def test_only_the_roles_module_names_roles():
    """Nothing outside people/roles.py (and ALLOWED_FILES) names a role or reads is_superuser / is_staff:
    ask a rule of `civic311.people.roles` (or, in a template, a `staff_may_*` flag of `staff_navigation`)."""
    offences = [
        f"civic311/{relative}:{line}: {what}"
        for relative, path in _python_files()
        for line, what in role_decisions_in_python(path.read_text(encoding="utf-8"))
    ]
    offences += [
        f"civic311/{relative}:{line}: {what}"
        for relative, path in _template_files()
        for line, what in role_decisions_in_template(path.read_text(encoding="utf-8"))
    ]
    assert not offences, "Who may do what is decided in civic311/people/roles.py only:\n" + "\n".join(offences)


def test_the_allowed_files_exist():
    # An allowance outliving its file would silently let a new file of that name through.
    assert all((ROOT / relative).is_file() for relative in ALLOWED_FILES)


# The scan itself: it finds each way of naming a role, and lets the usual words through.
@pytest.mark.parametrize(
    "source",
    [
        "from civic311.people.models import StaffRole\n",
        "from civic311.people import models\nx = models.StaffRole.AGENT\n",
        "ok = bool(held & {StaffRole.SUPERVISOR})\n",
        "ok = role == 'supervisor'\n",
        "ok = 'admin' in held\n",
        "ok = held & {'agent'}\n",
        "others = held - {'admin'}\n",
        "managed = departments_of(user, roles=('department_manager',))\n",
        "q = User.objects.filter(role_assignments__role='surveyor')\n",
        "WORK = ('department_staff', 'department_manager')\n",
        "ok = user.is_superuser\n",
        "ok = request.user.is_active and request.user.is_staff\n",
        "from civic311.people.roles import READER_BOARD_ROLES\n",
        "ok = roles.is_admin(user)\n",
        "ok = 'x' in roles.roles_of(user)\n",
        "from civic311.people.roles import roles_of\n",
        "ok = getattr(request.user, 'is_superuser', False)\n",
        "ok = held.intersection({'admin'})\n",
        "ok = {'supervisor'}.issubset(held)\n",
        "ok = held.__contains__('agent')\n",
        "match role:\n    case 'agent':\n        ok = True\n",
    ],
)
def test_the_scan_finds_a_role_named(source):
    assert role_decisions_in_python(source), source


@pytest.mark.parametrize(
    "source",
    [
        "fields = ('started_at', 'channel', 'agent', 'summary')\n",
        "WHERE = 'admin'\n",
        "audit(user, where='admin')\n",
        "tally.by('agent')\n",
        "message = _('Hand over to %(supervisor)s') % {'supervisor': name}\n",
        "user.is_staff = True\n",
        "ok = roles.may_use_console(user)\n",
        '"""Agents, supervisors and admins: StaffRole.AGENT in a docstring is words."""\n',
    ],
)
def test_the_scan_lets_other_words_through(source):
    assert not role_decisions_in_python(source), source


def test_the_scan_reads_templates():
    text = (
        "<p>{% translate 'Supervisor' %}</p>\n{% if user.is_superuser %}x{% endif %}\n{% if 'agent' in staff_roles %}"
    )
    assert [line for line, _what in role_decisions_in_template(text)] == [2, 3, 3]
    assert not role_decisions_in_template("{% url 'admin:index' %} {% if staff_may_survey %}agent{% endif %}")
