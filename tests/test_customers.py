"""The CRM's customer records: finding, consent, merging, history across channels, and who may see them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civic311.people import selectors, services
from civic311.people.models import Customer, CustomerAddress, CustomerEmail, CustomerPhone, PersonalDataAccess
from civic311.service_requests import selectors as request_selectors
from civic311.service_requests import services as requests
from civic311.service_requests.models import Channel, Contact

from .factories import JurisdictionFactory, StaffFactory, filed_request

pytestmark = pytest.mark.django_db
Purpose = PersonalDataAccess.Purpose


def grant(user, *codenames: str):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="people", codename=codename))
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


@pytest.fixture
def agent(db):
    return grant(StaffFactory(username="agent"), "view_customer", "add_customer", "change_customer")


@pytest.fixture
def plain_staff(db):
    return StaffFactory(username="plain")


@pytest.fixture
def superuser(db):
    return StaffFactory(username="root", is_superuser=True)


def make(jurisdiction, **fields):
    defaults = {
        "first_name": "Pat",
        "last_name": "Resident",
        "consent_contact": False,
        "consent_survey": False,
        "actor": None,
    }
    return services.create_customer(jurisdiction, **{**defaults, **fields})


# --- normalisation and finding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("(215) 686-8686", "+12156868686"),
        ("+1 215 686 8686", "+12156868686"),
        ("1-215-686-8686", "+12156868686"),
        ("686-8686", "6868686"),  # not a whole number: digits, as before
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_become_their_e164_matching_key(written, key):
    assert services.normalize_phone(written) == key


def test_emails_are_stripped_and_lower_cased():
    assert services.normalize_email("  Pat.Resident@Example.ORG ") == "pat.resident@example.org"


def test_bad_phones_and_emails_are_refused_by_the_intakes_rules(jurisdiction):
    with pytest.raises(ValidationError) as refused:
        make(jurisdiction, phones=["12345"], emails=["not an address"])
    assert set(refused.value.message_dict) == {"phones", "emails"}
    assert not Customer.objects.exists()
    assert requests.is_valid_phone("215 686 8686") and not requests.is_valid_phone("1" * 16)
    assert requests.is_valid_email("a@example.org") and not requests.is_valid_email("a@")


@pytest.mark.parametrize(
    "query",
    [
        "215-686-8686",
        "(215) 686 8686",
        "+1 215.686.8686",
        "6868686",
        "686-8686",
        "PAT@example.org",
        " pat@EXAMPLE.org ",
        "pat",
        "Resident",
        "pat res",
    ],
)
def test_finding_by_any_phone_format_email_case_or_name(jurisdiction, agent, query):
    pat = make(jurisdiction, phones=["215.686.8686"], emails=["Pat@Example.org"])
    make(jurisdiction, first_name="Lee", last_name="Other", phones=["267-555-0100"], emails=["lee@example.org"])
    assert selectors.find_customers(jurisdiction, query, actor=agent) == [pat]


def test_a_short_number_or_another_city_finds_nothing(jurisdiction, agent):
    make(jurisdiction, phones=["215-686-8686"])
    other = JurisdictionFactory(slug="camden", jurisdiction_id="camden.gov", name="Camden", is_default=False)
    assert selectors.find_customers(jurisdiction, "8686", actor=agent) == []
    assert selectors.find_customers(other, "215-686-8686", actor=agent) == []


def test_finding_returns_at_most_the_limit(jurisdiction, agent):
    for i in range(5):
        make(jurisdiction, first_name=f"Sam{i}", last_name="Jones")
    assert len(selectors.find_customers(jurisdiction, "jones", actor=agent, limit=3)) == 3


def test_exact_contact_details_find_one_customer_or_none(jurisdiction):
    pat = make(jurisdiction, phones=["215-686-8686"], emails=["pat@example.org"])
    make(jurisdiction, first_name="Kim", phones=["215-555-0100"])
    make(jurisdiction, first_name="Kim's sister", phones=["215-555-0100"])
    assert selectors.customer_for_contact_details(jurisdiction, email="PAT@example.org") == pat
    assert selectors.customer_for_contact_details(jurisdiction, phone="1 (215) 686-8686") == pat
    assert selectors.customer_for_contact_details(jurisdiction, phone="215-555-0100") is None  # shared phone
    assert selectors.customer_for_contact_details(jurisdiction, email="nobody@example.org") is None


# --- several phones, e-mails and addresses ----------------------------------------------------------


def test_several_phones_emails_and_addresses_with_one_primary_each(jurisdiction):
    pat = make(
        jurisdiction,
        phones=["215-686-8686", services.PhoneIn("267 555 0101", "work"), "2156868686"],
        emails=["pat@example.org", "PAT@example.org", "pat@work.example.org"],
        addresses=["1400 JFK Blvd", {"address": "1 Penn Sq", "zipcode": "19107"}],
    )
    assert [(p.digits, p.label, p.is_primary) for p in pat.phones.order_by("pk")] == [
        ("+12156868686", "mobile", True),
        ("+12675550101", "work", False),
    ]
    assert [e.is_primary for e in pat.emails.order_by("pk")] == [True, False]
    assert pat.addresses.count() == 2

    mobile = services.add_phone(pat, "+1 (215) 555-0199", label="home", primary=True, actor=None)
    assert mobile.digits == "+12155550199"
    assert list(pat.phones.filter(is_primary=True)) == [mobile]
    with pytest.raises(ValidationError) as refused:
        services.add_phone(pat, "215 555 0199", actor=None)
    assert "number" in refused.value.message_dict

    services.remove_phone(mobile, actor=None)
    assert pat.phones.filter(is_primary=True).count() == 1  # the oldest left takes over
    work = pat.emails.get(normalized="pat@work.example.org")
    services.set_primary_email(work, actor=None)
    assert list(pat.emails.filter(is_primary=True)) == [work]
    address = services.add_address(pat, "City Hall", primary=True, actor=None)
    assert list(pat.addresses.filter(is_primary=True)) == [address]
    with pytest.raises(ValidationError) as refused:
        services.add_address(pat, {"address": "City Hall", "zipcode": "bad"}, actor=None)
    assert "zipcode" in refused.value.message_dict
    services.remove_email(work, actor=None)
    services.remove_address(address, actor=None)
    assert pat.emails.filter(is_primary=True).count() == 1 and pat.addresses.filter(is_primary=True).count() == 1


def test_update_customer_checks_the_language(jurisdiction):
    pat = make(jurisdiction)
    services.update_customer(pat, first_name="  Patricia ", preferred_language="es", actor=None)
    pat.refresh_from_db()
    assert (pat.first_name, pat.preferred_language) == ("Patricia", "es")
    with pytest.raises(ValidationError) as refused:
        services.update_customer(pat, preferred_language="klingon", actor=None)
    assert "preferred_language" in refused.value.message_dict


def test_consent_is_recorded_with_its_time(jurisdiction, agent):
    with time_machine.travel(dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC), tick=False):
        pat = make(jurisdiction)
        assert pat.consent_updated_at is None
        services.record_consent(pat, survey=True, actor=agent, where="console")
    pat.refresh_from_db()
    assert (pat.consent_contact, pat.consent_survey) == (False, True)
    assert pat.consent_updated_at == dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC)
    assert PersonalDataAccess.objects.get(user=agent).purpose == Purpose.EDIT
    with pytest.raises(ValidationError):
        services.record_consent(pat, actor=None)


# --- history across channels --------------------------------------------------------------------------


@pytest.fixture
def pat_with_history(jurisdiction, service, agent):
    pat = make(jurisdiction, phones=["215-686-8686"], emails=["pat@example.org"])
    moments = [dt.datetime(2025, 1, day, 15, tzinfo=dt.UTC) for day in (6, 7, 8, 9)]
    filed = []
    for moment, channel in zip(moments[:3], (Channel.PHONE, Channel.WEB, Channel.WALK_IN), strict=True):
        with time_machine.travel(moment, tick=False):
            request = filed_request(service, channel=channel, first_name="Pat", email="pat@example.org")
        assert request.requester is not None
        services.link_requester(request.requester, pat, actor=agent)
        filed.append(request)
    info = requests.log_information_request(
        jurisdiction, channel=Channel.PHONE, summary="Trash day is Tuesday.", started_at=moments[3]
    )
    info.requester = filed[0].requester
    info.save()
    return pat, filed


def test_history_lists_every_contact_and_request_newest_first(pat_with_history):
    pat, filed = pat_with_history
    history = request_selectors.customer_history(pat)
    assert [(item.channel, item.outcome, item.tracking_number) for item in history] == [
        ("phone", Contact.Outcome.INFORMATION, ""),
        ("walk_in", Contact.Outcome.SERVICE_REQUEST, filed[2].tracking_number),
        ("web", Contact.Outcome.SERVICE_REQUEST, filed[1].tracking_number),
        ("phone", Contact.Outcome.SERVICE_REQUEST, filed[0].tracking_number),
    ]
    assert history[1].service == filed[2].service.name and history[1].status == "new"
    assert request_selectors.request_count(pat) == 3


def test_linking_across_jurisdictions_is_refused(jurisdiction, service):
    other = JurisdictionFactory(slug="camden", jurisdiction_id="camden.gov", name="Camden", is_default=False)
    stranger = make(other)
    request = filed_request(service, first_name="Pat")
    assert request.requester is not None
    with pytest.raises(ValidationError):
        services.link_requester(request.requester, stranger, actor=None)


# --- merge ------------------------------------------------------------------------------------------------


def test_merge_moves_everything_drops_duplicates_and_keeps_the_history(jurisdiction, pat_with_history, agent):
    pat, filed = pat_with_history
    dup = make(
        jurisdiction,
        first_name="Patricia",
        phones=["(215) 686-8686", "267-555-0101"],
        emails=["PAT@example.org", "p.r@example.org"],
        addresses=["1400 JFK Blvd"],
    )
    extra = filed_request(filed[0].service, channel=Channel.EMAIL, first_name="Patricia")
    assert extra.requester is not None
    services.link_requester(extra.requester, dup, actor=None)
    survivor = services.merge_customers(pat, dup, actor=agent, where="admin")
    dup.refresh_from_db()
    assert survivor == pat and dup.merged_into == pat
    assert sorted(pat.phones.values_list("digits", flat=True)) == ["+12156868686", "+12675550101"]
    assert sorted(pat.emails.values_list("normalized", flat=True)) == ["p.r@example.org", "pat@example.org"]
    assert pat.phones.filter(is_primary=True).count() == 1 and pat.emails.filter(is_primary=True).count() == 1
    assert pat.addresses.count() == 1
    assert not (dup.phones.exists() or dup.emails.exists() or dup.addresses.exists())
    assert {item.channel for item in request_selectors.customer_history(pat)} == {"phone", "web", "walk_in", "email"}
    assert selectors.find_customers(jurisdiction, "Patricia", actor=agent) == [pat]  # the merged name resolves
    assert set(PersonalDataAccess.objects.filter(purpose=Purpose.MERGE).values_list("customer", flat=True)) == {
        pat.pk,
        dup.pk,
    }
    # Merging into the merged record follows it to the survivor.
    third = make(jurisdiction, first_name="P.")
    assert services.merge_customers(dup, third, actor=None) == pat


def test_merge_keeps_the_most_recent_consent_decision(jurisdiction):
    with time_machine.travel(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), tick=False):
        old = make(jurisdiction, consent_contact=True, consent_survey=True)
    with time_machine.travel(dt.datetime(2025, 2, 1, tzinfo=dt.UTC), tick=False):
        new = make(jurisdiction, first_name="Pat2")
        services.record_consent(new, contact=True, survey=False, actor=None)
    services.merge_customers(old, new, actor=None)
    old.refresh_from_db()
    assert (old.consent_contact, old.consent_survey) == (True, False)
    assert old.consent_updated_at == dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    # With no decision recorded on either record, consent stands only where both have it.
    a, b = make(jurisdiction), make(jurisdiction)
    Customer.objects.filter(pk=a.pk).update(consent_contact=True, consent_survey=True)
    Customer.objects.filter(pk=b.pk).update(consent_contact=True)
    a.refresh_from_db()
    b.refresh_from_db()
    services.merge_customers(a, b, actor=None)
    a.refresh_from_db()
    assert (a.consent_contact, a.consent_survey) == (True, False)


def test_merge_refuses_the_bad_cases_and_writes_nothing(jurisdiction, agent):
    other = JurisdictionFactory(slug="camden", jurisdiction_id="camden.gov", name="Camden", is_default=False)
    pat, lee = make(jurisdiction, phones=["215-686-8686"]), make(jurisdiction, first_name="Lee", phones=["2155550100"])
    stranger = make(other)
    gone = make(jurisdiction, first_name="Gone")
    services.merge_customers(pat, gone, actor=None)
    counts = (
        CustomerPhone.objects.count(),
        CustomerEmail.objects.count(),
        CustomerAddress.objects.count(),
        PersonalDataAccess.objects.count(),
    )
    for survivor, duplicate in ((pat, pat), (gone, pat), (pat, stranger), (lee, gone)):
        with pytest.raises(ValidationError):
            services.merge_customers(survivor, duplicate, actor=agent)
    assert counts == (
        CustomerPhone.objects.count(),
        CustomerEmail.objects.count(),
        CustomerAddress.objects.count(),
        PersonalDataAccess.objects.count(),
    )
    assert not Customer.objects.filter(merged_into=lee).exists()
    assert lee.phones.count() == 1 and Customer.objects.get(pk=gone.pk).merged_into == pat


# --- who may see, and the audit ------------------------------------------------------------------------


def test_staff_without_view_customer_are_refused_and_leave_no_audit(jurisdiction, plain_staff):
    pat, lee = make(jurisdiction), make(jurisdiction, first_name="Lee")
    assert not selectors.may_see_contact_details(plain_staff)
    with pytest.raises(PermissionDenied):
        selectors.find_customers(jurisdiction, "pat", actor=plain_staff)
    with pytest.raises(PermissionDenied):
        selectors.customer_details_for(plain_staff, pat, where="admin")
    with pytest.raises(PermissionDenied):
        services.merge_customers(pat, lee, actor=plain_staff)
    with pytest.raises(PermissionDenied):
        services.add_phone(pat, "215-686-8686", actor=plain_staff)
    only_view = grant(plain_staff, "view_customer")
    with pytest.raises(PermissionDenied):
        services.merge_customers(pat, lee, actor=only_view)
    assert not PersonalDataAccess.objects.exists()
    assert Customer.objects.get(pk=lee.pk).merged_into is None


def test_staff_with_view_customer_leave_an_audit_row_for_each_look(jurisdiction, agent):
    pat = make(jurisdiction)
    assert selectors.may_see_contact_details(agent)
    selectors.customer_details_for(agent, pat, where="console")
    selectors.find_customers(jurisdiction, "Resident", actor=agent, where="console")
    selectors.find_customers(jurisdiction, "nobody", actor=agent, where="console")
    rows = list(PersonalDataAccess.objects.order_by("pk").values_list("purpose", "customer", "where"))
    assert rows == [
        (Purpose.VIEW, pat.pk, "console"),
        (Purpose.SEARCH, pat.pk, "console"),
        (Purpose.SEARCH, None, "console"),
    ]


def test_the_assignee_may_see_their_own_requests_contact_details(service, plain_staff):
    request = filed_request(service, first_name="Pat")
    assert not selectors.may_see_contact_details(plain_staff, service_request=request)
    request.assignee = plain_staff
    assert selectors.may_see_contact_details(plain_staff, service_request=request)
    assert not selectors.may_see_contact_details(None)


# --- the admin --------------------------------------------------------------------------------------------


def test_admin_pages_render_for_a_superuser_and_audit_the_look(client, superuser, pat_with_history):
    pat, filed = pat_with_history
    client.force_login(superuser)
    changelist = reverse("admin:people_customer_changelist")
    assert client.get(reverse("admin:index")).content.decode().count("/admin/people/customer/") >= 1
    page = client.get(changelist)
    assert page.status_code == 200 and "Resident" in page.content.decode()
    found = client.get(changelist, {"q": "(215) 686 8686"})
    assert "Resident" in found.content.decode()
    change = client.get(reverse("admin:people_customer_change", args=[pat.pk]))
    body = change.content.decode()
    assert change.status_code == 200 and filed[2].tracking_number in body and "Walk-in" in body
    assert set(PersonalDataAccess.objects.filter(user=superuser).values_list("purpose", flat=True)) == {
        Purpose.SEARCH,
        Purpose.VIEW,
    }
    assert client.get(reverse("admin:people_customer_add")).status_code == 200
    assert client.get(reverse("admin:people_personaldataaccess_changelist")).status_code == 200


def test_admin_hides_customers_from_plain_staff(client, plain_staff, jurisdiction):
    pat = make(jurisdiction)
    client.force_login(plain_staff)
    assert "/admin/people/customer/" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:people_customer_changelist")).status_code == 403
    assert client.get(reverse("admin:people_customer_change", args=[pat.pk])).status_code == 403
    assert client.get(reverse("admin:people_personaldataaccess_changelist")).status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_admin_saves_inlines_through_the_services(client, superuser, jurisdiction):
    client.force_login(superuser)
    data = {
        "jurisdiction": jurisdiction.pk,
        "first_name": "Pat",
        "last_name": "Resident",
        "preferred_language": "",
        "consent_survey": "on",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "0",
        "phones-0-number": "+1 (215) 686-8686",
        "phones-0-label": "mobile",
        "phones-1-number": "267 555 0101",
        "phones-1-label": "work",
        "phones-1-is_primary": "on",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-email": "PAT@Example.org",
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:people_customer_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    pat = Customer.objects.get()
    assert pat.consent_survey and pat.consent_updated_at is not None
    assert dict(pat.phones.values_list("digits", "is_primary")) == {"+12156868686": False, "+12675550101": True}
    assert pat.emails.get().normalized == "pat@example.org"
    # The same number twice, in two formats, is refused on the form.
    data.update({"phones-1-number": "215.686.8686"})
    response = client.post(reverse("admin:people_customer_add"), data)
    assert response.status_code == 200 and Customer.objects.count() == 1


def test_admin_merge_action(client, superuser, jurisdiction):
    pat, dup = make(jurisdiction, phones=["2156868686"]), make(jurisdiction, first_name="Pat2", phones=["2675550101"])
    client.force_login(superuser)
    changelist = reverse("admin:people_customer_changelist")
    page = client.post(changelist, {"action": "merge_selected", "_selected_action": [pat.pk, dup.pk]})
    assert page.status_code == 200 and "Merge" in page.content.decode()
    client.post(
        changelist,
        {"action": "merge_selected", "_selected_action": [pat.pk, dup.pk], "confirm": "yes", "survivor": pat.pk},
    )
    assert Customer.objects.get(pk=dup.pk).merged_into_id == pat.pk
    assert pat.phones.count() == 2


# --- following merges --------------------------------------------------------------------------------


def test_the_survivor_of_a_chain_of_merges_is_the_last_record(jurisdiction):
    first, second, third = (make(jurisdiction, first_name=name) for name in ("Pat", "Patricia", "Patty"))
    Customer.objects.filter(pk=first.pk).update(merged_into=second)
    Customer.objects.filter(pk=second.pk).update(merged_into=third)
    assert selectors.survivor_of(Customer.objects.get(pk=first.pk)) == third
    assert selectors.survivor_of(third) == third  # never merged: itself


def test_the_survivor_of_a_loop_of_merges_stops_instead_of_following_it_forever(jurisdiction):
    # merge_customers cannot write a loop; rows edited by hand could.
    one, other = make(jurisdiction, first_name="Pat"), make(jurisdiction, first_name="Lee")
    Customer.objects.filter(pk=one.pk).update(merged_into=other)
    Customer.objects.filter(pk=other.pk).update(merged_into=one)
    assert selectors.survivor_of(Customer.objects.get(pk=one.pk)) in {one, other}
