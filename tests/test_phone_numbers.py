"""Phone numbers through phonenumbers: valid in their country's numbering plan, stored as E.164, sent to
SMS gateways as E.164, shown in the national format, matched whatever way they were written; and the
migration that rewrote the numbers stored before."""

from __future__ import annotations

import importlib

import phonenumbers
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.template import Context, Template

from civic311.notifications.models import OutboundMessage
from civic311.people import contact_details, selectors, services
from civic311.people.models import Customer, CustomerPhone, Requester
from civic311.service_requests.models import Contact
from civic311.surveys.models import WorkListEntry

from . import survey_helpers
from .factories import StaffFactory, filed_request

migration = importlib.import_module("civic311.people.migrations.0008_phone_numbers_e164")


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("(215) 686-8686", "+12156868686"),
        ("215 686 8686", "+12156868686"),
        ("215.686.8686", "+12156868686"),
        ("1-215-686-8686", "+12156868686"),
        ("+1 215 686 8686", "+12156868686"),
        ("\uff12\uff11\uff15 \uff16\uff18\uff16 \uff18\uff16\uff18\uff16", "+12156868686"),  # full-width digits
        ("+44 20 7946 0958", "+442079460958"),
        ("+52 55 1234 5678", "+525512345678"),
        ("215-686-8686 ext. 12", "+12156868686;ext=12"),
    ],
)
def test_valid_numbers_are_stored_as_e164(written, stored):
    assert contact_details.is_valid_phone(written)
    assert contact_details.phone_e164(written) == stored
    assert contact_details.phone_e164(stored) == stored  # and read back the same


@pytest.mark.parametrize(
    "written",
    [
        "",
        "12",
        "686-8686",  # no area code: no whole number to call or text
        "555-1234",
        "020 7946 0958",  # a UK number without +44 is not a US one
        "1" * 16,
        "+999 1234",
        "not a number",
        "    ".join("2156868686"),  # more than 40 characters as written
    ],
)
def test_numbers_that_are_not_valid_are_refused(written):
    assert not contact_details.is_valid_phone(written)
    assert contact_details.phone_e164(written) == ""


def test_the_default_region_comes_from_the_setting(settings):
    settings.CIVIC311_PHONE_REGION = "GB"
    assert contact_details.phone_e164("020 7946 0958") == "+442079460958"
    assert contact_details.format_phone("+442079460958") == "020 7946 0958"
    assert contact_details.format_phone("+12156868686") == "+1 215-686-8686"
    assert not contact_details.is_valid_phone("(215) 686-8686")  # a US number now needs its +1
    british = phonenumbers.example_number("GB")
    assert british is not None
    example = phonenumbers.format_number(british, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert example.startswith("0") and example in contact_details.phone_error()


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+12156868686", "(215) 686-8686"),
        ("+12156868686;ext=12", "(215) 686-8686 ext. 12"),
        ("+442079460958", "+44 20 7946 0958"),
        ("215-686-8686", "(215) 686-8686"),  # an old row that parses
        ("ask at the front desk", "ask at the front desk"),  # an old row that does not: as it is
        ("", ""),
    ],
)
def test_numbers_are_shown_in_the_national_format(stored, shown):
    assert contact_details.format_phone(stored) == shown
    assert Template("{% load people_tags %}{{ number|phone }}").render(Context({"number": stored})) == shown


def test_the_filter_takes_none_and_escapes_what_it_shows():
    template = Template("{% load people_tags %}[{{ number|phone }}]")
    assert template.render(Context({"number": None})) == "[]"
    assert template.render(Context({"number": "<b>ask</b>"})) == "[&lt;b&gt;ask&lt;/b&gt;]"


@pytest.mark.parametrize(
    ("stored", "to"),
    [
        ("+12155550100", "+12155550100"),
        ("215-555-0100", "+12155550100"),  # an old row
        ("+12155550100;ext=7", "+12155550100"),  # no extension for a text
        (" 5550100 ", "5550100"),  # does not parse: as written (stripped), as before
    ],
)
def test_sms_goes_to_e164(stored, to):
    assert contact_details.phone_for_sms(stored) == to


# --- through the intake and the CRM -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_intake_stores_an_international_number_as_e164(service):
    request = filed_request(service, phone="+52 55 1234 5678")
    assert request.requester is not None and request.requester.phone == "+525512345678"
    assert str(request.requester) == "+52 55 1234 5678"  # what staff read where there is no name


@pytest.mark.django_db
def test_a_bad_number_is_refused_with_the_field_and_an_example(service):
    with pytest.raises(ValidationError) as refused:
        filed_request(service, phone="686-8686")
    (message,) = refused.value.message_dict["phone"]
    assert "(201) 555-0123" in message and "+" in message and "leave it empty" in message
    assert not Requester.objects.exists()


@pytest.mark.django_db
def test_a_text_to_the_requester_goes_to_e164_even_for_an_old_row(service, staff, django_capture_on_commit_callbacks):
    from civic311.service_requests import services as requests
    from civic311.service_requests.lifecycle import Status

    request = filed_request(service, first_name="Pat", phone="(215) 555-0100")
    assert request.requester_id is not None
    Requester.objects.filter(pk=request.requester_id).update(phone="215-555-0100")  # as stored before
    request.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        requests.change_status(request, Status.IN_PROGRESS, actor=staff)
    assert set(
        OutboundMessage.objects.filter(channel=OutboundMessage.Channel.SMS).values_list("recipient", flat=True)
    ) == {"+12155550100"}


@pytest.mark.django_db
def test_the_crm_stores_e164_and_refuses_a_bad_number(jurisdiction):
    pat = services.create_customer(
        jurisdiction, first_name="Pat", phones=["+44 20 7946 0958", "(215) 686-8686"], actor=None
    )
    assert sorted(pat.phones.values_list("number", "digits")) == [
        ("+12156868686", "+12156868686"),
        ("+442079460958", "+442079460958"),
    ]
    assert str(pat.phones.get(number="+12156868686")) == "(215) 686-8686"
    with pytest.raises(ValidationError) as refused:
        services.add_phone(pat, "12", actor=None)
    (message,) = refused.value.message_dict["number"]
    assert "(201) 555-0123" in message and "leave it empty" not in message


@pytest.fixture
def old_customer(jurisdiction):
    """A customer whose phone was stored before E.164 (as written, keyed on its digits)."""
    customer = Customer.objects.create(jurisdiction=jurisdiction, first_name="Olga", last_name="Oldrow")
    CustomerPhone.objects.create(customer=customer, number="(215) 686-8686", digits="2156868686", is_primary=True)
    return customer


@pytest.mark.django_db
@pytest.mark.parametrize("said", ["+1 215 686 8686", "215-686-8686", "2156868686"])
def test_an_old_format_customer_is_still_matched(jurisdiction, old_customer, said):
    assert selectors.customer_for_contact_details(jurisdiction, phone=said) == old_customer
    agent = StaffFactory(username="agent", is_superuser=True)
    assert selectors.find_customers(jurisdiction, said, actor=agent) == [old_customer]


@pytest.mark.django_db
def test_a_new_customer_is_matched_on_e164_however_the_number_is_said(jurisdiction):
    pat = services.create_customer(jurisdiction, first_name="Pat", phones=["215.686.8686"], actor=None)
    agent = StaffFactory(username="agent", is_superuser=True)
    for said in ("+1 (215) 686-8686", "1 215 686 8686", "215-686-8686"):
        assert selectors.customer_for_contact_details(jurisdiction, phone=said) == pat
    for said in ("686-8686", "215 686 8686"):  # the last digits are enough to search
        assert selectors.find_customers(jurisdiction, said, actor=agent) == [pat]
    assert selectors.customer_for_contact_details(jurisdiction, phone="+44 20 7946 0958") is None


@pytest.mark.django_db
def test_an_old_format_number_is_not_added_twice(old_customer):
    with pytest.raises(ValidationError) as refused:
        services.add_phone(old_customer, "+1 215 686 8686", actor=None)
    assert "number" in refused.value.message_dict
    assert old_customer.phones.count() == 1


# --- the migration ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_rewrites_what_parses_and_keeps_the_rest(jurisdiction, old_customer):
    keep = Requester.objects.create(phone="call the desk")
    old = Requester.objects.create(phone="215-555-0100")
    foreign = Requester.objects.create(phone="+44 20 7946 0958")
    with_extension = Requester.objects.create(phone="(215) 555-0100 x 7")
    no_phone = Requester.objects.create(email="e@example.org")
    CustomerPhone.objects.create(customer=old_customer, number="215-686-8686 ext 3", digits="21568686863")
    CustomerPhone.objects.create(customer=old_customer, number="555 0199", digits="5550199")
    made = survey_helpers.contact(jurisdiction, phone="1 (215) 555-0142")
    assert made.ended_at is not None
    entry = WorkListEntry.objects.create(
        jurisdiction=jurisdiction,
        contact=made,
        callback_phone="1 (215) 555-0142",
        callback_digits="2155550142",
        channel=made.channel,
        contacted_at=made.ended_at,
    )
    sms = OutboundMessage.objects.create(
        channel="sms", recipient="215-555-0100", body="Hi", dedup_key="m1", reference="r1", state="sent"
    )
    email = OutboundMessage.objects.create(
        channel="email", recipient="2155550100@example.org", dedup_key="m2", reference="r2", state="sent"
    )

    migration.forwards(apps, None)

    def phone(row):
        return type(row).objects.values_list("phone", flat=True).get(pk=row.pk)

    assert [phone(r) for r in (keep, old, foreign, with_extension, no_phone)] == [
        "call the desk",
        "+12155550100",
        "+442079460958",
        "+12155550100;ext=7",
        "",
    ]
    assert sorted(old_customer.phones.values_list("number", "digits")) == [
        ("+12156868686", "+12156868686"),
        # The same line with an extension: its key is taken by the row above, so it stays as it was.
        ("215-686-8686 ext 3", "21568686863"),
        ("555 0199", "5550199"),  # does not parse: untouched
    ]
    assert Contact.objects.get(pk=made.pk).callback_phone == "+12155550142"
    entry.refresh_from_db()
    assert (entry.callback_phone, entry.callback_digits) == ("+12155550142", "+12155550142")
    sms.refresh_from_db()
    email.refresh_from_db()
    assert (sms.recipient, email.recipient) == ("+12155550100", "2155550100@example.org")

    migration.forwards(apps, None)  # running it again changes nothing
    assert phone(old) == "+12155550100"

    # Going back gives the keys their digits-only form; the numbers stay E.164 (the old rules take them).
    migration.backwards(apps, None)
    assert sorted(old_customer.phones.values_list("number", "digits")) == [
        ("+12156868686", "2156868686"),
        ("215-686-8686 ext 3", "21568686863"),
        ("555 0199", "5550199"),
    ]
    entry.refresh_from_db()
    assert entry.callback_digits == "2155550142"


def test_the_migration_is_in_the_plan():
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert ("people", "0008_phone_numbers_e164") in loader.graph.nodes


def test_a_mistyped_phone_region_is_a_system_check_error(settings):
    from civic311.people.checks import phone_region_is_known

    settings.CIVIC311_PHONE_REGION = "UK"
    errors = phone_region_is_known()
    assert [error.id for error in errors] == ["civic311.people.E001"]
    assert "GB" in (errors[0].hint or "")
    settings.CIVIC311_PHONE_REGION = "gb"
    assert phone_region_is_known() == []
