"""Security, privacy and permissions of the community programs beyond each page's own tests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civic311.community.models import Liaison, LiaisonApplication
from civic311.people import roles
from civic311.people.models import StaffRole, User
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    JurisdictionFactory,
    NeighborhoodFactory,
    StaffFactory,
    with_role,
)

from .helpers import make_liaison


@pytest.fixture
def other_city(db):
    return JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)


# --- a liaison's account made staff later: the liaison's rows grant nothing there ---------------------------


def test_a_liaison_account_made_staff_is_no_longer_a_liaison_and_opens_no_staff_page(client, jurisdiction):
    liaison = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)])
    user = User.objects.get(pk=liaison.user_id)
    assert roles.is_liaison(user)
    User.objects.filter(pk=user.pk).update(is_staff=True)  # an administrator ticks "staff status" in the admin
    user = User.objects.get(pk=user.pk)
    assert not roles.is_liaison(user)
    assert not roles.may_file_as_liaison(user)
    assert roles.roles_of(user) == frozenset()  # the liaison rows are not a staff role
    assert not roles.may_open_staff_pages(user)
    assert not roles.liaison_accounts(User.objects.filter(pk=user.pk)).exists()
    client.force_login(user)
    assert client.get(reverse("liaison:dashboard")).status_code == 403
    assert client.get(reverse("liaison:report")).status_code == 403
    assert client.get(reverse("community:staff_home")).status_code in (302, 403)


# --- the admin: community staff see their own city's programme only ------------------------------------------


def _city_staff(jurisdiction, username):
    """Community staff whose home (their department) is in `jurisdiction`."""
    user = StaffFactory(username=username, department=DepartmentFactory(jurisdiction=jurisdiction))
    return with_role(user, StaffRole.COMMUNITY_STAFF)


def test_the_admin_shows_community_staff_only_their_citys_programme(client, jurisdiction, other_city):
    from civic311.community.services import applications

    from .helpers import application_data

    ours = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)], email="ours@example.org")
    theirs = make_liaison([NeighborhoodFactory(jurisdiction=other_city)], email="theirs@example.org")
    Liaison.objects.filter(pk=theirs.pk).update(first_name="Faraway")
    elsewhere_application = applications.apply(
        other_city,
        application_data(
            [NeighborhoodFactory(jurisdiction=other_city)], first_name="Zelda", email="applicant@pgh.example.org"
        ),
    )
    casey = _city_staff(jurisdiction, "casey-home")
    client.login(username=casey.username, password=PASSWORD)
    listing = client.get(reverse("admin:community_liaison_changelist"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert f"/{ours.pk}/change/" in page and "Faraway" not in page
    assert client.get(reverse("admin:community_liaison_change", args=[theirs.pk])).status_code in (302, 404)
    applications_page = client.get(reverse("admin:community_liaisonapplication_changelist")).content.decode()
    assert "Zelda" not in applications_page
    assert client.get(
        reverse("admin:community_liaisonapplication_change", args=[elsewhere_application.pk])
    ).status_code in (302, 404)
    assert LiaisonApplication.objects.filter(pk=elsewhere_application.pk).exists()
    assert Liaison.objects.count() == 2


# --- a liaison's filing pages are never kept by a browser or a proxy ------------------------------------------


@pytest.mark.parametrize("name", ["liaison:report", "liaison:meeting", "liaison:filed"])
def test_the_filing_pages_are_never_cached(client, jurisdiction, name):
    liaison = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)])
    client.force_login(User.objects.get(pk=liaison.user_id))
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


# --- the public neighborhood account ---------------------------------------------------------------------------


def test_the_public_neighborhood_account_never_shows_a_private_request_or_contact_details(
    client, jurisdiction, center_city
):
    from civic311.community.services import rollups
    from tests.factories import ServiceFactory, filed_request

    service = ServiceFactory(jurisdiction=jurisdiction, name="Pothole")
    public = filed_request(service, email="pat@example.org", phone="2155550101", first_name="Patricia")
    private = filed_request(service, is_private=True)
    assert public.neighborhood == center_city and private.neighborhood == center_city
    rollups.rebuild(jurisdiction)
    bodies = {}
    for name in ("detail", "figures_json", "map_json", "feed"):
        response = client.get(reverse(f"neighborhoods:{name}", args=[center_city.slug]))
        assert response.status_code == 200, name
        bodies[name] = response.content.decode()
    for name, body in bodies.items():
        assert private.tracking_number not in body, name
        assert "pat@example.org" not in body and "5550101" not in body and "Patricia" not in body, name
        assert "Mattresses" not in body, name  # no description (a resident's own words) either
    assert public.tracking_number in bodies["detail"] and public.tracking_number in bodies["figures_json"]


def test_a_liaisons_name_is_escaped_and_the_html_page_is_not_open_to_other_sites(client, jurisdiction, center_city):
    liaison = make_liaison([center_city], show_on_neighborhood_page=True)
    Liaison.objects.filter(pk=liaison.pk).update(first_name='<script>alert("x")</script>')
    response = client.get(reverse("neighborhoods:detail", args=[center_city.slug]))
    html = response.content.decode()
    assert '<script>alert("x")</script>' not in html and "&lt;script&gt;" in html
    assert "Access-Control-Allow-Origin" not in response
    assert (
        client.get(reverse("neighborhoods:figures_json", args=[center_city.slug]))["Access-Control-Allow-Origin"] == "*"
    )


# --- the public application form tells nobody whose address is known -----------------------------------------


def _answers(neighborhood, email):
    return {
        "first_name": "Mallory",
        "last_name": "Prober",
        "email": email,
        "neighborhoods": [str(neighborhood.pk)],
        "languages": ["en"],
        "heard_about": "other",
        "agreed_to_terms": "on",
    }


@pytest.mark.parametrize("kind", ["pending", "member", "withdrawn"])
def test_the_application_form_gives_a_known_address_the_same_answer_and_tells_its_owner(client, jurisdiction, kind):
    from django.core.cache import cache

    from civic311.community.services import applications
    from civic311.notifications.models import OutboundMessage

    from .helpers import application_data

    cache.clear()
    place = NeighborhoodFactory(jurisdiction=jurisdiction)
    if kind == "pending":
        applications.apply(jurisdiction, application_data([place], email="known@example.org"))
    else:
        make_liaison([place], email="known@example.org", status="active" if kind == "member" else "withdrawn")
    applications_before = LiaisonApplication.objects.count()
    messages_before = OutboundMessage.objects.filter(recipient="known@example.org").count()

    stranger = client.post(reverse("community:apply"), _answers(place, "stranger@example.org"))
    known = client.post(reverse("community:apply"), _answers(place, "KNOWN@example.org"))
    assert stranger.status_code == known.status_code == 302
    assert stranger["Location"] == known["Location"] == reverse("community:apply_done")
    assert LiaisonApplication.objects.count() == applications_before + 1  # the stranger's only
    notice = OutboundMessage.objects.filter(recipient__iexact="known@example.org").exclude(
        pk__in=OutboundMessage.objects.filter(recipient="known@example.org").order_by("pk")[:messages_before]
    )
    assert notice.count() == 1
    body = notice.get().body
    assert "Mallory" not in body and "Prober" not in body  # nothing the visitor typed reaches the owner
    assert ("/sign-in/" in body) == (kind == "member")
    assert "known@example.org" not in notice.get().dedup_key.lower()
    # Asking again the same day sends the owner nothing more.
    client.post(reverse("community:apply"), _answers(place, "known@example.org"))
    assert notice.count() == 1
    cache.clear()


def test_the_form_still_shows_every_other_error_for_a_known_address(client, jurisdiction):
    from civic311.notifications.models import OutboundMessage

    place = NeighborhoodFactory(jurisdiction=jurisdiction)
    make_liaison([place], email="known@example.org")
    answers = {**_answers(place, "known@example.org"), "last_name": ""}
    page = client.post(reverse("community:apply"), answers)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Enter your last name." in text and "liaison already" not in text
    assert not OutboundMessage.objects.filter(recipient="known@example.org").exists()


# --- a liaison signed in reaches none of the staff's doors -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/console/",
        "/work/",
        "/api/v1/requests/",
        "/community/",
        "/community/applications/",
        "/community/liaisons/",
    ],
)
def test_a_signed_in_liaison_reaches_no_staff_page(client, jurisdiction, path):
    liaison = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)])
    client.force_login(User.objects.get(pk=liaison.user_id))
    response = client.get(path)
    assert response.status_code in (302, 401, 403), path
    if response.status_code == 302:
        assert "login" in response["Location"] or "sign-in" in response["Location"], response["Location"]


# --- a liaison may withdraw (and give again) their consent to their name on the public pages -------------------


def test_a_liaison_withdraws_and_gives_again_consent_to_their_public_name(client, jurisdiction, center_city):
    liaison = make_liaison([center_city], show_on_neighborhood_page=True)
    page = reverse("neighborhoods:detail", args=[center_city.slug])
    assert "<li>Lee L.</li>" in client.get(page).content.decode()
    client.force_login(User.objects.get(pk=liaison.user_id))
    dashboard = client.get(reverse("liaison:dashboard")).content.decode()
    assert reverse("liaison:public_name_setting") in dashboard and "Take my name off" in dashboard
    response = client.post(reverse("liaison:public_name_setting"), {"show_on_neighborhood_page": "off"})
    assert response.status_code == 302
    assert Liaison.objects.get(pk=liaison.pk).show_on_neighborhood_page is False
    assert "<li>Lee L.</li>" not in client.get(page).content.decode()  # at once
    client.post(reverse("liaison:public_name_setting"), {"show_on_neighborhood_page": "on"})
    assert Liaison.objects.get(pk=liaison.pk).show_on_neighborhood_page is True


def test_the_public_name_setting_is_a_liaisons_own_post_only(client, jurisdiction, center_city):
    liaison = make_liaison([center_city], show_on_neighborhood_page=True)
    other = make_liaison([center_city], email="other@example.org", show_on_neighborhood_page=True)
    url = reverse("liaison:public_name_setting")
    assert client.post(url, {"show_on_neighborhood_page": "off"}).status_code == 302  # anonymous: sign in
    client.force_login(User.objects.get(pk=liaison.user_id))
    assert client.get(url).status_code == 405
    client.post(url, {"show_on_neighborhood_page": "off"})
    assert Liaison.objects.get(pk=other.pk).show_on_neighborhood_page is True  # only their own
    client.force_login(StaffFactory(username="resident", is_staff=False))
    assert client.post(url, {"show_on_neighborhood_page": "on"}).status_code == 403
    assert Liaison.objects.get(pk=liaison.pk).show_on_neighborhood_page is False


# --- the link's page says whose link it is (nobody signs in unawares to another person's account) --------------


def test_the_link_page_names_the_address_it_signs_in(client, jurisdiction):
    from civic311.people import email_sign_in

    liaison = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)], email="lee@example.org")
    token = email_sign_in.issue_link("lee@example.org", user=liaison.user)
    page = client.get(reverse("public:sign_in_link", args=[token]))
    assert page.status_code == 200 and "This link signs in lee@example.org." in page.content.decode()
    assert "_auth_user_id" not in client.session  # looking signs nobody in
