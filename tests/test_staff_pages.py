"""The gate in front of the staff pages (console, queues) and the staff menu each role gets."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from civic311.people.models import StaffRole
from civic311.people.staff_pages import current_menu_item, staff_navigation, staff_page

from .factories import DepartmentFactory, StaffFactory, staff_in_role, with_role

pytestmark = pytest.mark.django_db


@staff_page
def any_staff(request):
    return HttpResponse("in")


@staff_page(any_role=(StaffRole.AGENT, StaffRole.SUPERVISOR))
def contact_centre_only(request):
    return HttpResponse("in")


def _get(user, path="/console/somewhere/?x=1"):
    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = user
    return request


def test_anonymous_visitors_are_sent_to_the_staff_sign_in_and_back():
    response = any_staff(_get(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=%2Fconsole%2Fsomewhere%2F%3Fx%3D1"


def test_the_pages_are_never_cached():
    user = with_role(StaffFactory(), StaffRole.AGENT)
    assert "no-cache" in any_staff(_get(user))["Cache-Control"]


@pytest.mark.parametrize(
    "make",
    [
        StaffFactory,  # staff without a role
        lambda: with_role(StaffFactory(is_active=False), StaffRole.AGENT),
        lambda: StaffFactory(is_staff=False),
    ],
)
def test_accounts_without_a_working_role_are_refused(make):
    with pytest.raises(PermissionDenied):
        any_staff(_get(make()))


def test_a_page_for_some_roles_refuses_the_others():
    department = DepartmentFactory()
    assert contact_centre_only(_get(with_role(StaffFactory(), StaffRole.AGENT))).status_code == 200
    with pytest.raises(PermissionDenied):
        contact_centre_only(_get(with_role(StaffFactory(), StaffRole.DEPARTMENT_STAFF, department)))
    superuser = StaffFactory(is_superuser=True)
    with pytest.raises(PermissionDenied):  # an admin, but the page asked for the contact centre only
        contact_centre_only(_get(superuser))


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        (StaffRole.AGENT, {"console", "board"}),
        (StaffRole.SUPERVISOR, {"console", "queues", "overdue", "analytics", "emergencies", "board", "surveys"}),
        (StaffRole.DEPARTMENT_STAFF, {"queues"}),
        (StaffRole.DEPARTMENT_MANAGER, {"queues", "overdue", "analytics", "board"}),
        (StaffRole.SURVEYOR, {"board", "surveys"}),
        (StaffRole.COMMUNITY_STAFF, set()),
        (StaffRole.ADMIN, {"console", "queues", "overdue", "analytics", "emergencies", "board", "surveys"}),
    ],
)
def test_the_staff_menu_follows_the_roles(role, menu):
    context = staff_navigation(_get(staff_in_role(role)))
    shown = {
        name
        for name, key in (
            ("console", "staff_may_use_console"),
            ("queues", "staff_may_work_queues"),
            ("overdue", "staff_may_see_overdue"),
            ("analytics", "staff_may_see_search_analytics"),
            ("emergencies", "staff_may_declare_emergency"),
            ("board", "staff_may_see_reader_board"),
            ("surveys", "staff_may_survey"),
        )
        if context[key]
    }
    assert shown == menu


def test_residents_get_no_staff_menu():
    assert staff_navigation(_get(AnonymousUser())) == {}


# --- the staff menu marks the page being shown, and only it -----------------------------------------------


def _marked_menu_items(html: str) -> list[str]:
    """The hrefs of the staff menu's links marked as the current page."""
    menu = html.split('<ul class="navbar-nav me-auto">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a class="nav-link active" aria-current="page" href="([^"]+)"', menu)


@pytest.fixture
def everything_user(jurisdiction):
    """A member of staff every menu item is shown to: an administrator who also takes calls."""
    return with_role(with_role(StaffFactory(username="morgan"), StaffRole.ADMIN), StaffRole.AGENT)


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/console/", "/console/"),
        ("/work/", "/work/"),
        ("/surveys/", "/surveys/"),
        ("/surveys/follow-ups/", "/surveys/"),
        ("/surveys/reports/", "/surveys/reports/"),
        ("/surveys/reports/month/2026-01/", "/surveys/reports/"),
        ("/surveys/results/{me}/", "/surveys/results/"),
        ("/insights/board/", "/insights/board/"),
        ("/insights/search/", "/insights/search/"),
        ("/emergencies/", "/emergencies/"),
    ],
)
def test_the_staff_menu_marks_exactly_the_current_page(client, everything_user, path, item):
    client.force_login(everything_user)
    response = client.get(path.format(me=everything_user.pk))
    assert response.status_code == 200, path
    assert _marked_menu_items(response.content.decode()) == [item]


def test_a_supervisor_coaching_an_agent_is_in_the_reports_not_in_their_own_results(client, jurisdiction):
    from civic311.people.models import Team

    supervisor = with_role(with_role(StaffFactory(username="rosa"), StaffRole.SUPERVISOR), StaffRole.AGENT)
    agent = with_role(StaffFactory(username="alex"), StaffRole.AGENT)
    agent.team = Team.objects.create(jurisdiction=jurisdiction, name="Day", supervisor=supervisor)
    agent.save(update_fields=["team"])
    client.force_login(supervisor)
    response = client.get(f"/surveys/results/{agent.pk}/")
    assert response.status_code == 200
    assert _marked_menu_items(response.content.decode()) == ["/surveys/reports/"]


def test_staff_outside_the_menu_see_nothing_marked(client, jurisdiction):
    user = staff_in_role(StaffRole.SUPERVISOR)
    request = RequestFactory().get("/account/second-factor/")
    request.user = user
    request.resolver_match = resolve("/account/second-factor/")
    assert current_menu_item(request) == ""


# --- staff sign in on civic311's own page ------------------------------------------------------------------


def test_the_staff_sign_in_is_civic311s_own_page(client, jurisdiction):
    response = client.get("/admin/login/?next=/console/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Django" not in html
    assert "<title>Staff sign-in | civic311 staff</title>" in html
    assert f"{jurisdiction.name} 311" in html
    assert 'name="next" value="/console/"' in html and 'autocomplete="current-password"' in html
    assert 'class="navbar-nav me-auto"' not in html  # no staff menu before signing in


def test_a_wrong_password_is_said_on_the_same_page(client, jurisdiction):
    StaffFactory(username="pat")
    response = client.post("/admin/login/", {"username": "pat", "password": "wrong", "next": "/console/"})
    html = response.content.decode()
    assert response.status_code == 200 and "Django" not in html
    assert 'id="sign-in-errors"' in html and "<title>Error: Staff sign-in" in html
    assert 'value="pat"' in html


def test_the_admin_pages_say_civic311_not_django(admin_client):
    for path in ("/admin/", "/admin/password_change/"):
        html = admin_client.get(path).content.decode()
        assert "Django" not in html, path
        assert "civic311 administration" in html, path
