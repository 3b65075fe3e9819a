"""Writes to service requests. Every way in (the public form, the admin, Open311, the console,
imports and tasks) goes through these functions, so a rule lives in exactly one place.

Each function checks everything first and writes nothing when any check fails; the writes of one
call happen in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from civic311 import outbox
from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Department, Service
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people import roles
from civic311.people.models import Requester, User
from civic311.people.selectors import supported_language

from . import tasks
from .lifecycle import FINAL_STATES, NEEDS_PUBLIC_REASON, OPEN_STATES, Status, allowed_next, can_move
from .models import Announcement, Channel, Contact, HistoryEntry, Photo, ServiceRequest
from .photos import ProcessedPhoto, process_photo

logger = logging.getLogger(__name__)

RESIDENT = "Resident"
SYSTEM = "System"
IDEMPOTENCY_KEY_MAX = 100
US_ZIPCODE = re.compile(r"[0-9]{5}(-[0-9]{4})?")
ASCII_DIGITS = frozenset("0123456789")


class CannedAnswer(Exception):
    """The report was answered by a safety rule ("gas escaping → call 911") and no request was made."""

    def __init__(self, message: str, *, service: Service | None = None, summary: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.service = service  # what the caller asked about, and the rule's own text (for the contact)
        self.summary = summary


@dataclass
class Report:
    """What someone reports, as it arrives from any channel (raw strings; checked by `submit`)."""

    service_code: str
    description: str = ""
    address: str = ""
    zipcode: str = ""
    lat: object = None
    long: object = None
    neighborhood: str = ""  # a neighborhood slug the resident picked, when there is no point
    answers: Mapping[str, catalogue.Answer] = field(default_factory=dict)
    photos: Sequence[UploadedFile] = ()
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""  # the language the resident used ("es", "es-MX"); their e-mails are written in it
    channel: str = Channel.WEB
    idempotency_key: str = ""
    is_private: bool = False
    media_url: str = ""  # a photo the client already hosts (Open311 `media_url`); we link, never fetch
    parent: ServiceRequest | None = None  # the request this one follows on from (`create_follow_on`)


@dataclass(frozen=True)
class Submission:
    service_request: ServiceRequest
    created: bool


def submit(jurisdiction: Jurisdiction, report: Report, *, actor: User | None = None, actor_label: str = "",
           also: Callable[[ServiceRequest], object] | None = None, record_contact: bool = True,
           now: dt.datetime | None = None) -> Submission:
    """File a service request. Returns the first request again when the idempotency key was seen.

    Raises ValidationError (a dict keyed by field) for bad input and CannedAnswer when a safety rule
    answers the report instead. `actor_label` names a filer who is not staff (an Open311 client).
    `also(service_request)` runs inside the filing transaction, for a caller's own rows (an audit) that
    must stand or fall with the request; call `submit` outside any transaction of your own, or the
    tracking number's row lock is held until yours ends. `record_contact=False`: the caller records the
    contact itself (the agent console's open contact), so no contact row is written here, for a filed
    request or a safety rule's answer.
    """
    now = now or timezone.now()
    if actor is not None:
        roles.require(roles.may_file_request(actor, jurisdiction.pk),
                      _("Your roles do not let you file requests for this city."))
    nul_errors = _nul_errors(report)
    if nul_errors:
        raise ValidationError(nul_errors)
    key = (report.idempotency_key or "").strip() or None
    if key and len(key) > IDEMPOTENCY_KEY_MAX:
        # Cutting it short could make two different submissions share a key, and lose the second.
        raise ValidationError({"idempotency_key": _("An idempotency key can be at most %(max)d characters.")
                               % {"max": IDEMPOTENCY_KEY_MAX}})
    if key:
        existing = _by_idempotency_key(jurisdiction, key)
        if existing is not None:
            return Submission(existing, created=False)

    service = catalogue.service_for_report(jurisdiction, report.service_code)
    rule = catalogue.canned_answer(service, report.answers)
    if rule is not None:
        if record_contact:
            Contact.objects.create(
                jurisdiction=jurisdiction, channel=_channel(report.channel), outcome=Contact.Outcome.CANNED_ANSWER,
                service=service, agent=actor, summary=rule.message, started_at=now, ended_at=now,
            )
        raise CannedAnswer(rule.localized("message"), service=service, summary=rule.message)

    errors: dict[str, list[str]] = {}
    answers, answer_errors = catalogue.validate_answers(service, report.answers)
    errors.update(answer_errors)

    description = check_description(report.description, errors)
    location = _check_location(jurisdiction, report, errors)
    processed = _check_photos(report.photos, errors)
    requester_fields = _check_requester(report, errors)
    media_url = check_media_url(report.media_url, errors)
    channel = _channel(report.channel)
    if errors:
        raise ValidationError(errors)

    neighborhood_id = location.neighborhood_id
    routing = catalogue.route(service, neighborhood_id, answers)
    stored_photos: list[Photo] = []
    # The number is taken in its own short transaction: holding the jurisdiction's row lock until the
    # whole request is written would make every intake of a city wait for the one before it. A request
    # that then fails leaves a gap in the numbers, never a shared number.
    tracking_number = str(allocate_tracking_numbers(jurisdiction, 1))
    try:
        with transaction.atomic():
            requester = (Requester.objects.create(**requester_fields, language=supported_language(report.language))
                         if any(requester_fields.values()) else None)
            service_request = ServiceRequest.objects.create(
                jurisdiction=jurisdiction,
                tracking_number=tracking_number,
                service=service,
                department=routing.department,
                channel=channel,
                status=Status.NEW,
                description=description,
                address=location.address,
                zipcode=location.zipcode,
                lat=location.lat,
                long=location.long,
                neighborhood_id=neighborhood_id,
                h3_cell=(places.h3_cell(location.lat, location.long)
                         if location.lat is not None and location.long is not None else ""),
                attributes=answers,
                requester=requester,
                parent=report.parent,
                is_private=report.is_private,
                hazard=bool(routing.hazard_alerts),
                idempotency_key=key,
                media_url=media_url,
                requested_at=now,
                updated_at=now,
                expected_at=catalogue.sla_due_at(service, now),
            )
            _record(service_request, HistoryEntry.Kind.OPENED, actor=actor, actor_label=actor_label[:100],
                    public=True, now=now, to_status=Status.NEW)
            for message in routing.hazard_alerts:
                _record(service_request, HistoryEntry.Kind.HAZARD, actor=None, public=False, now=now, text=message)
            for photo in processed:
                stored_photos.append(_store_photo(service_request, photo))
            if record_contact and report.parent is None:  # a follow-on is staff's own work, not a contact
                Contact.objects.create(
                    jurisdiction=jurisdiction, channel=channel, outcome=Contact.Outcome.SERVICE_REQUEST,
                    service=service, service_request=service_request, requester=requester, agent=actor,
                    started_at=now, ended_at=now,
                )
            if also is not None:
                also(service_request)
    except BaseException as failure:
        # The rows are rolled back; the files written for them must go too.
        for stored in stored_photos:
            stored.image.delete(save=False)
        if not isinstance(failure, IntegrityError):
            raise
        # Two retries of the same submission raced; the loser returns the winner's request.
        if key:
            existing = _by_idempotency_key(jurisdiction, key)
            if existing is not None:
                return Submission(existing, created=False)
        raise
    logger.info("service request %s filed (%s, %s)", service_request.tracking_number, service.code, channel)
    return Submission(service_request, created=True)


def allocate_tracking_numbers(jurisdiction: Jurisdiction, count: int) -> int:
    """Reserve `count` consecutive tracking numbers and return the first.

    One `UPDATE … RETURNING` (SQLite 3.35+, PostgreSQL): it takes the jurisdiction's row lock, so concurrent
    submissions never share a number; outside a transaction it is one round trip and holds the lock for
    that statement only.
    """
    connection = connections[router.db_for_write(Jurisdiction)]
    table = connection.ops.quote_name(Jurisdiction._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET next_tracking_number = next_tracking_number + %s "  # noqa: S608
                       "WHERE id = %s RETURNING next_tracking_number", [count, jurisdiction.pk])
        row = cursor.fetchone()
    if row is None:
        raise Jurisdiction.DoesNotExist(f"no jurisdiction {jurisdiction.pk}")
    return int(row[0]) - count


def change_status(service_request: ServiceRequest, to_status: str, *, actor: User | None,
                  public_reason: str = "", internal_note: str = "", assignee: User | None = None,
                  duplicate_of: ServiceRequest | None = None, actor_label: str = "",
                  now: dt.datetime | None = None) -> ServiceRequest:
    """Move a request along its lifecycle, or refuse with a clear error and change nothing."""
    now = now or timezone.now()
    try:
        target = Status(to_status)
    except ValueError:
        message = _("“%(status)s” is not a status.") % {"status": str(to_status)[:40]}
        raise ValidationError({"status": message}) from None
    public_reason = (public_reason or "").strip()
    internal_note = (internal_note or "").strip()

    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        _check_may_change(actor, current)
        if not can_move(current.status, target):
            allowed = ", ".join(str(Status(s).label) for s in sorted(allowed_next(current.status)))
            raise ValidationError({"status": _(
                "A request that is “%(current)s” cannot become “%(target)s”. It can become: %(allowed)s."
            ) % {"current": Status(current.status).label, "target": target.label, "allowed": allowed or _("nothing")}})
        errors: dict[str, list[str]] = {}
        if target in NEEDS_PUBLIC_REASON and not public_reason:
            errors["public_reason"] = [_("Give the reason the resident will see.")]
        if target == Status.ASSIGNED and assignee is None:
            errors["assignee"] = [_("Choose who the request is assigned to.")]
        if assignee is not None:
            _check_assignee(assignee, current, errors)
        if target == Status.DUPLICATE:
            duplicate_of = _check_duplicate_target(current, duplicate_of, errors)
            if duplicate_of is not None and not public_reason:
                # A private request's number is never published: the note would tell the world it exists.
                public_reason = (_("Duplicate of another request.") if duplicate_of.is_private else
                                 _("Duplicate of request %(number)s.") % {"number": duplicate_of.tracking_number})
        if len(public_reason) > settings.CIVIC311_DESCRIPTION_MAX_CHARS:
            errors["public_reason"] = [_("The reason is too long.")]
        if _has_nul(public_reason):
            errors["public_reason"] = [_nul_message()]
        if _has_nul(internal_note):
            errors["internal_note"] = [_nul_message()]
        if errors:
            raise ValidationError(errors)

        from_status = current.status
        current.status = target
        current.updated_at = now
        if target in FINAL_STATES:
            current.closed_at = now
            current.status_notes = public_reason
        elif public_reason:
            current.status_notes = public_reason
        if target == Status.REOPENED:
            # The old close reason would mislead on an open request.
            current.status_notes = public_reason
            current.closed_at = None
            current.expected_at = catalogue.sla_due_at(current.service, now)
        if target == Status.DUPLICATE:
            current.duplicate_of = duplicate_of
        if assignee is not None:
            current.assignee = assignee
        current.save()
        _record(current, HistoryEntry.Kind.STATUS, actor=actor, actor_label=actor_label, public=True, now=now,
                from_status=from_status, to_status=target, text=public_reason)
        if assignee is not None:
            _record(current, HistoryEntry.Kind.ASSIGNED, actor=actor, actor_label=actor_label, public=False,
                    now=now, text=_("Assigned to %(name)s.") % {"name": assignee})
        if internal_note:
            _record(current, HistoryEntry.Kind.NOTE, actor=actor, actor_label=actor_label, public=False, now=now,
                    text=internal_note)
    return current


def add_note(service_request: ServiceRequest, text: str, *, actor: User | None, public: bool,
             actor_label: str = "", now: dt.datetime | None = None) -> HistoryEntry:
    """A note on a request; a public note on an open request becomes its public status note."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if len(text) > settings.CIVIC311_DESCRIPTION_MAX_CHARS:
        raise ValidationError({"text": _("A note can be at most %(max)d characters.")
                               % {"max": settings.CIVIC311_DESCRIPTION_MAX_CHARS}})
    if _has_nul(text):
        raise ValidationError({"text": [_nul_message()]})
    return _write_note(service_request, text, actor=actor, public=public, actor_label=actor_label, now=now,
                       check=_check_may_change)


def record_another_report(service_request: ServiceRequest, *, actor: User, channel: str,
                          now: dt.datetime | None = None) -> HistoryEntry:
    """An agent adds a caller to an open request someone already reported: an internal note in the
    agent's name. Anyone who may see the request may record this; it is not working the request."""
    text = _("Another caller reported this (%(channel)s contact).") % {"channel": Channel(_channel(channel)).label}
    return _write_note(service_request, text, actor=actor, public=False, now=now or timezone.now(),
                       check=check_may_view)


def _write_note(service_request: ServiceRequest, text: str, *, actor: User | None, public: bool, now: dt.datetime,
                check: Callable[[User | None, ServiceRequest], None], actor_label: str = "") -> HistoryEntry:
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        check(actor, current)
        current.updated_at = now
        fields = ["updated_at"]
        if public and current.is_open:
            current.status_notes = text
            fields.append("status_notes")
        current.save(update_fields=fields)
        return _record(current, HistoryEntry.Kind.NOTE, actor=actor, actor_label=actor_label, public=public,
                       now=now, text=text)


EDITABLE_DETAILS = ("description", "address", "zipcode", "is_private", "hazard")


def check_details(changes: Mapping[str, object]) -> dict[str, object]:
    """Staff corrections to a request's details, checked by the intake's own rules; raises ValidationError."""
    unknown = set(changes) - set(EDITABLE_DETAILS)
    if unknown:
        raise ValidationError(_("These details cannot be edited: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    cleaned = dict(changes)
    if "description" in changes:
        cleaned["description"] = check_description(str(changes["description"] or ""), errors)
    if "address" in changes or "zipcode" in changes:
        address, zipcode = _check_address(str(changes.get("address") or ""), str(changes.get("zipcode") or ""),
                                          errors)
        cleaned.update({key: value for key, value in (("address", address), ("zipcode", zipcode)) if key in changes})
    if errors:
        raise ValidationError(errors)
    return cleaned


def update_details(service_request: ServiceRequest, changes: Mapping[str, object], *, actor: User | None,
                   now: dt.datetime | None = None) -> ServiceRequest:
    """Correct what a request says (description, address, privacy, hazard), leaving an internal note.

    Marking a request hazardous alerts its department, as at intake.
    """
    now = now or timezone.now()
    cleaned = check_details(changes)
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        _check_may_change(actor, current)
        changed = [name for name, value in cleaned.items() if getattr(current, name) != value]
        if not changed:
            return current
        became_hazardous = "hazard" in changed and bool(cleaned["hazard"])
        for name in changed:
            setattr(current, name, cleaned[name])
        current.updated_at = now
        current.save(update_fields=[*changed, "updated_at"])
        labels = ", ".join(str(getattr(ServiceRequest._meta.get_field(name), "verbose_name", name)) for name in changed)
        _record(current, HistoryEntry.Kind.NOTE, actor=actor, public=False, now=now,
                text=_("Details changed: %(fields)s.") % {"fields": labels})
        if became_hazardous:
            # The entry's announcement e-mails the department (notifications), as at intake.
            _record(current, HistoryEntry.Kind.HAZARD, actor=actor, public=False, now=now,
                    text=_("Marked as a hazard by staff."))
    return current


def check_information_request(jurisdiction: Jurisdiction, *, summary: str, outcome: str,
                              service: Service | None) -> str:
    """The rules for logging an information request; returns the cleaned summary or raises ValidationError."""
    summary = (summary or "").strip()
    errors: dict[str, list[str]] = {}
    if not summary:
        errors["summary"] = [_("Write down the answer that was given.")]
    elif _has_nul(summary):
        errors["summary"] = [_nul_message()]
    if outcome not in (Contact.Outcome.INFORMATION, Contact.Outcome.DIRECTORY):
        errors["outcome"] = [_("An information request is answered with information or directory assistance.")]
    if service is not None and service.jurisdiction_id != jurisdiction.pk:
        errors["service"] = [_("That service belongs to another jurisdiction.")]
    if errors:
        raise ValidationError(errors)
    return summary[: settings.CIVIC311_DESCRIPTION_MAX_CHARS]


def log_information_request(jurisdiction: Jurisdiction, *, channel: str, summary: str,
                            service: Service | None = None, agent: User | None = None,
                            outcome: str = Contact.Outcome.INFORMATION,
                            started_at: dt.datetime | None = None, ended_at: dt.datetime | None = None) -> Contact:
    """Record a contact that needed only an answer (most of them)."""
    summary = check_information_request(jurisdiction, summary=summary, outcome=outcome, service=service)
    now = timezone.now()
    return Contact.objects.create(
        jurisdiction=jurisdiction, channel=_channel(channel), outcome=outcome, service=service, agent=agent,
        summary=summary, started_at=started_at or now, ended_at=ended_at or now,
    )


# --- the checks ---------------------------------------------------------------------------------


def _check_may_change(actor: User | None, service_request: ServiceRequest) -> None:
    """Staff work only the requests their roles give them. No actor is the system, a resident with a
    signed link, or an Open311 client: their own checks apply before they reach here."""
    if actor is not None:
        roles.require(roles.may_change_request(actor, service_request),
                      _("You may not change request %(number)s.") % {"number": service_request.tracking_number})


def check_may_view(actor: User | None, service_request: ServiceRequest) -> None:
    """Staff see only the requests their roles give them (no actor: as in `_check_may_change`)."""
    if actor is not None:
        roles.require(roles.may_view_request(actor, service_request),
                      _("You may not see request %(number)s.") % {"number": service_request.tracking_number})


def _check_assignee(assignee: User, service_request: ServiceRequest, errors: dict) -> None:
    if not (assignee.is_active and assignee.is_staff):
        errors["assignee"] = [_("Requests can only be assigned to active staff.")]
    elif not roles.may_change_request(assignee, service_request):
        errors["assignee"] = [_("%(name)s does not work this department's requests.") % {"name": assignee}]


@dataclass(frozen=True)
class _Location:
    address: str = ""
    zipcode: str = ""
    lat: float | None = None
    long: float | None = None
    neighborhood_id: int | None = None


def check_description(description: str, errors: dict) -> str:
    description = (description or "").strip()
    max_chars = settings.CIVIC311_DESCRIPTION_MAX_CHARS
    if len(description) > max_chars:
        errors["description"] = [
            _("The description can be at most %(max)d characters; it has %(count)d.")
            % {"max": max_chars, "count": len(description)}
        ]
    return description


def _check_address(address: str, zipcode: str, errors: dict) -> tuple[str, str]:
    address = " ".join((address or "").split())
    zipcode = (zipcode or "").strip()
    if len(address) > 300:
        errors["address"] = [_("The address can be at most 300 characters.")]
    if zipcode and not US_ZIPCODE.fullmatch(zipcode):
        errors["zipcode"] = [_("Enter a ZIP code like 19107.")]
    return address, zipcode


def _check_location(jurisdiction: Jurisdiction, report: Report, errors: dict) -> _Location:
    address, zipcode = _check_address(report.address, report.zipcode, errors)
    has_lat = report.lat not in (None, "")
    has_long = report.long not in (None, "")
    neighborhood_id = None
    if report.neighborhood:
        # Never cut the slug short: a longer one must not match a neighborhood whose slug is its beginning.
        neighborhood_id = (
            Neighborhood.objects.filter(jurisdiction=jurisdiction, slug=str(report.neighborhood))
            .values_list("pk", flat=True).first()
        )
        if neighborhood_id is None:
            errors["neighborhood"] = [_("Choose a neighborhood from the list.")]

    if has_lat != has_long:
        errors["lat" if not has_lat else "long"] = [_("Give both the latitude and the longitude.")]
        return _Location(address, zipcode)
    if not has_lat:
        if not address:
            errors["location"] = [_("Tell us where the problem is: an address, or a point on the map.")]
        return _Location(address, zipcode, neighborhood_id=neighborhood_id)

    lat = catalogue.parse_coordinate(report.lat, -90, 90)
    long = catalogue.parse_coordinate(report.long, -180, 180)
    if lat is None:
        errors["lat"] = [_("The latitude must be a number between -90 and 90.")]
    if long is None:
        errors["long"] = [_("The longitude must be a number between -180 and 180.")]
    if lat is None or long is None:
        return _Location(address, zipcode)
    if not jurisdiction.contains(lat, long):
        errors["location"] = [
            _("That point is outside %(city)s. We can only take reports within the city.")
            % {"city": jurisdiction.name}
        ]
        return _Location(address, zipcode)
    # A point wins over a picked neighborhood: it is where the problem is.
    located = places.neighborhood_id_at(jurisdiction, lat, long)
    return _Location(address, zipcode, lat, long, located or neighborhood_id)


def _check_photos(photos: Sequence[UploadedFile], errors: dict) -> list[ProcessedPhoto]:
    photos = [photo for photo in photos if photo]
    limit = settings.CIVIC311_PHOTOS_PER_REQUEST
    if len(photos) > limit:
        errors["photos"] = [_("Send at most %(max)d photos.") % {"max": limit}]
        return []
    processed, messages = [], []
    for photo in photos:
        try:
            processed.append(process_photo(photo))
        except ValidationError as exc:
            messages.extend(exc.messages)
    if messages:
        errors["photos"] = messages
    return processed


MEDIA_URL_MAX = 500


def check_media_url(value: str, errors: dict) -> str:
    """A link to a photo someone else hosts: http(s) only, so no other scheme ever reaches a page."""
    from django.core.validators import URLValidator

    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        errors["media_url"] = [_("The media URL must be an http or https address.")]
        return ""
    if len(value) > MEDIA_URL_MAX:
        errors["media_url"] = [_("The media URL can be at most %(max)d characters.") % {"max": MEDIA_URL_MAX}]
        return ""
    return value


def _check_requester(report: Report, errors: dict) -> dict[str, str]:
    fields = {
        "first_name": " ".join((report.first_name or "").split())[:100],
        "last_name": " ".join((report.last_name or "").split())[:100],
        "email": (report.email or "").strip(),
        "phone": (report.phone or "").strip(),
    }
    if fields["email"] and not is_valid_email(fields["email"]):
        errors["email"] = [_("Enter a valid e-mail address, or leave it empty.")]
    if fields["phone"] and not is_valid_phone(fields["phone"]):
        errors["phone"] = [_("Enter a phone number with 7 to 15 digits, or leave it empty.")]
    return fields


def _check_duplicate_target(current: ServiceRequest, target: ServiceRequest | None,
                            errors: dict) -> ServiceRequest | None:
    if target is None:
        errors["duplicate_of"] = [_("Say which request this one duplicates.")]
        return None
    # Point at the original, never at another duplicate, so chains cannot form.
    seen = {current.pk}
    original: ServiceRequest = target
    while original.duplicate_of_id is not None and original.pk not in seen:
        seen.add(original.pk)
        original = original.duplicate_of  # type: ignore[assignment]  # not None: duplicate_of_id is set
    if original.pk == current.pk:
        errors["duplicate_of"] = [_("A request cannot duplicate itself.")]
        return None
    if original.jurisdiction_id != current.jurisdiction_id:
        errors["duplicate_of"] = [_("That request belongs to another jurisdiction.")]
        return None
    return original


def _nul_message() -> str:
    return _("This contains an invisible NUL character, which cannot be stored. Remove it.")


_REPORT_TEXT_FIELDS = ("service_code", "description", "address", "zipcode", "lat", "long", "neighborhood",
                       "first_name", "last_name", "email", "phone", "channel", "idempotency_key", "media_url")


def _has_nul(value: object) -> bool:
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return value is not None and "\x00" in str(value)


def _nul_errors(report: Report) -> dict[str, list[str]]:
    """PostgreSQL can neither store nor look up text with a NUL character: refuse it before anything else."""
    errors = {name: [_nul_message()] for name in _REPORT_TEXT_FIELDS if _has_nul(getattr(report, name))}
    for code, answer in (report.answers or {}).items():
        if _has_nul(code) or _has_nul(answer):
            errors[f"attribute[{str(code).replace(chr(0), '')[:60]}]"] = [_nul_message()]
    return errors


def _channel(value: str) -> str:
    return value if value in Channel.values else Channel.WEB


def _by_idempotency_key(jurisdiction: Jurisdiction, key: str) -> ServiceRequest | None:
    # Nearly every key is new: ask for the id alone (a much smaller query to build), the row only when found.
    found = list(ServiceRequest.objects.filter(jurisdiction=jurisdiction, idempotency_key=key)
                 .order_by().values_list("pk", flat=True)[:1])
    return ServiceRequest.objects.select_related("service").get(pk=found[0]) if found else None


def _store_photo(service_request: ServiceRequest, photo: ProcessedPhoto) -> Photo:
    stored = Photo(service_request=service_request, width=photo.width, height=photo.height)
    name = f"{uuid.uuid4().hex}.{photo.extension}"
    # The content must carry a name: ImageField reads width and height from it, and a nameless file
    # counts as no file, which would set both to None.
    stored.image.save(name, ContentFile(photo.content, name=name), save=False)
    stored.save()
    return stored


def _record(service_request: ServiceRequest, kind: str, *, actor: User | None, public: bool, now: dt.datetime,
            text: str = "", from_status: str = "", to_status: str = "", actor_label: str = "") -> HistoryEntry:
    if not actor and not actor_label:
        actor_label = RESIDENT if kind == HistoryEntry.Kind.OPENED else SYSTEM
    entry = HistoryEntry.objects.create(
        service_request=service_request, kind=kind, is_public=public, actor=actor, actor_label=actor_label,
        from_status=from_status, to_status=to_status, text=text, created_at=now,
    )
    # The transactional outbox: what this entry calls for (messages, webhooks, forwarding, the hazard
    # alert) is made by the worker from this row, which commits or rolls back with the entry itself.
    Announcement.objects.create(history_entry=entry, created_at=now)
    outbox.wake_on_commit(tasks.announce_history_entry.enqueue, entry.pk, what="history entry", logger=logger)
    return entry


# --- what a valid phone number and e-mail address are (the intake's rules, shared with the CRM) ----


PHONE_MAX_CHARS = 40


def phone_digits(value: str) -> str:
    """The ASCII digits of a phone number as written ("(215) 686-8686" → "2156868686")."""
    return "".join(ch for ch in (value or "") if ch in ASCII_DIGITS)


def is_valid_phone(value: str) -> bool:
    """A phone number as the intake takes it: at most 40 characters holding 7 to 15 digits."""
    value = (value or "").strip()
    return len(value) <= PHONE_MAX_CHARS and 7 <= len(phone_digits(value)) <= 15


def is_valid_email(value: str) -> bool:
    """An e-mail address as the intake takes it: Django's validator, and at most 254 characters."""
    from django.core.validators import validate_email

    value = (value or "").strip()
    # The validator allows 320 characters; the column holds 254 (the longest address SMTP can deliver to).
    if not value or len(value) > (Requester._meta.get_field("email").max_length or 254):
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def check_address(address: str, zipcode: str, errors: dict) -> tuple[str, str]:
    """An address and ZIP code as the intake takes them; errors keyed "address" and "zipcode"."""
    return _check_address(address, zipcode, errors)


# --- escalation and the missed-date redress (`civic311.service_requests.escalation` decides when) ---------------


def record_escalation(service_request: ServiceRequest, escalation, *, now: dt.datetime) -> HistoryEntry:
    """The internal history entry of an escalation the caller has just inserted (in its transaction)."""
    step = escalation.step
    text = _("Escalated to %(label)s (%(offset)s business days from the due date).") % {
        "label": step.label, "offset": f"{step.offset_business_days:+d}",
    }
    return _record(service_request, HistoryEntry.Kind.ESCALATED, actor=None, public=False, now=now, text=text)


def record_redress(service_request: ServiceRequest, *, now: dt.datetime | None = None) -> HistoryEntry | None:
    """Follow up a missed due date: a public entry for the resident and the request made a priority.

    Once per due date: the conditional UPDATE claims it, so a second call (another worker, the same
    sweep run twice) changes nothing and returns None. Nothing happens for a closed request or one whose
    due date has not passed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = (
            ServiceRequest.objects
            .filter(pk=service_request.pk, status__in=[status.value for status in OPEN_STATES],
                    expected_at__isnull=False, expected_at__lt=now)
            .filter(Q(redress_due_at__isnull=True) | ~Q(redress_due_at=F("expected_at")))
            .update(redress_due_at=F("expected_at"), is_priority=True, updated_at=now)
        )
        if not claimed:
            return None
        current = ServiceRequest.objects.select_related("jurisdiction").get(pk=service_request.pk)
        assert current.expected_at is not None
        missed = date_format(timezone.localtime(current.expected_at, current.jurisdiction.zone), "DATE_FORMAT")
        text = _("We missed the date we gave you (%(date)s); your request is now a priority and a supervisor "
                 "is following it up.") % {"date": missed}
        return _record(current, HistoryEntry.Kind.REDRESS, actor=None, public=True, now=now, text=text)


# --- department work: transfers, follow-ons, merged duplicates (docs/request-operations.md) ----------


def _check_text(value: str, name: str, errors: dict, *, required_message: str = "") -> str:
    value = (value or "").strip()
    if not value and required_message:
        errors[name] = [required_message]
    elif len(value) > settings.CIVIC311_DESCRIPTION_MAX_CHARS:
        errors[name] = [_("This can be at most %(max)d characters.") % {"max": settings.CIVIC311_DESCRIPTION_MAX_CHARS}]
    elif _has_nul(value):
        errors[name] = [_nul_message()]
    return value


def transfer(service_request: ServiceRequest, to_department: Department, *, actor: User | None, reason: str,
             now: dt.datetime | None = None) -> ServiceRequest:
    """Hand an open request to another department of its city.

    The assignee is cleared (they belong to the old department); the status and the due date stay: the
    resident was given a date, and a transfer between departments must not push it back. Two history
    entries: an internal one with the reason, and a public one naming the new department.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    reason = _check_text(reason, "reason", errors, required_message=_("Say why the request is transferred."))
    with transaction.atomic():
        current = (ServiceRequest.objects.select_for_update().select_related("department")
                   .get(pk=service_request.pk))
        _check_may_change(actor, current)
        if to_department is None:
            errors["department"] = [_("Choose the department to transfer the request to.")]
        elif to_department.jurisdiction_id != current.jurisdiction_id:
            errors["department"] = [_("That department belongs to another jurisdiction.")]
        elif to_department.pk == current.department_id:
            errors["department"] = [_("The request is already with that department.")]
        if not current.is_open:
            errors["status"] = [_("A closed request cannot be transferred; reopen it first.")]
        if errors:
            raise ValidationError(errors)
        from_department = current.department
        current.department = to_department
        current.assignee = None
        current.updated_at = now
        current.save(update_fields=["department", "assignee", "updated_at"])
        _record(current, HistoryEntry.Kind.TRANSFERRED, actor=actor, public=False, now=now,
                text=_("Transferred from %(from)s to %(to)s: %(reason)s")
                % {"from": from_department.name, "to": to_department.name, "reason": reason})
        _record(current, HistoryEntry.Kind.TRANSFERRED, actor=actor, public=True, now=now,
                text=_("Transferred to %(department)s.") % {"department": to_department.name})
    return current


def create_follow_on(parent: ServiceRequest, *, service_code: str, description: str, actor: User | None,
                     department: Department | None = None, answers: Mapping[str, catalogue.Answer] | None = None,
                     now: dt.datetime | None = None) -> ServiceRequest:
    """File a child request at the parent's place for another department's service.

    It goes through `submit`, so every intake rule applies (the target service's questions, answered in
    `answers` as the report form's `attribute[CODE]` values, the city's bounds, safety rules);
    it is not a resident's contact and copies no personal data: no requester, no contact row. `department`
    overrides the routing. Call it outside any transaction of your own (as `submit`).
    """
    now = now or timezone.now()
    jurisdiction = parent.jurisdiction
    _check_may_change(actor, parent)
    if department is not None and department.jurisdiction_id != parent.jurisdiction_id:
        raise ValidationError({"department": _("That department belongs to another jurisdiction.")})

    def link(child: ServiceRequest) -> None:
        locked = ServiceRequest.objects.select_for_update().get(pk=parent.pk)
        if department is not None and child.department_id != department.pk:
            child.department = department
            child.save(update_fields=["department"])
        if child.department_id == locked.department_id:
            raise ValidationError({"service_code": _(
                "A follow-on is for another department; this service goes to the same department.")})
        _record(locked, HistoryEntry.Kind.NOTE, actor=actor, public=False, now=now,
                text=_("Follow-on request #%(number)s filed for %(service)s.")
                % {"number": child.tracking_number, "service": child.service.name})

    report = Report(
        service_code=service_code, description=description, address=parent.address, zipcode=parent.zipcode,
        lat=parent.lat, long=parent.long,
        neighborhood=parent.neighborhood.slug if parent.neighborhood_id and parent.lat is None else "",  # type: ignore[union-attr]
        answers=dict(answers or {}), channel=parent.channel, is_private=parent.is_private, parent=parent,
    )
    return submit(jurisdiction, report, actor=actor, also=link, now=now).service_request


def merge_duplicate(duplicate: ServiceRequest, original: ServiceRequest, *, actor: User | None,
                    public_reason: str = "", now: dt.datetime | None = None) -> ServiceRequest:
    """Mark `duplicate` a duplicate of `original` and bring its followers over, in one transaction.

    The duplicate's confirmed followers are moved to the original (kept confirmed: they asked to follow
    this problem), unless that address has a subscription there already (whatever its state: someone
    who unsubscribed from the original stays unsubscribed). The duplicate's requester, when they gave an
    e-mail, is asked to follow the original (`notifications.subscribe`: double opt-in). A private
    original takes no followers. Returns the duplicate.
    """
    from civic311.notifications import services as notifications
    from civic311.notifications.models import Subscription

    now = now or timezone.now()
    with transaction.atomic():
        # Both rows, in a fixed order, so two merges of the same pair cannot deadlock.
        list(ServiceRequest.objects.select_for_update().filter(pk__in=[duplicate.pk, original.pk]).order_by("pk"))
        # The original gains followers and a note, so it must be theirs to see.
        check_may_view(actor, original)
        marked = change_status(duplicate, Status.DUPLICATE, actor=actor, public_reason=public_reason,
                               duplicate_of=original, now=now)
        assert marked.duplicate_of_id is not None  # change_status sets it for a duplicate
        target = ServiceRequest.objects.select_related("requester").get(pk=marked.duplicate_of_id)
        moved = 0
        if not target.is_private:
            taken = {email.lower() for email in
                     Subscription.objects.filter(service_request=target).values_list("email", flat=True)}
            if target.requester and target.requester.email:
                taken.add(target.requester.email.strip().lower())
            for subscription in Subscription.objects.filter(service_request=marked,
                                                            state=Subscription.State.ACTIVE).order_by("pk"):
                if subscription.email.lower() in taken:
                    continue
                Subscription.objects.filter(pk=subscription.pk).update(service_request=target)
                taken.add(subscription.email.lower())
                moved += 1
            requester = Requester.objects.filter(pk=marked.requester_id).first() if marked.requester_id else None
            email = (requester.email or "").strip() if requester else ""
            if email and email.lower() not in taken:
                notifications.subscribe(target, email, now=now)
        text = _("Merged request #%(number)s: %(description)s") % {
            "number": marked.tracking_number, "description": marked.description}
        ServiceRequest.objects.filter(pk=target.pk).update(updated_at=now)
        _record(target, HistoryEntry.Kind.NOTE, actor=actor, public=False, now=now, text=text)
        logger.info("request %s merged into %s (%d followers moved)", marked.tracking_number,
                    target.tracking_number, moved)
    return marked


# --- residents following up their own request ----------------------------------------------------------

RESIDENT_SALT = "civic311.requests.resident"  # a signing salt: changing it would void every link already sent


def resident_link_token(service_request: ServiceRequest) -> str:
    """The signed proof, for the requester's e-mails, that its holder filed this request."""
    return signing.dumps({"r": service_request.pk, "q": service_request.requester_id}, salt=RESIDENT_SALT,
                         compress=True)


def resident_token_is_valid(service_request: ServiceRequest, token: str) -> bool:
    if not token or service_request.requester_id is None or len(token) > 500:
        return False
    try:
        data = signing.loads(token, salt=RESIDENT_SALT)
    except signing.BadSignature:
        return False
    return (isinstance(data, dict) and data.get("r") == service_request.pk
            and data.get("q") == service_request.requester_id)


def resident_window_open(service_request: ServiceRequest, now: dt.datetime) -> bool:
    """Open requests always; a finished one until CIVIC311_RESIDENT_REOPEN_DAYS after it closed (inclusive)."""
    if service_request.is_open:
        return True
    if service_request.closed_at is None:
        return False
    return now <= service_request.closed_at + dt.timedelta(days=settings.CIVIC311_RESIDENT_REOPEN_DAYS)


def _resident_checks(service_request: ServiceRequest, token: str, comment: str,
                     errors: dict) -> str:
    if not resident_token_is_valid(service_request, token):
        errors["token"] = [_("This link is not valid for this request. Use the link from our e-mail.")]
    return _check_text(comment, "comment", errors, required_message=_("Write your comment."))


def _window_message() -> str:
    return _("Requests can be followed up here only within %(days)d days after they were closed. "
             "Please report the problem again.") % {"days": settings.CIVIC311_RESIDENT_REOPEN_DAYS}


def resident_comment(service_request: ServiceRequest, *, token: str, comment: str,
                     now: dt.datetime | None = None) -> HistoryEntry:
    """The requester comments on their request (open, or closed within the window); staff see it."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    comment = _resident_checks(service_request, token, comment, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if not resident_window_open(current, now):
            raise ValidationError({"comment": [_window_message()]})
        current.updated_at = now
        current.save(update_fields=["updated_at"])
        # Internal: a resident's words may carry personal data and are never published.
        return _record(current, HistoryEntry.Kind.NOTE, actor=None, actor_label=RESIDENT, public=False, now=now,
                       text=_("Comment from the resident: %(comment)s") % {"comment": comment})


def resident_reopen(service_request: ServiceRequest, *, token: str, comment: str,
                    now: dt.datetime | None = None) -> ServiceRequest:
    """The requester reopens their closed request, with a comment, within the window after it closed.

    Only from "closed": a duplicate, referred or cancelled request is not the resident's to reopen.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    comment = _resident_checks(service_request, token, comment, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if current.status != Status.CLOSED:
            raise ValidationError({"status": [_("Only a closed request can be reopened.")]})
        if not resident_window_open(current, now):
            raise ValidationError({"comment": [_window_message()]})
        return change_status(current, Status.REOPENED, actor=None, actor_label=RESIDENT, now=now,
                             public_reason=_("Reopened by the resident."),
                             internal_note=_("Comment from the resident: %(comment)s") % {"comment": comment})


# --- department work: assignment and staff photos (civic311/work, docs/department-work.md) -------------


def assign(service_request: ServiceRequest, assignee: User | None, *, actor: User | None,
           now: dt.datetime | None = None) -> ServiceRequest:
    """Give an open request to a person of its department (or take it from them, with None).

    A request that may still become "assigned" (new, acknowledged, reopened) moves there through
    `change_status`; one already being worked keeps its status and only changes hands.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        _check_may_change(actor, current)
        if assignee is not None and Status.ASSIGNED in allowed_next(current.status):
            return change_status(current, Status.ASSIGNED, actor=actor, assignee=assignee, now=now)
        errors: dict[str, list[str]] = {}
        if not current.is_open:
            errors["status"] = [_("A closed request cannot be assigned; reopen it first.")]
        elif assignee is not None:
            _check_assignee(assignee, current, errors)
            if not errors and assignee.pk == current.assignee_id:
                return current  # already theirs: nothing to record (a bulk assignment may include it)
        elif current.assignee_id is None:
            errors["assignee"] = [_("The request is not assigned to anyone.")]
        if errors:
            raise ValidationError(errors)
        current.assignee = assignee
        current.updated_at = now
        current.save(update_fields=["assignee", "updated_at"])
        text = (_("Assigned to %(name)s.") % {"name": assignee}) if assignee is not None else _("Unassigned.")
        _record(current, HistoryEntry.Kind.ASSIGNED, actor=actor, public=False, now=now, text=text)
    return current


def add_photo(service_request: ServiceRequest, upload: UploadedFile | None, *, actor: User | None, stage: str,
              public: bool, now: dt.datetime | None = None) -> Photo:
    """Staff add a photo (before or after the work) to a request: checked and re-encoded as at intake.

    A public photo of a request that is not private gets a public history entry; otherwise internal.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if stage not in Photo.Stage.values:
        errors["stage"] = [_("Choose whether the photo is from before or after the work.")]
    if not upload:
        errors["photo"] = [_("Choose a photo.")]
        processed: list[ProcessedPhoto] = []
    else:
        processed = _check_photos([upload], errors)
        if "photos" in errors:
            errors["photo"] = errors.pop("photos")
    if errors:
        raise ValidationError(errors)
    stored: Photo | None = None
    try:
        with transaction.atomic():
            current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
            _check_may_change(actor, current)
            stored = _store_photo(current, processed[0])
            stored.stage = stage
            stored.is_public = bool(public)
            stored.save(update_fields=["stage", "is_public"])
            current.updated_at = now
            current.save(update_fields=["updated_at"])
            label = Photo.Stage(stage).label
            _record(current, HistoryEntry.Kind.PHOTO, actor=actor, public=bool(public) and not current.is_private,
                    now=now, text=_("Photo added (%(stage)s).") % {"stage": label})
    except BaseException:
        # The row is rolled back; the file written for it must go too.
        if stored is not None:
            stored.image.delete(save=False)
        raise
    return stored
