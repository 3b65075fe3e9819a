"""Phone numbers as people and clients really write them (a note after the number, an extension, an old
row kept from before E.164): what the intake, Open311, the staff API, the admin and the migration take."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from civic311.open311 import services as open311
from civic311.people.models import Customer, CustomerPhone, StaffRole
from civic311.service_requests.models import ServiceRequest

from .factories import StaffFactory, filed_request, with_role
from .test_open311_writes import assert_error, post, report
from .test_staff_api import API, WORK, grant, token_client

pytestmark = pytest.mark.django_db

migration = importlib.import_module("civic311.people.migrations.0008_phone_numbers_e164")


def _change_form(customer: Customer, phone: CustomerPhone, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "preferred_language": "",
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "1",
        "phones-0-id": str(phone.pk),
        "phones-0-customer": str(customer.pk),
        "phones-0-number": phone.number,
        "phones-0-label": phone.label,
        "phones-0-is_primary": "on",
        "emails-TOTAL_FORMS": "0",
        "emails-INITIAL_FORMS": "0",
        "addresses-TOTAL_FORMS": "0",
        "addresses-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("old_number", ["686-8686", "(555) 555-5555"])
def test_a_customer_with_a_number_stored_before_e164_can_still_be_edited_in_the_admin(client, jurisdiction, old_number):
    """A number the old rules took (7 to 15 digits) that is not a valid one now stays as it was stored
    (migration people 0008); changing something else on the record must not be refused because of it."""
    customer = Customer.objects.create(jurisdiction=jurisdiction, first_name="Olga", last_name="Oldrow")
    phone = CustomerPhone.objects.create(
        customer=customer, number=old_number, digits="".join(c for c in old_number if c.isdigit()), is_primary=True
    )
    client.force_login(StaffFactory(username="root", is_superuser=True))
    url = reverse("admin:people_customer_change", args=[customer.pk])
    response = client.post(url, _change_form(customer, phone, last_name="Oldrow-Smith"))
    assert response.status_code == 302, response.context and response.context.get("errors")
    customer.refresh_from_db()
    assert customer.last_name == "Oldrow-Smith"
    assert list(customer.phones.values_list("number", flat=True)) == [old_number]  # kept as stored
    # Changing the old number itself goes through today's rules.
    response = client.post(url, _change_form(customer, phone, **{"phones-0-number": "555-1234"}))
    assert response.status_code == 200
    assert list(customer.phones.values_list("number", flat=True)) == [old_number]
    # Making it the primary number again is not a change of the number: it is saved as it is.
    second = CustomerPhone.objects.create(customer=customer, number="+12156868686", digits="+12156868686")
    CustomerPhone.objects.filter(pk=phone.pk).update(is_primary=False)
    CustomerPhone.objects.filter(pk=second.pk).update(is_primary=True)
    data = _change_form(customer, phone)  # the old number ticked primary
    data.update(
        {
            "phones-TOTAL_FORMS": "2",
            "phones-INITIAL_FORMS": "2",
            "phones-1-id": str(second.pk),
            "phones-1-customer": str(customer.pk),
            "phones-1-number": second.number,
            "phones-1-label": second.label,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302
    assert customer.phones.get(is_primary=True).number == old_number


# --- Open311 clients post phone numbers as their users typed them ---------------------------------------


@pytest.fixture
def key(jurisdiction):
    return open311.issue_api_key(jurisdiction, "FixMyStreet", contact_email="dev@example.org").key


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("215-686-8686 x123", "+12156868686;ext=123"),
        ("+1 (215) 686-8686", "+12156868686"),
        ("1-215-686-8686", "+12156868686"),
        ("1-800-555-0199", "+18005550199"),
        ("1-800-FLOWERS", "+18003569377"),
    ],
)
def test_open311_numbers_as_us_callers_write_them_are_taken(client, service, key, written, stored):
    assert post(client, report(key, service, phone=written)).status_code == 200
    requester = ServiceRequest.objects.get().requester
    assert requester is not None and requester.phone == stored


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("written", ["686-8686", "(555) 555-5555", "+1 215 686 86869999999999999999999999999999999999"])
def test_open311_a_number_that_is_not_valid_is_a_400_naming_phone(client, service, key, fmt, written):
    assert_error(
        post(client, report(key, service, phone=written), fmt=fmt), 400, r"^phone: .*\(201\) 555-0123", fmt=fmt
    )
    assert not ServiceRequest.objects.exists()


# --- phone numbers: what is stored fits the columns, and going back restores the old keys ----------------


@pytest.mark.parametrize(
    "written",
    [
        "+49802598297517210ext1111111111111111111",  # 40 characters as written, 42 as E.164 with ";ext="
        "+435410645935621ext11111111111111111111",
        "+971800917494862\u0434\u043e\u043111111111111111111111",  # "доб", Russian for "ext"
    ],
)
def test_a_number_whose_stored_form_would_not_fit_is_refused(service, written):
    from civic311.people import contact_details

    assert len(written) <= contact_details.PHONE_MAX_CHARS
    assert not contact_details.is_valid_phone(written)
    assert contact_details.phone_e164(written) == ""
    assert migration.stored(written) is None  # the migration leaves such a row as it is
    with pytest.raises(ValidationError) as refused:
        filed_request(service, phone=written)
    assert "phone" in refused.value.message_dict


def test_every_stored_number_fits_the_columns():
    from civic311.people import contact_details

    for number in ("+49802598297517210", "+435410645935621", "+12156868686"):
        for separator in ("ext", " ext. ", ";ext=", "x", "#", "\u0434\u043e\u0431"):
            for digits in range(1, 25):
                stored = contact_details.phone_e164(f"{number}{separator}{'7' * digits}")
                assert len(stored) <= contact_details.PHONE_MAX_CHARS, stored


def test_going_back_gives_a_us_number_with_an_extension_its_old_key(jurisdiction):
    customer = Customer.objects.create(jurisdiction=jurisdiction, first_name="Olga", last_name="Oldrow")
    phone = CustomerPhone.objects.create(customer=customer, number="(215) 555-0100 x 7", digits="21555501007")
    migration.forwards(apps, None)
    phone.refresh_from_db()
    assert (phone.number, phone.digits) == ("+12155550100;ext=7", "+12155550100")
    migration.backwards(apps, None)
    phone.refresh_from_db()
    assert (phone.number, phone.digits) == ("+12155550100;ext=7", "21555501007")  # what the old code looks up


@pytest.mark.parametrize("written", ["686-8686", "+49802598297517210ext1111111111111111111"])
def test_the_staff_api_refuses_a_number_that_is_not_valid_with_a_400_naming_phone(service, written):
    agent = with_role(grant(StaffFactory(username="agent"), *WORK), StaffRole.SUPERVISOR)
    response = token_client(agent).post(
        f"{API}/requests/",
        {"service_code": service.code, "address": "1 Main St", "phone": written},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["phone"]
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("215-686-8686 (cell)", "+12156868686"),
        ("+1 215 686 8686 (mobile)", "+12156868686"),
        ("215 686 8686 ext 12 (work)", "+12156868686;ext=12"),
        ("215 686 8686 call after 5pm", "+12156868686"),
    ],
)
def test_a_number_with_a_word_after_it_is_taken_as_the_old_rules_took_it(service, written, stored):
    """Open311's `phone` is free text, and the old rules took any 7 to 15 digits: a note after a number
    must not turn the whole report away."""
    from civic311.people import contact_details

    assert contact_details.phone_e164(written) == stored
    assert contact_details.normalize_phone(written) == stored.partition(";")[0]
    request = filed_request(service, phone=written)
    assert request.requester is not None and request.requester.phone == stored


@pytest.mark.parametrize("written", ["home 215-686-8686 cell 267-555-0100", "215-686-8686 / 267-555-0100"])
def test_two_numbers_in_one_field_are_refused(written):
    from civic311.people import contact_details

    assert not contact_details.is_valid_phone(written)
