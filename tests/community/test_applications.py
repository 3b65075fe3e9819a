"""The application to the Neighborhood Liaison Program and its review: every rule of
`community.services.applications`, and the public form and staff pages over it."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civic311.community.models import Liaison, LiaisonApplication
from civic311.community.services import applications
from civic311.notifications.models import OutboundMessage
from civic311.people.models import RoleAssignment, StaffRole, User

from ..factories import PASSWORD, NeighborhoodFactory, StaffFactory, with_role
from .helpers import application_data, community_staff


@pytest.fixture
def places(jurisdiction):
    return [
        NeighborhoodFactory(jurisdiction=jurisdiction, slug="fishtown", name="Fishtown"),
        NeighborhoodFactory(jurisdiction=jurisdiction, slug="kensington", name="Kensington"),
    ]


@pytest.fixture
def staff(db):
    return community_staff()


def _errors(raised) -> dict[str, list[str]]:
    return raised.value.message_dict


# --- applying ----------------------------------------------------------------------------------------------


def test_an_application_is_written_with_its_acknowledgement_in_the_applicants_language(jurisdiction, places):
    application = applications.apply(jurisdiction, application_data(places, language="es", phone="215 686 8686"))
    assert application.status == LiaisonApplication.Status.PENDING
    assert application.phone == "+12156868686"  # E.164
    assert set(application.neighborhoods.all()) == set(places)
    assert application.languages == ["en", "es"]
    assert application.terms_version == applications.TERMS_VERSION and application.agreed_at is not None
    assert application.show_on_neighborhood_page is True and application.language == "es"
    message = OutboundMessage.objects.get()
    assert message.recipient == "ana@example.org"
    assert "Fishtown" in message.body and "Kensington" in message.body
    assert message.dedup_key == f"liaison-application:{application.pk}:received"


def test_the_phone_is_optional_and_an_unknown_form_language_falls_back(jurisdiction, places):
    application = applications.apply(jurisdiction, application_data(places, phone="", language="xx"))
    assert application.phone == "" and application.language == "en"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": "  "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"email": ""}, "email"),
        ({"email": "not an address"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"neighborhood_ids": []}, "neighborhoods"),
        ({"languages": []}, "languages"),
        ({"languages": ["en", "tlh"]}, "languages"),
        ({"heard_about": ""}, "heard_about"),
        ({"heard_about": "radio"}, "heard_about"),
        ({"heard_about_detail": "x" * 201}, "heard_about_detail"),
        ({"agreed_to_terms": False}, "agreed_to_terms"),
    ],
)
def test_bad_answers_are_refused_by_field_and_nothing_is_written(jurisdiction, places, changes, field):
    with pytest.raises(ValidationError) as raised:
        applications.apply(jurisdiction, application_data(places, **changes))
    assert list(_errors(raised)) == [field]
    assert not LiaisonApplication.objects.exists() and not OutboundMessage.objects.exists()


def test_consent_to_the_terms_is_required(jurisdiction, places):
    with pytest.raises(ValidationError) as raised:
        applications.apply(jurisdiction, application_data(places, agreed_to_terms=False))
    assert _errors(raised) == {"agreed_to_terms": ["To join the program, agree to its terms."]}


def test_a_neighborhood_of_another_city_is_refused(jurisdiction, places):
    from ..factories import JurisdictionFactory

    elsewhere = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)
    theirs = NeighborhoodFactory(jurisdiction=elsewhere)
    with pytest.raises(ValidationError) as raised:
        applications.apply(jurisdiction, application_data([places[0], theirs]))
    assert list(_errors(raised)) == ["neighborhoods"]


def test_any_offered_language_is_accepted_including_the_sites(jurisdiction, places):
    application = applications.apply(jurisdiction, application_data(places, languages=["vi", "zh", "ht", "es", "vi"]))
    assert application.languages == ["vi", "zh", "ht", "es"]  # a repeat is dropped


def test_a_second_pending_application_with_the_same_address_is_refused(jurisdiction, places):
    applications.apply(jurisdiction, application_data(places))
    with pytest.raises(ValidationError) as raised:
        applications.apply(jurisdiction, application_data(places, email="ANA@example.org "))
    assert "already waiting for review" in _errors(raised)["email"][0]
    assert LiaisonApplication.objects.count() == 1 and OutboundMessage.objects.count() == 1


def test_the_database_keeps_one_pending_application_per_address_in_a_race(jurisdiction, places):
    applications.apply(jurisdiction, application_data(places))
    # The second request passed the check before the first wrote (a race): the constraint refuses it.
    with (
        mock.patch.object(applications, "_check", return_value=({}, places)),
        pytest.raises(ValidationError) as raised,
    ):
        applications.apply(jurisdiction, application_data(places, email="ana@EXAMPLE.org"))
    assert "already waiting for review" in _errors(raised)["email"][0]
    assert LiaisonApplication.objects.count() == 1 and OutboundMessage.objects.count() == 1


def test_after_a_decline_the_resident_may_apply_again(jurisdiction, places, staff):
    first = applications.apply(jurisdiction, application_data(places))
    applications.decline(first, staff, "Please apply when you live in the city.")
    again = applications.apply(jurisdiction, application_data(places))
    assert again.pk != first.pk


def test_a_liaison_already_in_the_programme_cannot_apply_again(jurisdiction, places, staff):
    applications.accept(applications.apply(jurisdiction, application_data(places)), staff)
    with pytest.raises(ValidationError) as raised:
        applications.apply(jurisdiction, application_data(places))
    assert "belongs to a liaison already" in _errors(raised)["email"][0]


# --- accepting ---------------------------------------------------------------------------------------------


def test_accepting_makes_the_account_the_liaison_and_the_email_in_one_go(jurisdiction, places, staff):
    application = applications.apply(jurisdiction, application_data(places, language="es"))
    liaison = applications.accept(application, staff)
    user = User.objects.get(pk=liaison.user_id)
    assert not user.is_staff and not user.has_usable_password() and user.is_active
    assert user.email == "ana@example.org" and user.username == f"liaison-{application.pk}"
    assert "ana" not in user.username.lower()  # nothing personal in the username
    assert liaison.status == Liaison.Status.ACCEPTED and liaison.trained_at is None
    assert (liaison.first_name, liaison.last_name, liaison.phone) == ("Ana", "Applicant", "+12156868686")
    assert set(liaison.neighborhoods.all()) == set(places)
    assert liaison.languages == ["en", "es"] and liaison.language == "es" and liaison.show_on_neighborhood_page
    assert liaison.application_id == application.pk
    application.refresh_from_db()
    assert application.status == LiaisonApplication.Status.ACCEPTED
    assert application.decided_by == staff and application.decided_at is not None
    assert not RoleAssignment.objects.filter(user=user).exists()  # the role comes with training
    accepted = OutboundMessage.objects.get(dedup_key=f"liaison-application:{application.pk}:accepted")
    assert accepted.recipient == "ana@example.org" and "/liaison/trainings/" in accepted.body


def test_a_username_already_taken_gets_a_suffix(jurisdiction, places, staff):
    application = applications.apply(jurisdiction, application_data(places))
    StaffFactory(username=f"liaison-{application.pk}", is_staff=False, email="other@example.org")
    liaison = applications.accept(application, staff)
    assert liaison.user.username == f"liaison-{application.pk}-2"


def test_an_existing_residents_account_with_the_address_is_used(jurisdiction, places, staff):
    resident = StaffFactory(username="ana-resident", email="Ana@Example.org", is_staff=False)
    liaison = applications.accept(applications.apply(jurisdiction, application_data(places)), staff)
    assert liaison.user_id == resident.pk and User.objects.count() == 2


def test_a_staff_account_with_the_address_is_never_made_a_liaison(jurisdiction, places, staff):
    StaffFactory(username="agent-ana", email="ana@example.org")
    application = applications.apply(jurisdiction, application_data(places))
    with pytest.raises(ValidationError) as raised:
        applications.accept(application, staff)
    assert list(_errors(raised)) == ["email"]
    application.refresh_from_db()
    assert application.status == LiaisonApplication.Status.PENDING
    assert not Liaison.objects.exists() and OutboundMessage.objects.count() == 1  # the acknowledgement only


def test_accepting_writes_nothing_when_a_later_step_fails(jurisdiction, places, staff):
    application = applications.apply(jurisdiction, application_data(places))
    users_before = User.objects.count()
    with (
        mock.patch("civic311.community.services.applications.notifications.queue", side_effect=RuntimeError("down")),
        pytest.raises(RuntimeError),
    ):
        applications.accept(application, staff)
    application.refresh_from_db()
    assert application.status == LiaisonApplication.Status.PENDING and application.decided_at is None
    assert User.objects.count() == users_before and not Liaison.objects.exists()
    assert OutboundMessage.objects.count() == 1


def test_deciding_twice_is_refused(jurisdiction, places, staff):
    application = applications.apply(jurisdiction, application_data(places))
    applications.accept(application, staff)
    with pytest.raises(ValidationError) as raised:
        applications.accept(application, staff)
    assert _errors(raised) == {"status": ["This application was decided already."]}
    with pytest.raises(ValidationError):
        applications.decline(application, staff, "Changed our minds")
    assert Liaison.objects.count() == 1


# --- declining ---------------------------------------------------------------------------------------------


def test_declining_needs_a_reason_and_sends_it(jurisdiction, places, staff):
    application = applications.apply(jurisdiction, application_data(places, language="es"))
    for empty in ("", "   "):
        with pytest.raises(ValidationError) as raised:
            applications.decline(application, staff, empty)
        assert list(_errors(raised)) == ["reason"]
    application.refresh_from_db()
    assert application.status == LiaisonApplication.Status.PENDING
    applications.decline(application, staff, "  The program is full in your area this year.  ")
    application.refresh_from_db()
    assert application.status == LiaisonApplication.Status.DECLINED and application.decided_by == staff
    assert application.decline_reason == "The program is full in your area this year."
    message = OutboundMessage.objects.get(dedup_key=f"liaison-application:{application.pk}:declined")
    assert "The program is full in your area this year." in message.body
    assert not Liaison.objects.exists()


# --- who may decide ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.LEADERSHIP, StaffRole.SUPERVISOR, None])
def test_only_community_staff_and_admins_decide(jurisdiction, places, role):
    application = applications.apply(jurisdiction, application_data(places))
    user = StaffFactory(username="someone") if role is None else with_role(StaffFactory(username="someone"), role)
    with pytest.raises(PermissionDenied):
        applications.accept(application, user)
    with pytest.raises(PermissionDenied):
        applications.decline(application, user, "No")
    with pytest.raises(PermissionDenied):
        applications.accept(application, AnonymousUser())  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        applications.accept(application, None)
    application.refresh_from_db()
    assert application.status == LiaisonApplication.Status.PENDING
    admin = with_role(StaffFactory(username="ada"), StaffRole.ADMIN)
    assert applications.accept(application, admin).status == Liaison.Status.ACCEPTED


# --- the pages ---------------------------------------------------------------------------------------------------


def test_the_public_form_applies_and_thanks(client, jurisdiction, places):
    page = client.get(reverse("community:apply"))
    assert page.status_code == 200 and b"Fishtown" in page.content
    posted = client.post(
        reverse("community:apply"),
        {
            "first_name": "Ana",
            "last_name": "Applicant",
            "email": "ana@example.org",
            "neighborhoods": [str(places[1].pk)],
            "languages": ["en", "vi"],
            "heard_about": "meeting",
            "agreed_to_terms": "on",
        },
    )
    assert posted.status_code == 302 and posted["Location"] == reverse("community:apply_done")
    application = LiaisonApplication.objects.get()
    assert list(application.neighborhoods.all()) == [places[1]] and application.languages == ["en", "vi"]
    assert application.show_on_neighborhood_page is False


def test_the_public_form_shows_each_error_on_its_field(client, jurisdiction, places):
    page = client.post(reverse("community:apply"), {"first_name": "Ana", "email": "nope"})
    assert page.status_code == 200
    text = page.content.decode()
    for message in (
        "Enter your last name.",
        "Enter an e-mail address such as name@example.com.",
        "Choose at least one neighborhood.",
        "To join the program, agree to its terms.",
    ):
        assert message in text
    assert not LiaisonApplication.objects.exists()


def test_the_public_form_in_spanish_records_the_language(client, jurisdiction, places):
    client.cookies["django_language"] = "es"
    client.post(
        reverse("community:apply"),
        {
            "first_name": "Beatriz",
            "last_name": "Solicitante",
            "email": "bea@example.org",
            "neighborhoods": [str(places[0].pk)],
            "languages": ["es"],
            "heard_about": "social",
            "agreed_to_terms": "on",
        },
    )
    assert LiaisonApplication.objects.get().language == "es"


def test_staff_review_pages(client, jurisdiction, places, staff):
    application = applications.apply(jurisdiction, application_data(places))
    client.login(username=staff.username, password=PASSWORD)
    home = client.get(reverse("community:staff_home"))
    assert home.status_code == 200 and 'id="pending-count">1<' in home.content.decode()
    for name in ("liaisons", "meetings", "messages", "figures", "applications", "trainings"):
        assert reverse(f"community:{name}") in home.content.decode()
    listed = client.get(reverse("community:applications"))
    assert "Ana Applicant" in listed.content.decode()
    assert "Ana Applicant" not in client.get(reverse("community:applications"), {"status": "declined"}).content.decode()
    url = reverse("community:application", args=[application.pk])
    refused = client.post(url, {"action": "decline", "reason": ""})
    assert "Give the applicant a reason" in refused.content.decode()
    accepted = client.post(url, {"action": "accept"})
    assert accepted.status_code == 302
    assert Liaison.objects.get().application_id == application.pk


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.LEADERSHIP])
def test_other_staff_may_not_open_the_review_pages(client, jurisdiction, places, role):
    application = applications.apply(jurisdiction, application_data(places))
    user = with_role(StaffFactory(username="other"), role)
    client.login(username=user.username, password=PASSWORD)
    for url in (
        reverse("community:staff_home"),
        reverse("community:applications"),
        reverse("community:application", args=[application.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("community:application", args=[application.pk]), {"action": "accept"}).status_code == 403
    assert not Liaison.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, jurisdiction):
    response = client.get(reverse("community:applications"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_public_form_is_rate_limited_per_address(client, settings, jurisdiction, places):
    from django.core.cache import cache

    cache.clear()
    settings.CIVIC311_REPORTS_PER_HOUR = 1
    answers = {
        "first_name": "Ana",
        "last_name": "Applicant",
        "neighborhoods": [str(places[0].pk)],
        "languages": ["en"],
        "heard_about": "other",
        "agreed_to_terms": "on",
    }
    assert client.post(reverse("community:apply"), {**answers, "email": "a@example.org"}).status_code == 302
    refused = client.post(reverse("community:apply"), {**answers, "email": "b@example.org"})
    assert refused.status_code == 429 and "Too many applications" in refused.content.decode()
    assert LiaisonApplication.objects.count() == 1
    cache.clear()
