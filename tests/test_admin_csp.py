"""The admin gets the same content security policy as every other page, and has nothing inline that the
policy would block (a blocked script or style fails silently, so every admin page is checked)."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from civic311.people import second_factor, totp
from civic311.people.models import StaffRole

from .csp_policy import is_the_policy
from .factories import PASSWORD, StaffFactory, filed_request, jpeg, with_role

pytestmark = pytest.mark.django_db


def assert_nothing_inline(response, url: str) -> None:
    assert is_the_policy(response["Content-Security-Policy"]), url
    html = response.content.decode()
    assert "<style" not in html and " style=" not in html, url
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
    assert not re.search(r"\son[a-z]+=\"", html), url  # onclick= and the like


@pytest.fixture
def superuser(client, db):
    user = with_role(StaffFactory(username="ada", is_superuser=True), StaffRole.ADMIN)
    client.force_login(user)
    return user


def test_every_admin_list_and_add_page_has_the_policy_and_nothing_inline(client, superuser, jurisdiction):
    pages = ["/admin/", "/admin/login/", "/admin/password_change/"]
    for model in admin.site._registry:
        for view in ("changelist", "add"):
            try:
                pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"))
            except NoReverseMatch:
                continue
    for url in pages:
        response = client.get(url)
        assert response.status_code in {200, 302, 403}, url
        assert_nothing_inline(response, url)


def test_a_requests_change_page_with_its_photos_and_workflow_has_nothing_inline(
    client, superuser, service, center_city
):
    service_request = filed_request(service, photos=[jpeg()])
    url = reverse("admin:requests_servicerequest_change", args=[service_request.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="civic311-photo-thumbnail"' in html and "civic311-workflow" in html
    assert "civic311/css/admin" in html  # the workflow's styles, from a file
    assert_nothing_inline(response, url)


def test_the_sign_in_pages_have_the_policy_and_nothing_inline(client, db):
    # Signed in, /admin/login/ above is a redirect with no page to check: these are what a visitor gets.
    assert_nothing_inline(client.get("/admin/login/"), "/admin/login/")
    staff = StaffFactory(username="bea")
    _device, secret = second_factor.start_enrolment(staff)
    second_factor.confirm_enrolment(staff, totp.code_at(secret, time.time() - 30))
    response = client.post("/admin/login/", {"username": "bea", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    assert_nothing_inline(page, response.url)
