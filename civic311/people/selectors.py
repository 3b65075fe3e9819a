"""Reads of the CRM's customer records, and who may see a resident's contact details.

Contact details are personal data: only superusers and staff holding `people.view_customer` (agents and
supervisors, through their roles) see them, and every look by staff leaves a `PersonalDataAccess` row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction

from . import roles
from .contact_details import legacy_phone_digits, normalize_email, normalize_phone
from .models import Customer, PersonalDataAccess, Requester, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

MAX_RESULTS = 25
MIN_PHONE_DIGITS = 7
PHONE_PUNCTUATION = frozenset("0123456789 +-().")


# --- who may see -----------------------------------------------------------------------------------------


def may_see_contact_details(
    user: User | AnonymousUser | None, *, service_request: roles.ServiceRequestOnRecord | None = None
) -> bool:
    """Whether `user` may see residents' contact details.

    The rule is `civic311.people.roles.may_see_contact_details` (agents, supervisors and admins; any other
    active member of staff only for a request assigned to them). Active staff holding `people.view_customer`
    directly (not through a role) may too, as before roles existed.
    """
    return roles.may_see_customers(user, service_request)


def customer_details_for(user: User, customer: Customer, *, where: str) -> Customer:
    """The customer record with its phones, e-mails and addresses, for a user allowed to see them.

    Writes a VIEW row in the audit; raises PermissionDenied (and writes nothing) otherwise.
    """
    if not may_see_contact_details(user):
        raise PermissionDenied(_("You may not see customers' contact details."))
    PersonalDataAccess.objects.create(
        user=user, customer=customer, purpose=PersonalDataAccess.Purpose.VIEW, where=where[:40], at=timezone.now()
    )
    return (
        Customer.objects.prefetch_related("phones", "emails", "addresses")
        .select_related("merged_into")
        .get(pk=customer.pk)
    )


class RequestWithRequester(roles.ServiceRequestOnRecord, Protocol):
    """A service request as these rules read it (the model sits a layer above people)."""

    @property
    def requester(self) -> Requester | None: ...


def requester_details_for(user: User, service_request: RequestWithRequester, *, where: str) -> Requester | None:
    """The requester of a request, for a user allowed to see them (a VIEW row in the audit), else None.

    None too when the resident gave no details: nothing was seen, so nothing is audited.
    """
    requester = service_request.requester
    if requester is None or requester.is_empty:
        return None
    if not may_see_contact_details(user, service_request=service_request):
        return None
    PersonalDataAccess.objects.create(
        user=user,
        requester=requester,
        customer_id=requester.customer_id,
        purpose=PersonalDataAccess.Purpose.VIEW,
        where=where[:40],
        at=timezone.now(),
    )
    return requester


def audit_look(
    user: User,
    *,
    requester: Requester | None = None,
    customer: Customer | None = None,
    purpose: str = PersonalDataAccess.Purpose.VIEW,
    where: str,
) -> None:
    """Record that `user` looked at personal data (a list with neither subject is a look at many)."""
    if customer is None and requester is not None:
        customer = requester.customer
    PersonalDataAccess.objects.create(
        user=user, requester=requester, customer=customer, purpose=purpose, where=where[:40], at=timezone.now()
    )


def survivor_of(customer: Customer) -> Customer:
    """The record a merged customer now lives in (itself when it was never merged)."""
    seen = {customer.pk}
    while (successor := customer.merged_into) is not None:  # no query when merged_into_id is None
        customer = successor
        if customer.pk in seen:  # a loop cannot be written by merge_customers; never follow one forever
            break
        seen.add(customer.pk)
    return customer


# --- finding ------------------------------------------------------------------------------------------------


def find_customers(
    jurisdiction: Jurisdiction | None, query: str, *, actor: User, where: str = "", limit: int = MAX_RESULTS
) -> list[Customer]:
    """Customers matching what a caller says: a phone number in any format (the last 7 digits or more
    are enough), an e-mail address in any case, or name words (each the start of a first or last name).

    Merged records resolve to their survivor. At most `limit` customers, by name. `jurisdiction` None
    searches every jurisdiction (the admin). Writes a SEARCH row in the audit per customer found (one
    without a customer when nothing was found); raises PermissionDenied for staff who may not search.
    """
    if not may_see_contact_details(actor):
        raise PermissionDenied(_("You may not search customers' records."))
    query = " ".join((query or "").replace("\x00", "").split())[:200]
    customers = Customer.objects.all()
    if jurisdiction is not None:
        customers = customers.filter(jurisdiction=jurisdiction)
    # The last digits as said: they end both an E.164 key ("+12156868686") and an old digits-only one.
    digits = legacy_phone_digits(query)
    if not query:
        matches = customers.none()
    elif "@" in query:
        matches = customers.filter(emails__normalized=normalize_email(query))
    elif set(query) <= PHONE_PUNCTUATION:
        matches = (
            customers.filter(phones__digits__endswith=digits) if len(digits) >= MIN_PHONE_DIGITS else customers.none()
        )
    else:
        condition = Q()
        for word in query.split()[:5]:
            condition &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
        matches = customers.filter(condition)
    found: dict[int, Customer] = {}
    for customer in (
        matches.select_related("merged_into").distinct().order_by("last_name", "first_name", "pk")[: limit * 2]
    ):
        survivor = survivor_of(customer)
        found.setdefault(survivor.pk, survivor)
        if len(found) >= limit:
            break
    results = sorted(found.values(), key=lambda c: (c.last_name.lower(), c.first_name.lower(), c.pk))
    now = timezone.now()
    PersonalDataAccess.objects.bulk_create(
        [
            PersonalDataAccess(
                user=actor, customer=c, purpose=PersonalDataAccess.Purpose.SEARCH, where=where[:40], at=now
            )
            for c in results
        ]
        or [PersonalDataAccess(user=actor, purpose=PersonalDataAccess.Purpose.SEARCH, where=where[:40], at=now)]
    )
    return results


def customer_for_contact_details(jurisdiction: Jurisdiction, *, email: str = "", phone: str = "") -> Customer | None:
    """The one customer whose e-mail or phone is exactly this (in any format), or None.

    When both are given and one customer has both, that one; when the details point at different
    customers (families share a phone), None: the agent decides. No audit row: the caller (the agent
    console) shows the record through `customer_details_for`, which writes one.
    """
    normalized, digits = normalize_email(email), normalize_phone(phone)
    # The E.164 key, or the digits-only one a number stored before E.164 may still have.
    phone_keys = {digits, legacy_phone_digits(phone)} - {""} if digits else set()
    by_email = (
        Customer.objects.filter(jurisdiction=jurisdiction, emails__normalized=normalized)
        if normalized
        else Customer.objects.none()
    )
    by_phone = (
        Customer.objects.filter(jurisdiction=jurisdiction, phones__digits__in=phone_keys).distinct()
        if phone_keys
        else Customer.objects.none()
    )
    email_matches = {survivor_of(c).pk: survivor_of(c) for c in by_email.select_related("merged_into")[:10]}
    phone_matches = {survivor_of(c).pk: survivor_of(c) for c in by_phone.select_related("merged_into")[:10]}
    both = set(email_matches) & set(phone_matches)
    if len(both) == 1:
        return email_matches[both.pop()]
    candidates = {**email_matches, **phone_matches}
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    return None


# --- the language to write to a resident in -------------------------------------------------------------


def supported_language(value: str | None) -> str:
    """The code in `settings.LANGUAGES` for a language a resident or a client named ("es", "es-MX", "es_mx"),
    or "" when none of ours fits."""
    text = (value or "").strip().replace("_", "-").lower()
    if not text or len(text) > 35:
        return ""
    try:
        return get_supported_language_variant(text)  # Django's own matching: "es-mx" is served by "es"
    except LookupError:
        return ""


def language_for(requester: Requester | None) -> str:
    """What a requester's e-mails and text messages are written in: the language they used when filing,
    else their customer record's preferred language, else the site's default."""
    if requester is None:
        return settings.LANGUAGE_CODE
    customer = requester.customer if requester.customer_id else None
    return (
        supported_language(requester.language)
        or supported_language(customer.preferred_language if customer else "")
        or settings.LANGUAGE_CODE
    )
