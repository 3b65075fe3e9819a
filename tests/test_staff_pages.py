"""The gate in front of the staff pages (console, queues) and the staff menu each role gets."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from civic311.people.models import StaffRole
from civic311.people.staff_pages import staff_navigation, staff_page

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


@pytest.mark.parametrize("make", [
    lambda: StaffFactory(),  # staff without a role
    lambda: with_role(StaffFactory(is_active=False), StaffRole.AGENT),
    lambda: StaffFactory(is_staff=False),
])
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


@pytest.mark.parametrize(("role", "menu"), [
    (StaffRole.AGENT, {"console", "board"}),
    (StaffRole.SUPERVISOR, {"console", "queues", "overdue", "analytics", "emergencies", "board", "surveys"}),
    (StaffRole.DEPARTMENT_STAFF, {"queues"}),
    (StaffRole.DEPARTMENT_MANAGER, {"queues", "overdue", "analytics", "board"}),
    (StaffRole.SURVEYOR, {"board", "surveys"}),
    (StaffRole.COMMUNITY_STAFF, set()),
    (StaffRole.ADMIN, {"console", "queues", "overdue", "analytics", "emergencies", "board", "surveys"}),
])
def test_the_staff_menu_follows_the_roles(role, menu):
    context = staff_navigation(_get(staff_in_role(role)))
    shown = {name for name, key in (("console", "staff_may_use_console"), ("queues", "staff_may_work_queues"),
                                    ("overdue", "staff_may_see_overdue"),
                                    ("analytics", "staff_may_see_search_analytics"),
                                    ("emergencies", "staff_may_declare_emergency"),
                                    ("board", "staff_may_see_reader_board"),
                                    ("surveys", "staff_may_survey")) if context[key]}
    assert shown == menu


def test_residents_get_no_staff_menu():
    assert staff_navigation(_get(AnonymousUser())) == {}
