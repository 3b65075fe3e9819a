"""Writes to the CRM's customer records: residents the contact centre knows.

Every way in (the admin's and the console's customer pages, imports and the demo) calls these functions.
Each checks everything first and raises `ValidationError` keyed by field, writing nothing; the writes of
one call happen in one transaction. `actor` is the member of staff acting, or None for the system (the
demo seed, imports): staff need `people.view_customer` and the model permission for the write
(`add_customer` to create, `change_customer` otherwise), and every write by staff leaves a
`PersonalDataAccess` row. Nothing here logs personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction

from .. import contact_details
from ..contact_details import legacy_phone_digits, normalize_email, normalize_phone
from ..models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    PersonalDataAccess,
    Requester,
    User,
)
from ..selectors import may_see_contact_details, survivor_of

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

NAME_MAX = 100

# --- normalisation ---------------------------------------------------------------------------------


def check_phone(value: str, errors: dict[str, list[str]], key: str = "phone") -> tuple[str, str]:
    """(number as stored: E.164, matching key), or an error under `key` when the intake would refuse the
    number (then the number as written, and "")."""
    number = " ".join((value or "").split())
    stored = contact_details.phone_e164(number)  # "" for a number that is not valid
    if not stored:
        errors.setdefault(key, []).append(contact_details.phone_error())
        return number, ""
    return stored, normalize_phone(number)


def check_email(value: str, errors: dict[str, list[str]], key: str = "email") -> tuple[str, str]:
    """(address as written, normalised), or an error under `key` when the intake would refuse it."""
    email = (value or "").strip()
    if not contact_details.is_valid_email(email):
        errors.setdefault(key, []).append(_("Enter a valid e-mail address."))
        return email, ""
    return email, normalize_email(email)


# --- what may be given ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneIn:
    number: str
    label: str = CustomerPhone.Label.MOBILE


@dataclass(frozen=True)
class AddressIn:
    address: str
    zipcode: str = ""
    lat: float | None = None
    long: float | None = None


PhoneGiven = str | PhoneIn
AddressGiven = str | AddressIn | Mapping[str, object]


def _phone_in(value: PhoneGiven) -> PhoneIn:
    return value if isinstance(value, PhoneIn) else PhoneIn(str(value))


def _address_in(value: AddressGiven) -> AddressIn:
    if isinstance(value, AddressIn):
        return value
    if isinstance(value, str):
        return AddressIn(value)
    return AddressIn(
        str(value.get("address") or ""),
        str(value.get("zipcode") or ""),
        _coordinate(value.get("lat")),
        _coordinate(value.get("long")),
    )


def _coordinate(value: object) -> float | None:
    """A latitude or longitude as given (a number or its text); the address checks say whether it is one."""
    if value is None:
        return None
    if isinstance(value, int | float | str):
        return float(value)
    raise ValueError(f"not a coordinate: {type(value).__name__}")


# --- permissions and the audit ------------------------------------------------------------------------


def _check_actor(actor: User | None, permission: str) -> None:
    if actor is None:
        return
    if not (may_see_contact_details(actor) and actor.has_perm(f"people.{permission}")):
        raise PermissionDenied(_("You may not change customers' records."))


def _audit(actor: User | None, customer: Customer, purpose: str, where: str, now: dt.datetime) -> None:
    if actor is not None:
        PersonalDataAccess.objects.create(user=actor, customer=customer, purpose=purpose, where=where[:40], at=now)


def _check_open(customer: Customer) -> None:
    if customer.merged_into_id is not None:
        raise ValidationError({"customer": _("This record was merged into another one; change that one.")})


# --- the checks ------------------------------------------------------------------------------------------


def _check_name(value: str | None, key: str, errors: dict[str, list[str]]) -> str:
    name = " ".join((value or "").split())
    if len(name) > NAME_MAX:
        errors[key] = [_("A name can be at most %(max)d characters.") % {"max": NAME_MAX}]
    if "\x00" in name:
        errors[key] = [_("This contains an invisible NUL character, which cannot be stored. Remove it.")]
    return name


def _check_language(value: str | None, errors: dict[str, list[str]]) -> str:
    code = (value or "").strip()
    if code and code not in {language for language, _name in settings.LANGUAGES}:
        errors["preferred_language"] = [_("Choose one of the languages the city offers.")]
    return code


def _check_label(value: str, errors: dict[str, list[str]]) -> str:
    if value not in CustomerPhone.Label.values:
        errors["label"] = [_("Choose mobile, home, work or other.")]
    return value


def _check_address_in(value: AddressIn, errors: dict[str, list[str]], key: str = "address") -> AddressIn:
    found: dict[str, list[str]] = {}
    address, zipcode = contact_details.check_address(value.address, value.zipcode, found)
    if not address:
        found.setdefault("address", []).append(_("Write the address."))
    for name in ("lat", "long"):
        coordinate = getattr(value, name)
        limit = 90 if name == "lat" else 180
        if coordinate is not None and not -limit <= coordinate <= limit:
            found.setdefault(name, []).append(_("That is not a coordinate."))
    for name, messages in found.items():
        errors.setdefault(key if name == "address" else name, []).extend(messages)
    return AddressIn(address, zipcode, value.lat, value.long)


# --- customers ---------------------------------------------------------------------------------------------


def create_customer(
    jurisdiction: Jurisdiction,
    *,
    first_name: str = "",
    last_name: str = "",
    phones: Sequence[PhoneGiven] = (),
    emails: Sequence[str] = (),
    addresses: Sequence[AddressGiven] = (),
    consent_contact: bool = False,
    consent_survey: bool = False,
    preferred_language: str = "",
    actor: User | None,
    where: str = "",
    now: dt.datetime | None = None,
) -> Customer:
    """A new customer record; the first phone, e-mail and address given are the primary ones.

    The same number or address given twice (in any format) is kept once.
    """
    _check_actor(actor, "add_customer")
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    first = _check_name(first_name, "first_name", errors)
    last = _check_name(last_name, "last_name", errors)
    language = _check_language(preferred_language, errors)
    checked_phones: dict[str, tuple[str, str]] = {}
    for given in phones:
        phone = _phone_in(given)
        number, digits = check_phone(phone.number, errors, "phones")
        label = _check_label(phone.label, errors)
        if digits:
            checked_phones.setdefault(digits, (number, label))
    checked_emails: dict[str, str] = {}
    for given_email in emails:
        email, normalized = check_email(given_email, errors, "emails")
        if normalized:
            checked_emails.setdefault(normalized, email)
    checked_addresses = [_check_address_in(_address_in(given), errors, "addresses") for given in addresses]
    if not (first or last or checked_phones or checked_emails) and not errors:
        errors["last_name"] = [_("Give at least a name, a phone number or an e-mail address.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        customer = Customer.objects.create(
            jurisdiction=jurisdiction,
            first_name=first,
            last_name=last,
            preferred_language=language,
            consent_contact=bool(consent_contact),
            consent_survey=bool(consent_survey),
            consent_updated_at=now if (consent_contact or consent_survey) else None,
            created_at=now,
            updated_at=now,
        )
        CustomerPhone.objects.bulk_create(
            [
                CustomerPhone(customer=customer, number=number, digits=digits, label=label, is_primary=i == 0)
                for i, (digits, (number, label)) in enumerate(checked_phones.items())
            ]
        )
        CustomerEmail.objects.bulk_create(
            [
                CustomerEmail(customer=customer, email=email, normalized=normalized, is_primary=i == 0)
                for i, (normalized, email) in enumerate(checked_emails.items())
            ]
        )
        CustomerAddress.objects.bulk_create(
            [
                CustomerAddress(
                    customer=customer, address=a.address, zipcode=a.zipcode, lat=a.lat, long=a.long, is_primary=i == 0
                )
                for i, a in enumerate(checked_addresses)
            ]
        )
        _audit(actor, customer, PersonalDataAccess.Purpose.EDIT, where, now)
    logger.info("customer %s created", customer.pk)
    return customer


def update_customer(
    customer: Customer,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    preferred_language: str | None = None,
    actor: User | None,
    where: str = "",
    now: dt.datetime | None = None,
) -> Customer:
    """Change a customer's name or language; None leaves a field as it is."""
    _check_actor(actor, "change_customer")
    _check_open(customer)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    changes: dict[str, str] = {}
    if first_name is not None:
        changes["first_name"] = _check_name(first_name, "first_name", errors)
    if last_name is not None:
        changes["last_name"] = _check_name(last_name, "last_name", errors)
    if preferred_language is not None:
        changes["preferred_language"] = _check_language(preferred_language, errors)
    if errors:
        raise ValidationError(errors)
    changed = [name for name, value in changes.items() if getattr(customer, name) != value]
    if not changed:
        return customer
    with transaction.atomic():
        for name in changed:
            setattr(customer, name, changes[name])
        customer.updated_at = now
        customer.save(update_fields=[*changed, "updated_at"])
        _audit(actor, customer, PersonalDataAccess.Purpose.EDIT, where, now)
    return customer


def record_consent(
    customer: Customer,
    *,
    contact: bool | None = None,
    survey: bool | None = None,
    actor: User | None,
    where: str = "",
    now: dt.datetime | None = None,
) -> Customer:
    """Record the resident's decision on being contacted and on being surveyed; None leaves one as it is.

    The time of the decision is kept even when it repeats the last one: the resident confirmed it then.
    """
    _check_actor(actor, "change_customer")
    _check_open(customer)
    if contact is None and survey is None:
        raise ValidationError({"consent": _("Say what the resident agreed to or refused.")})
    now = now or timezone.now()
    with transaction.atomic():
        fields = ["consent_updated_at", "updated_at"]
        if contact is not None:
            customer.consent_contact = bool(contact)
            fields.append("consent_contact")
        if survey is not None:
            customer.consent_survey = bool(survey)
            fields.append("consent_survey")
        customer.consent_updated_at = customer.updated_at = now
        customer.save(update_fields=fields)
        _audit(actor, customer, PersonalDataAccess.Purpose.EDIT, where, now)
    return customer


# --- phones, e-mails, addresses ---------------------------------------------------------------------------


def _touch(customer: Customer, actor: User | None, where: str, now: dt.datetime) -> None:
    Customer.objects.filter(pk=customer.pk).update(updated_at=now)
    customer.updated_at = now
    _audit(actor, customer, PersonalDataAccess.Purpose.EDIT, where, now)


def _make_primary(item: CustomerPhone | CustomerEmail | CustomerAddress) -> None:
    model = type(item)
    model.objects.filter(customer_id=item.customer_id).exclude(pk=item.pk).update(is_primary=False)
    if not item.is_primary:
        item.is_primary = True
        item.save(update_fields=["is_primary"])


def _has_primary(model: type[Model], customer: Customer) -> bool:
    return model._default_manager.filter(customer=customer, is_primary=True).exists()


def add_phone(
    customer: Customer,
    number: str,
    *,
    label: str = CustomerPhone.Label.MOBILE,
    primary: bool = False,
    actor: User | None,
    where: str = "",
    now: dt.datetime | None = None,
) -> CustomerPhone:
    """Add a phone number; the first one, or one added as primary, becomes the primary number."""
    _check_actor(actor, "change_customer")
    _check_open(customer)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    written, digits = check_phone(number, errors, "number")
    _check_label(label, errors)
    # An old row may still be keyed on its digits (see legacy_phone_digits): the same number all the same.
    if digits and customer.phones.filter(digits__in={digits, legacy_phone_digits(number)}).exists():
        errors["number"] = [_("This customer already has that phone number.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        phone = CustomerPhone.objects.create(customer=customer, number=written, digits=digits, label=label)
        if primary or not _has_primary(CustomerPhone, customer):
            _make_primary(phone)
        _touch(customer, actor, where, now)
    return phone


def add_email(
    customer: Customer,
    email: str,
    *,
    primary: bool = False,
    actor: User | None,
    where: str = "",
    now: dt.datetime | None = None,
) -> CustomerEmail:
    """Add an e-mail address; the first one, or one added as primary, becomes the primary address."""
    _check_actor(actor, "change_customer")
    _check_open(customer)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    written, normalized = check_email(email, errors, "email")
    if normalized and customer.emails.filter(normalized=normalized).exists():
        errors["email"] = [_("This customer already has that e-mail address.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = CustomerEmail.objects.create(customer=customer, email=written, normalized=normalized)
        if primary or not _has_primary(CustomerEmail, customer):
            _make_primary(item)
        _touch(customer, actor, where, now)
    return item


def add_address(
    customer: Customer,
    address: AddressGiven,
    *,
    primary: bool = False,
    actor: User | None,
    where: str = "",
    now: dt.datetime | None = None,
) -> CustomerAddress:
    """Add an address (text, ZIP code and an optional point); the first one becomes the primary address."""
    _check_actor(actor, "change_customer")
    _check_open(customer)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    checked = _check_address_in(_address_in(address), errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = CustomerAddress.objects.create(
            customer=customer, address=checked.address, zipcode=checked.zipcode, lat=checked.lat, long=checked.long
        )
        if primary or not _has_primary(CustomerAddress, customer):
            _make_primary(item)
        _touch(customer, actor, where, now)
    return item


def _remove(
    item: CustomerPhone | CustomerEmail | CustomerAddress, actor: User | None, where: str, now: dt.datetime | None
) -> None:
    _check_actor(actor, "change_customer")
    customer = item.customer
    _check_open(customer)
    now = now or timezone.now()
    model = type(item)
    with transaction.atomic():
        was_primary = item.is_primary
        item.delete()
        if was_primary:
            # The oldest one left takes over, so a customer with any number always has a primary one.
            successor = model._default_manager.filter(customer=customer).order_by("pk").first()
            if successor is not None:
                _make_primary(successor)
        _touch(customer, actor, where, now)


def remove_phone(phone: CustomerPhone, *, actor: User | None, where: str = "", now: dt.datetime | None = None) -> None:
    _remove(phone, actor, where, now)


def remove_email(email: CustomerEmail, *, actor: User | None, where: str = "", now: dt.datetime | None = None) -> None:
    _remove(email, actor, where, now)


def remove_address(
    address: CustomerAddress, *, actor: User | None, where: str = "", now: dt.datetime | None = None
) -> None:
    _remove(address, actor, where, now)


def _set_primary(
    item: CustomerPhone | CustomerEmail | CustomerAddress, actor: User | None, where: str, now: dt.datetime | None
) -> None:
    _check_actor(actor, "change_customer")
    _check_open(item.customer)
    with transaction.atomic():
        _make_primary(item)
        _touch(item.customer, actor, where, now or timezone.now())


def set_primary_phone(
    phone: CustomerPhone, *, actor: User | None, where: str = "", now: dt.datetime | None = None
) -> None:
    _set_primary(phone, actor, where, now)


def set_primary_email(
    email: CustomerEmail, *, actor: User | None, where: str = "", now: dt.datetime | None = None
) -> None:
    _set_primary(email, actor, where, now)


def set_primary_address(
    address: CustomerAddress, *, actor: User | None, where: str = "", now: dt.datetime | None = None
) -> None:
    _set_primary(address, actor, where, now)


# --- requesters ---------------------------------------------------------------------------------------------


def link_requester(
    requester: Requester, customer: Customer, *, actor: User | None, where: str = "", now: dt.datetime | None = None
) -> Requester:
    """Say that the person who gave these contact details with a request is this customer.

    A merged record is followed to its survivor. The requester's requests and contacts must be in the
    customer's jurisdiction. The snapshot itself is never changed: it is what the resident gave then.
    """
    _check_actor(actor, "change_customer")
    now = now or timezone.now()
    customer = survivor_of(customer)
    elsewhere = (
        requester.service_requests.exclude(jurisdiction_id=customer.jurisdiction_id).exists()
        or requester.contacts.exclude(jurisdiction_id=customer.jurisdiction_id).exists()
    )
    if elsewhere:
        raise ValidationError({"customer": _("That customer belongs to another jurisdiction.")})
    with transaction.atomic():
        requester.customer = customer
        requester.save(update_fields=["customer"])
        _audit(actor, customer, PersonalDataAccess.Purpose.EDIT, where, now)
    return requester


# --- merge --------------------------------------------------------------------------------------------------


def merge_customers(
    survivor: Customer, duplicate: Customer, *, actor: User | None, where: str = "", now: dt.datetime | None = None
) -> Customer:
    """Fold `duplicate` into `survivor`, two records of one person, and return the survivor.

    The duplicate's phones, e-mails and addresses move over (those the survivor already has are dropped;
    the survivor's primaries stay primary), and so do its requesters, so its whole history is the
    survivor's. Consent: each flag is the most recent decision of the two records (the one whose
    `consent_updated_at` is later; a record that never recorded one loses). Name and language are the
    survivor's, filled from the duplicate where empty. The duplicate stays, empty, pointing at the
    survivor; records merged into it earlier now point at the survivor too.

    A merged survivor is followed to its own survivor. Refused: merging a record into itself, across
    jurisdictions, or a duplicate that was already merged.
    """
    _check_actor(actor, "change_customer")
    now = now or timezone.now()
    with transaction.atomic():
        # Lock both rows in a fixed order, so two merges of the same pair cannot interleave.
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk]).order_by("pk")
        }
        duplicate = locked.get(duplicate.pk, duplicate)
        survivor = survivor_of(locked.get(survivor.pk, survivor))
        if duplicate.merged_into_id is not None:
            raise ValidationError({"duplicate": _("That record was already merged into another one.")})
        if survivor.pk == duplicate.pk:
            raise ValidationError({"survivor": _("A record cannot be merged into itself.")})
        if survivor.jurisdiction_id != duplicate.jurisdiction_id:
            raise ValidationError({"survivor": _("Records of different jurisdictions cannot be merged.")})

        have_digits = set(survivor.phones.values_list("digits", flat=True))
        survivor_has_phone = bool(have_digits)
        for phone in duplicate.phones.order_by("-is_primary", "pk"):
            if phone.digits in have_digits:
                phone.delete()
                continue
            have_digits.add(phone.digits)
            phone.customer = survivor
            phone.is_primary = not survivor_has_phone and phone.is_primary
            phone.save(update_fields=["customer", "is_primary"])
        have_emails = set(survivor.emails.values_list("normalized", flat=True))
        survivor_has_email = bool(have_emails)
        for email in duplicate.emails.order_by("-is_primary", "pk"):
            if email.normalized in have_emails:
                email.delete()
                continue
            have_emails.add(email.normalized)
            email.customer = survivor
            email.is_primary = not survivor_has_email and email.is_primary
            email.save(update_fields=["customer", "is_primary"])
        have_addresses = {_address_key(a.address, a.zipcode) for a in survivor.addresses.all()}
        survivor_has_address = bool(have_addresses)
        for address in duplicate.addresses.order_by("-is_primary", "pk"):
            key = _address_key(address.address, address.zipcode)
            if key in have_addresses:
                address.delete()
                continue
            have_addresses.add(key)
            address.customer = survivor
            address.is_primary = not survivor_has_address and address.is_primary
            address.save(update_fields=["customer", "is_primary"])

        Requester.objects.filter(customer=duplicate).update(customer=survivor)
        Customer.objects.filter(merged_into=duplicate).update(merged_into=survivor, updated_at=now)

        fields = ["updated_at", "consent_contact", "consent_survey", "consent_updated_at"]
        if _later(duplicate.consent_updated_at, survivor.consent_updated_at):
            survivor.consent_contact = duplicate.consent_contact
            survivor.consent_survey = duplicate.consent_survey
            survivor.consent_updated_at = duplicate.consent_updated_at
        elif survivor.consent_updated_at is None:
            # Neither record says when the resident decided: keep a consent only if both records have it.
            survivor.consent_contact = survivor.consent_contact and duplicate.consent_contact
            survivor.consent_survey = survivor.consent_survey and duplicate.consent_survey
        for name in ("first_name", "last_name", "preferred_language"):
            if not getattr(survivor, name) and getattr(duplicate, name):
                setattr(survivor, name, getattr(duplicate, name))
                fields.append(name)
        survivor.updated_at = now
        survivor.save(update_fields=fields)
        duplicate.merged_into = survivor
        duplicate.updated_at = now
        duplicate.save(update_fields=["merged_into", "updated_at"])
        if actor is not None:
            PersonalDataAccess.objects.bulk_create(
                [
                    PersonalDataAccess(
                        user=actor, customer=record, purpose=PersonalDataAccess.Purpose.MERGE, where=where[:40], at=now
                    )
                    for record in (survivor, duplicate)
                ]
            )
    logger.info("customer %s merged into %s", duplicate.pk, survivor.pk)
    return survivor


def _address_key(address: str, zipcode: str) -> tuple[str, str]:
    return " ".join(address.lower().replace(",", " ").replace(".", " ").split()), zipcode.strip()[:5]


def _later(one: dt.datetime | None, other: dt.datetime | None) -> bool:
    return one is not None and (other is None or one > other)
