"""Who may open the youth program's cohort pages (Part A of issue 17): community staff and admins of the
city only. Participants are minors: their pages are never public, never cached, and refuse everyone else."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from civic311.community.models import Attendance, Cohort, Participant, Partner
from civic311.community.services import youth
from civic311.people.models import StaffRole
from tests.factories import DepartmentFactory, JurisdictionFactory, StaffFactory, staff_in_role

from .helpers import community_staff, make_liaison, participant_data, youth_cohort, youth_session

NY = ZoneInfo("America/New_York")


@pytest.fixture
def world(jurisdiction):
    casey = community_staff()
    cohort = youth_cohort(jurisdiction, casey)
    session = youth_session(cohort, casey, 1, dt.datetime(2026, 7, 16, 10, tzinfo=NY))
    maria = youth.add_participant(cohort, participant_data(), casey)
    partner = youth.create_partner(jurisdiction, youth.PartnerData(name="Education Works"), casey)
    return {"casey": casey, "cohort": cohort, "session": session, "maria": maria, "partner": partner}


def pages(world):
    slug = world["cohort"].slug
    return [
        ("community:youth_cohorts", []),
        ("community:youth_cohort_new", []),
        ("community:youth_settings", []),
        ("community:youth_partners", []),
        ("community:youth_partner_new", []),
        ("community:youth_partner", [world["partner"].pk]),
        ("community:youth_cohort", [slug]),
        ("community:youth_cohort_edit", [slug]),
        ("community:youth_session_new", [slug]),
        ("community:youth_session", [slug, 1]),
        ("community:youth_session_edit", [slug, 1]),
        ("community:youth_participant_new", [slug]),
        ("community:youth_participant", [slug, world["maria"].pk]),
    ]


REFUSED = {
    "resident": lambda neighborhood: StaffFactory(username="resident", is_staff=False),
    "liaison": lambda neighborhood: make_liaison([neighborhood], email="liaison-yep@example.org").user,
    "agent": lambda neighborhood: staff_in_role(StaffRole.AGENT, username="agent-yep"),
    "supervisor": lambda neighborhood: staff_in_role(StaffRole.SUPERVISOR, username="supervisor-yep"),
    "department staff": lambda neighborhood: staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew-yep"),
    "department manager": lambda neighborhood: staff_in_role(StaffRole.DEPARTMENT_MANAGER, username="manager-yep"),
    "surveyor": lambda neighborhood: staff_in_role(StaffRole.SURVEYOR, username="surveyor-yep"),
    "leadership": lambda neighborhood: staff_in_role(StaffRole.LEADERSHIP, username="leader-yep"),
}


def test_anonymous_visitors_are_sent_to_sign_in_on_every_page(client, world):
    for name, args in pages(world):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name
    response = client.post(reverse("community:youth_attendance", args=[world["cohort"].slug, 1]), {"present": []})
    assert response.status_code == 302 and not Attendance.objects.exists()


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_everyone_but_community_staff_is_refused_every_page(client, world, center_city, kind):
    client.force_login(REFUSED[kind](center_city))
    for name, args in pages(world):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 403, (kind, name)
        assert "Maria" not in response.content.decode()
    slug = world["cohort"].slug
    maria = world["maria"]
    posts = [
        ("community:youth_attendance", [slug, 1], {"present": [maria.pk]}),
        ("community:youth_cohort_new", [], {"name": "X", "slug": "x", "site_name": "X", "site_kind": "school"}),
        ("community:youth_participant", [slug, maria.pk], {"action": "remove"}),
        ("community:youth_participant_new", [slug], {"first_name": "Zed", "last_initial": "Q"}),
        ("community:youth_settings", [], {"guardian_contact_days": "0", "retention_days": "0"}),
        ("community:youth_partner_new", [], {"name": "Sneaky"}),
    ]
    for name, args, data in posts:
        assert client.post(reverse(name, args=args), data).status_code == 403, (kind, name)
    assert not Attendance.objects.exists()
    assert list(Participant.objects.values_list("first_name", flat=True)) == ["Maria"]
    assert Cohort.objects.count() == 1 and Partner.objects.count() == 1
    assert youth.settings_for(world["cohort"].jurisdiction).retention_days == 365


@pytest.mark.parametrize("role", [StaffRole.COMMUNITY_STAFF, StaffRole.ADMIN])
def test_community_staff_and_admins_open_every_page_never_cached(client, world, role):
    client.force_login(staff_in_role(role, username=f"{role}-yep"))
    for name, args in pages(world):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert "no-store" in response.get("Cache-Control", "") or "max-age=0" in response.get("Cache-Control", "")


def test_community_staff_of_another_city_are_refused(client, world):
    elsewhere = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)
    far = StaffFactory(username="far-casey", department=DepartmentFactory(jurisdiction=elsewhere))
    from tests.factories import with_role

    with_role(far, StaffRole.COMMUNITY_STAFF)
    client.force_login(far)
    for name, args in pages(world):
        assert client.get(reverse(name, args=args)).status_code == 403, name
    with pytest.raises(PermissionDenied):
        youth.record_attendance(world["session"], [world["maria"].pk], far)
    with pytest.raises(PermissionDenied):
        youth.add_participant(world["cohort"], participant_data(first_name="Zed"), far)


@pytest.mark.parametrize("kind", ["agent", "leadership", "resident"])
def test_the_services_refuse_everyone_but_community_staff(world, center_city, kind):
    actor = REFUSED[kind](center_city)
    cohort, session, maria = world["cohort"], world["session"], world["maria"]
    jurisdiction = cohort.jurisdiction
    calls = [
        lambda: youth_cohort(jurisdiction, actor, slug="mine"),
        lambda: youth.create_partner(jurisdiction, youth.PartnerData(name="Mine"), actor),
        lambda: youth_session(cohort, actor, 2, dt.datetime(2026, 7, 23, 10, tzinfo=NY)),
        lambda: youth.create_weekly_sessions(cohort, dt.datetime(2026, 7, 2, 10, tzinfo=NY), 60, actor),
        lambda: youth.add_participant(cohort, participant_data(first_name="Zed"), actor),
        lambda: youth.change_participant(maria, participant_data(first_name="Zed"), actor),
        lambda: youth.remove_participant(maria, actor),
        lambda: youth.record_attendance(session, [maria.pk], actor),
        lambda: youth.change_settings(jurisdiction, 1, 1, actor),
        lambda: youth.set_cohort_partners(cohort, [], actor),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied):
        youth.add_participant(cohort, participant_data(first_name="Zed"), None)
    assert Participant.objects.count() == 1 and not Attendance.objects.exists()


def test_no_participant_page_is_public(client, world):
    """Nothing under /community/youth/ of Part A answers without signing in (the public pages of the
    program are the walk, survey and certificate pages, which show no participant list)."""
    for name, args in pages(world):
        assert client.get(reverse(name, args=args)).status_code == 302
