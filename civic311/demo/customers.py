"""The demo city's CRM: a few hundred customers made from the people who gave contact details with
their requests, linked to those requesters, inserted in bulk (the rows are what the services would write:
normalised phones and e-mails, one primary of each)."""

from __future__ import annotations

import random

from django.db import transaction

from civic311.jurisdictions.models import Jurisdiction
from civic311.people.contact_details import phone_e164
from civic311.people.models import Customer, CustomerAddress, CustomerEmail, CustomerPhone, Requester
from civic311.people.services import normalize_email, normalize_phone
from civic311.service_requests.models import ServiceRequest

CONSENT_CONTACT, CONSENT_SURVEY = 0.7, 0.4
LANGUAGES = ("", "", "", "", "es", "zh-hans", "vi")


@transaction.atomic
def create_demo_customers(jurisdiction: Jurisdiction, count: int = 300, seed: int = 311) -> int:
    """Make up to `count` customers from the city's requesters; requesters who gave the same e-mail address
    become one customer. Returns how many were made (none when the city already has customers)."""
    if Customer.objects.filter(jurisdiction=jurisdiction).exists():
        return 0
    rng = random.Random(seed)
    rows = (
        ServiceRequest.objects.filter(jurisdiction=jurisdiction, requester__isnull=False)
        .order_by("requested_at", "pk")
        .values_list(
            "requester_id",
            "requester__first_name",
            "requester__last_name",
            "requester__email",
            "requester__phone",
            "requester__created_at",
            "address",
            "zipcode",
            "lat",
            "long",
        )
    )
    people: dict[str, list] = {}  # the person's key → [requester ids, first row]
    for row in rows.iterator(chunk_size=2_000):
        requester_id, first, last, email, phone = row[:5]
        if not (email or phone):
            continue  # a name alone cannot tell two residents apart
        key = normalize_email(email) or f"{first} {last} {normalize_phone(phone)}".lower()
        if key in people:
            people[key][0].append(requester_id)
        elif len(people) < count:
            people[key] = [[requester_id], row]
    customers, plans = [], []
    for requester_ids, row in people.values():
        _id, first, last, email, phone, created_at, address, zipcode, lat, long = row
        consented = rng.random()
        customers.append(
            Customer(
                jurisdiction=jurisdiction,
                first_name=first,
                last_name=last,
                preferred_language=rng.choice(LANGUAGES),
                consent_contact=consented < CONSENT_CONTACT,
                consent_survey=consented < CONSENT_SURVEY,
                consent_updated_at=created_at,
                created_at=created_at,
                updated_at=created_at,
            )
        )
        plans.append((requester_ids, email, phone, address, zipcode, lat, long))
    Customer.objects.bulk_create(customers, batch_size=1_000)
    phones: list[CustomerPhone] = []
    emails: list[CustomerEmail] = []
    addresses: list[CustomerAddress] = []
    links: list[Requester] = []
    for customer, (requester_ids, email, phone, address, zipcode, lat, long) in zip(customers, plans, strict=True):
        if phone:
            phones.append(
                CustomerPhone(
                    customer=customer, number=phone_e164(phone) or phone, digits=normalize_phone(phone), is_primary=True
                )
            )
        if email:
            emails.append(
                CustomerEmail(customer=customer, email=email, normalized=normalize_email(email), is_primary=True)
            )
        if address:
            addresses.append(
                CustomerAddress(
                    customer=customer, address=address, zipcode=zipcode, lat=lat, long=long, is_primary=True
                )
            )
        links.extend(Requester(pk=requester_id, customer=customer) for requester_id in requester_ids)
    CustomerPhone.objects.bulk_create(phones, batch_size=1_000)
    CustomerEmail.objects.bulk_create(emails, batch_size=1_000)
    CustomerAddress.objects.bulk_create(addresses, batch_size=1_000)
    Requester.objects.bulk_update(links, ["customer"], batch_size=1_000)
    return len(customers)


def delete_customers(jurisdiction: Jurisdiction) -> None:
    """Every customer record of the jurisdiction (requesters and the audit keep their rows, unlinked)."""
    customers = Customer.objects.filter(jurisdiction=jurisdiction)
    Requester.objects.filter(customer__jurisdiction=jurisdiction).update(customer=None)
    customers.exclude(merged_into=None).update(merged_into=None)
    for model in (CustomerPhone, CustomerEmail, CustomerAddress):
        model._default_manager.filter(customer__jurisdiction=jurisdiction).delete()
    customers.delete()
