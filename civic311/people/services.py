"""Writes to the CRM's customer records: residents the contact centre knows.

Every way in (the admin today, the agent console later, imports and the demo) calls these functions.
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

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction

from . import contact_details
from .models import (
    DEPARTMENT_ROLES,
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    PersonalDataAccess,
    Requester,
    RoleAssignment,
    StaffRole,
    Team,
    User,
)
from .selectors import may_see_contact_details, survivor_of

logger = logging.getLogger(__name__)

NAME_MAX = 100

# --- normalisation ---------------------------------------------------------------------------------


def normalize_phone(value: str) -> str:
    """Digits only; a US number written with its country code ("1 215 686 8686") loses the leading 1."""
    digits = contact_details.phone_digits(value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def check_phone(value: str, errors: dict, key: str = "phone") -> tuple[str, str]:
    """(number as written, digits), or an error under `key` when the intake would refuse the number."""
    number = " ".join((value or "").split())
    if not contact_details.is_valid_phone(number):
        errors.setdefault(key, []).append(_("Enter a phone number with 7 to 15 digits."))
        return number, ""
    return number, normalize_phone(number)


def check_email(value: str, errors: dict, key: str = "email") -> tuple[str, str]:
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
    lat, long = value.get("lat"), value.get("long")
    return AddressIn(
        str(value.get("address") or ""),
        str(value.get("zipcode") or ""),
        float(lat) if lat is not None else None,  # type: ignore[arg-type]
        float(long) if long is not None else None,  # type: ignore[arg-type]
    )


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


def _check_name(value: str | None, key: str, errors: dict) -> str:
    name = " ".join((value or "").split())
    if len(name) > NAME_MAX:
        errors[key] = [_("A name can be at most %(max)d characters.") % {"max": NAME_MAX}]
    if "\x00" in name:
        errors[key] = [_("This contains an invisible NUL character, which cannot be stored. Remove it.")]
    return name


def _check_language(value: str | None, errors: dict) -> str:
    code = (value or "").strip()
    if code and code not in {language for language, _name in settings.LANGUAGES}:
        errors["preferred_language"] = [_("Choose one of the languages the city offers.")]
    return code


def _check_label(value: str, errors: dict) -> str:
    if value not in CustomerPhone.Label.values:
        errors["label"] = [_("Choose mobile, home, work or other.")]
    return value


def _check_address_in(value: AddressIn, errors: dict, key: str = "address") -> AddressIn:
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
    if digits and customer.phones.filter(digits=digits).exists():
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


# --- contact-centre teams ---------------------------------------------------------------------------------


def check_team(team: Team) -> None:
    """A team's supervisor holds the supervisor role and works in the team's city (ValidationError if not)."""
    from . import roles

    supervisor = team.supervisor
    if supervisor is None:
        return
    if StaffRole.SUPERVISOR not in roles.roles_of(supervisor):
        raise ValidationError({"supervisor": [_("The team's supervisor must hold the supervisor role.")]})
    if not roles.sees_jurisdiction(supervisor, team.jurisdiction_id):
        raise ValidationError({"supervisor": [_("The team's supervisor works for another city.")]})


def save_team(team: Team, *, actor: User | None) -> Team:
    """Create or change a team (admins; `actor` None is the system: the demo, imports)."""
    from . import roles

    if actor is not None and not roles.is_admin(actor):
        raise PermissionDenied(_("Only administrators manage teams."))
    check_team(team)
    team.full_clean()
    team.save()
    return team


def move_to_team(user: User, team: Team | None, *, actor: User | None) -> User:
    """Put a member of staff in `team` (or in none). Past survey results keep the team they were taken in."""
    from . import roles

    if actor is not None and not roles.is_admin(actor):
        raise PermissionDenied(_("Only administrators manage teams."))
    if team is not None and not roles.sees_jurisdiction(user, team.jurisdiction_id):
        raise ValidationError({"team": [_("This team belongs to another city.")]})
    User.objects.filter(pk=user.pk).update(team=team)
    user.team = team
    return user


# --- staff roles -----------------------------------------------------------------------------------------


def _department_label(department) -> str:
    return f" ({department})" if department is not None else ""


def grant_role(user: User, role: str, *, department=None, actor: User | None) -> RoleAssignment:
    """Give `user` a role (in `department`, for the department roles). Only admins grant; `actor` None is
    the system (the demo, imports). Refuses (ValidationError, writing nothing) a non-staff account, a
    department missing for a department role or given for another role, and a role already held. The
    user's groups follow (see `sync_role_groups_of`); an admin grant is also written to the admin's log.
    """
    from . import roles

    if actor is not None and not roles.is_admin(actor):
        raise PermissionDenied(_("Only administrators may grant roles."))
    errors: dict[str, list[str]] = {}
    if role not in StaffRole.values:
        errors["role"] = [_("Choose one of the roles.")]
    if not user.is_staff:
        errors["user"] = [_("Only staff accounts can hold a role.")]
    if role in DEPARTMENT_ROLES and department is None:
        errors["department"] = [_("Choose the department this role is held in.")]
    elif role in StaffRole.values and role not in DEPARTMENT_ROLES and department is not None:
        errors["department"] = [_("This role is not held in a department; leave the department empty.")]
    if not errors and RoleAssignment.objects.filter(user=user, role=role, department=department).exists():
        errors["role"] = [_("This staff member already holds this role.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assignment = RoleAssignment.objects.create(
            user=user, role=role, department=department, granted_by=actor, granted_at=timezone.now()
        )
        _log_role_change(actor, user, ADDITION, f"Granted {role}{_department_label(department)}")
    roles.forget_roles(user)
    logger.info("role %s granted to user %s", role, user.pk)
    return assignment


def revoke_role(user: User, role: str, *, department=None, actor: User | None) -> None:
    """Take a role (in `department`) from `user`. Only admins revoke; ValidationError when not held."""
    from . import roles

    if actor is not None and not roles.is_admin(actor):
        raise PermissionDenied(_("Only administrators may revoke roles."))
    with transaction.atomic():
        deleted, _rows = RoleAssignment.objects.filter(user=user, role=role, department=department).delete()
        if not deleted:
            raise ValidationError({"role": [_("This staff member does not hold this role.")]})
        _log_role_change(actor, user, CHANGE, f"Revoked {role}{_department_label(department)}")
    roles.forget_roles(user)
    logger.info("role %s revoked from user %s", role, user.pk)


def _log_role_change(actor: User | None, user: User, flag: int, message: str) -> None:
    """The history of grants and revokes by staff, in the admin's log (the user's "History" page)."""
    if actor is None:
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        user_id=actor.pk,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        action_flag=flag,
        change_message=message,
    )


def ensure_role_groups() -> dict[str, Group]:
    """One Django group per role carrying exactly `ROLE_PERMISSIONS[role]`; idempotent."""
    from .roles import ROLE_PERMISSIONS, group_name

    groups = {}
    for role in StaffRole.values:
        group, _created = Group.objects.get_or_create(name=group_name(role))
        wanted = ROLE_PERMISSIONS[role]
        permissions = [
            permission
            for permission in Permission.objects.select_related("content_type")
            if f"{permission.content_type.app_label}.{permission.codename}" in wanted
        ]
        missing = wanted - {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        if missing:
            raise ImproperlyConfigured(f"Unknown permissions for role {role}: {sorted(missing)}")
        group.permissions.set(permissions)
        groups[role] = group
    return groups


def sync_role_groups_of(user: User) -> None:
    """Put `user` in the groups of the roles they hold, and out of the other roles' groups. Groups that
    are not role groups are left alone."""
    from .roles import GROUP_PREFIX, group_name

    held = {group_name(role) for role in RoleAssignment.objects.filter(user=user).values_list("role", flat=True)}
    current = {group.name: group for group in user.groups.filter(name__startswith=GROUP_PREFIX)}
    stale = [group for name, group in current.items() if name not in held]
    if stale:
        user.groups.remove(*stale)
    missing = held - set(current)
    if missing:
        groups = {group.name: group for group in Group.objects.filter(name__in=missing)}
        if len(groups) < len(missing):
            groups = {group_name(role): group for role, group in ensure_role_groups().items()}
        user.groups.add(*(groups[name] for name in missing))
    # Django caches permissions per user object.
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)


__all__ = [
    "AddressIn",
    "PhoneIn",
    "add_address",
    "add_email",
    "add_phone",
    "check_email",
    "check_phone",
    "check_team",
    "create_customer",
    "ensure_role_groups",
    "grant_role",
    "link_requester",
    "merge_customers",
    "move_to_team",
    "normalize_email",
    "normalize_phone",
    "record_consent",
    "remove_address",
    "remove_email",
    "remove_phone",
    "revoke_role",
    "save_team",
    "set_primary_address",
    "set_primary_email",
    "set_primary_phone",
    "sync_role_groups_of",
    "update_customer",
]
