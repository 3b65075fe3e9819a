"""Filing a request: every channel (the public form, the console, Open311, the staff API, imports) goes
through `submit`, which checks everything first and writes nothing when a check fails. Also the
information requests an agent answers without filing anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Service
from civic311.jurisdictions import geocoding, tracking_numbers
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people import roles
from civic311.people.contact_details import check_address, is_valid_email, is_valid_phone, phone_e164, phone_error
from civic311.people.models import Requester, User
from civic311.people.selectors import supported_language

from ..lifecycle import Status
from ..models import Channel, Contact, HistoryEntry, Photo, ServiceRequest
from ..photos import ProcessedPhoto
from . import filed_rows
from .checks import channel_value, check_description, check_media_url, check_photos, has_nul, nul_message
from .history import announce_on_commit, new_history_entry, record_history

logger = logging.getLogger(__name__)


IDEMPOTENCY_KEY_MAX = 100


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
    photos: Sequence[UploadedFile[bytes]] = ()
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    handle: str = ""  # a social media author ("mastodon:@ana@example.social"), for a post turned into a request
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


def submit(
    jurisdiction: Jurisdiction,
    report: Report,
    *,
    actor: User | None = None,
    actor_label: str = "",
    also: Callable[[ServiceRequest], object] | None = None,
    with_rows: Sequence[models.Model] = (),
    record_contact: bool = True,
    now: dt.datetime | None = None,
) -> Submission:
    """File a service request. Returns the first request again when the idempotency key was seen.

    Raises ValidationError (a dict keyed by field) for bad input and CannedAnswer when a safety rule
    answers the report instead. `actor_label` names a filer who is not staff (an Open311 client).
    `with_rows`: a caller's own rows that point at the request through a `service_request` field (an audit),
    written with it (in the same statement on PostgreSQL). `also(service_request)` runs inside the filing
    transaction, for a caller's work that must stand or fall with the request and needs the request to be
    written first (a batch token). `record_contact=False`: the caller records the
    contact itself (the agent console's open contact), so no contact row is written here, for a filed
    request or a safety rule's answer.
    """
    now = now or timezone.now()
    if actor is not None:
        roles.require(
            roles.may_file_request(actor, jurisdiction.pk), _("Your roles do not let you file requests for this city.")
        )
    nul_errors = _nul_errors(report)
    if nul_errors:
        raise ValidationError(nul_errors)
    key = (report.idempotency_key or "").strip() or None
    if key and len(key) > IDEMPOTENCY_KEY_MAX:
        # Cutting it short could make two different submissions share a key, and lose the second.
        raise ValidationError(
            {
                "idempotency_key": _("An idempotency key can be at most %(max)d characters.")
                % {"max": IDEMPOTENCY_KEY_MAX}
            }
        )
    # A key seen before is not looked up first: the request's insert settles it (filed_rows.py), so a new
    # report (nearly every one) asks the database nothing more. A replay is checked like a new report and
    # given the request its key filed; one the checks would now refuse (the service withdrawn meanwhile, a
    # rule added) is looked up on that refusal, so a client's retry still gets its request.
    try:
        checked = _check_report(jurisdiction, report)
    except (ValidationError, CannedAnswer) as refused:
        existing = _by_idempotency_key(jurisdiction, key) if key else None
        if existing is not None:
            return Submission(existing, created=False)
        if isinstance(refused, CannedAnswer) and record_contact:
            Contact.objects.create(
                jurisdiction=jurisdiction,
                channel=channel_value(report.channel),
                outcome=Contact.Outcome.CANNED_ANSWER,
                service=refused.service,
                agent=actor,
                summary=refused.summary,
                started_at=now,
                ended_at=now,
            )
        raise
    service, answers, location, processed = checked.service, checked.answers, checked.location, checked.photos
    description, media_url, channel = checked.description, checked.media_url, checked.channel
    requester_fields = checked.requester_fields

    neighborhood_id = location.neighborhood_id
    routing = catalogue.route(service, neighborhood_id, answers)
    stored_photos: list[Photo] = []
    # The number is taken before the transaction (a sequence on PostgreSQL: no lock, nothing to wait for). A
    # request that then fails leaves a gap in the numbers, never a shared number.
    [number] = allocate_tracking_numbers(jurisdiction, 1)
    tracking_number = str(number)
    requester = (
        Requester(**requester_fields, language=supported_language(report.language))
        if any(requester_fields.values())
        else None
    )
    service_request = ServiceRequest(
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
        h3_cell=(
            places.h3_cell(location.lat, location.long)
            if location.lat is not None and location.long is not None
            else ""
        ),
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
    opened = new_history_entry(
        service_request,
        HistoryEntry.Kind.OPENED,
        actor=actor,
        actor_label=actor_label[:100],
        public=True,
        now=now,
        to_status=Status.NEW,
    )
    contact = (
        Contact(
            jurisdiction=jurisdiction,
            channel=channel,
            outcome=Contact.Outcome.SERVICE_REQUEST,
            service=service,
            agent=actor,
            started_at=now,
            ended_at=now,
        )
        if record_contact and report.parent is None  # a follow-on is staff's own work, not a contact
        else None
    )
    rows = filed_rows.FiledRows(service_request, requester, opened, contact, extra=with_rows)
    # One statement alone (PostgreSQL, nothing else to write) is atomic by itself: no BEGIN and COMMIT for it.
    alone = filed_rows.writes_in_one_statement() and not (routing.hazard_alerts or processed or also)
    try:
        with contextlib.nullcontext() if alone else transaction.atomic():
            filed_rows.write(rows)
            announce_on_commit()
            for message in routing.hazard_alerts:
                record_history(
                    service_request, HistoryEntry.Kind.HAZARD, actor=None, public=False, now=now, text=message
                )
            for photo in processed:
                stored_photos.append(store_photo(service_request, photo))
            if also is not None:
                also(service_request)
    except BaseException as failure:
        # The rows are rolled back; the files written for them must go too.
        for stored in stored_photos:
            stored.image.delete(save=False)
        if not isinstance(failure, filed_rows.AlreadyFiled | IntegrityError):
            raise
        # The key was filed before, or two retries of the same submission raced: the first request answers.
        if key:
            existing = _by_idempotency_key(jurisdiction, key)
            if existing is not None:
                return Submission(existing, created=False)
        raise
    logger.info("service request %s filed (%s, %s)", service_request.tracking_number, service.code, channel)
    return Submission(service_request, created=True)


@dataclass(frozen=True)
class _CheckedReport:
    """A report that passed every check, its values cleaned."""

    service: Service
    answers: dict[str, catalogue.Answer]
    description: str
    location: _Location
    photos: list[ProcessedPhoto]
    requester_fields: _RequesterFields
    media_url: str
    channel: str


def _check_report(jurisdiction: Jurisdiction, report: Report) -> _CheckedReport:
    """Everything `submit` checks before it writes: the service, its safety rules, the answers, the text, the
    place, the photos and who reported. Raises ValidationError, or CannedAnswer (`submit` records the contact
    unless the report is a retry of one already filed)."""
    service = catalogue.service_for_report(jurisdiction, report.service_code)
    rule = catalogue.canned_answer(service, report.answers)
    if rule is not None:
        raise CannedAnswer(rule.localized("message"), service=service, summary=rule.message)

    errors: dict[str, list[str]] = {}
    answers, answer_errors = catalogue.validate_answers(service, report.answers)
    errors.update(answer_errors)

    description = check_description(report.description, errors)
    location = _check_location(jurisdiction, report, errors)
    processed = check_photos(report.photos, errors)
    requester_fields = _check_requester(report, errors)
    media_url = check_media_url(report.media_url, errors)
    channel = channel_value(report.channel)
    if errors:
        raise ValidationError(errors)
    return _CheckedReport(service, answers, description, location, processed, requester_fields, media_url, channel)


def allocate_tracking_numbers(jurisdiction: Jurisdiction, count: int) -> list[int]:
    """`count` new tracking numbers of the city, increasing (civic311/jurisdictions/tracking_numbers.py):
    unique, never shared, not gap-free. One round trip that locks no row."""
    return tracking_numbers.allocate(jurisdiction, count)


def check_information_request(
    jurisdiction: Jurisdiction, *, summary: str, outcome: str, service: Service | None
) -> str:
    """The rules for logging an information request; returns the cleaned summary or raises ValidationError."""
    summary = (summary or "").strip()
    errors: dict[str, list[str]] = {}
    if not summary:
        errors["summary"] = [_("Write down the answer that was given.")]
    elif has_nul(summary):
        errors["summary"] = [nul_message()]
    if outcome not in (Contact.Outcome.INFORMATION, Contact.Outcome.DIRECTORY):
        errors["outcome"] = [_("An information request is answered with information or directory assistance.")]
    if service is not None and service.jurisdiction_id != jurisdiction.pk:
        errors["service"] = [_("That service belongs to another jurisdiction.")]
    if errors:
        raise ValidationError(errors)
    return summary[: settings.CIVIC311_DESCRIPTION_MAX_CHARS]


def log_information_request(
    jurisdiction: Jurisdiction,
    *,
    channel: str,
    summary: str,
    service: Service | None = None,
    agent: User | None = None,
    outcome: str = Contact.Outcome.INFORMATION,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
) -> Contact:
    """Record a contact that needed only an answer (most of them)."""
    summary = check_information_request(jurisdiction, summary=summary, outcome=outcome, service=service)
    now = timezone.now()
    return Contact.objects.create(
        jurisdiction=jurisdiction,
        channel=channel_value(channel),
        outcome=outcome,
        service=service,
        agent=agent,
        summary=summary,
        started_at=started_at or now,
        ended_at=ended_at or now,
    )


def open_contact(
    jurisdiction: Jurisdiction,
    *,
    channel: str,
    agent: User | None,
    started_at: dt.datetime | None = None,
    desk_id: int | None = None,
) -> Contact:
    """A contact an agent has just taken (a call, a walk-in at `desk_id`, an inbox item), nothing decided yet:
    the console and the inbox record what comes of it."""
    return Contact.objects.create(
        jurisdiction=jurisdiction,
        channel=channel_value(channel),
        outcome=Contact.Outcome.PENDING,
        agent=agent,
        desk_id=desk_id,
        started_at=started_at or timezone.now(),
    )


def end_contact(contact: Contact, *, ended_at: dt.datetime, outcome: str = "", summary: str = "") -> Contact:
    """End an open contact that nobody wraps up (an inbox item dismissed, or handed to another agent): an
    outcome already recorded stays; otherwise `outcome` (and `summary`) is what came of it. It never ends
    before it started. Call inside the caller's transaction, with the contact's row locked."""
    if contact.ended_at is not None:
        return contact
    if not contact.has_outcome and outcome:
        contact.outcome = outcome
        contact.summary = summary[: settings.CIVIC311_DESCRIPTION_MAX_CHARS]
    contact.ended_at = max(ended_at, contact.started_at)
    contact.save(update_fields=["outcome", "summary", "ended_at"])
    return contact


@dataclass(frozen=True)
class _Location:
    address: str = ""
    zipcode: str = ""
    lat: float | None = None
    long: float | None = None
    neighborhood_id: int | None = None


def _check_location(jurisdiction: Jurisdiction, report: Report, errors: dict[str, list[str]]) -> _Location:
    address, zipcode = check_address(report.address, report.zipcode, errors)
    has_lat = report.lat not in (None, "")
    has_long = report.long not in (None, "")
    neighborhood_id = None
    if report.neighborhood:
        # Never cut the slug short: a longer one must not match a neighborhood whose slug is its beginning.
        neighborhood_id = (
            Neighborhood.objects.filter(jurisdiction=jurisdiction, slug=str(report.neighborhood))
            .values_list("pk", flat=True)
            .first()
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
        if errors.get("address"):
            return _Location(address, zipcode, neighborhood_id=neighborhood_id)
        # An address alone: placed when the city's geocoder knows it, never refused when it does not.
        place = geocoding.geocode(jurisdiction, address)
        if place is None:  # the request keeps an address and no point: its pages say the city will find it
            return _Location(address, zipcode, neighborhood_id=neighborhood_id)
        # The address as the city writes it (its own address points); a remote geocoder's long label is not.
        written = place.address if place.source == geocoding.ADDRESS_POINTS and place.address else address
        return _Location(written, zipcode, place.lat, place.long, place.neighborhood_id or neighborhood_id)

    lat = places.parse_coordinate(report.lat, -90, 90)
    long = places.parse_coordinate(report.long, -180, 180)
    if lat is None:
        errors["lat"] = [_("The latitude must be a number between -90 and 90.")]
    if long is None:
        errors["long"] = [_("The longitude must be a number between -180 and 180.")]
    if lat is None or long is None:
        return _Location(address, zipcode)
    if not jurisdiction.contains(lat, long):
        errors["location"] = [
            _("That point is outside %(city)s. We can only take reports within the city.") % {"city": jurisdiction.name}
        ]
        return _Location(address, zipcode)
    # A point wins over a picked neighborhood: it is where the problem is.
    located = places.neighborhood_id_at(jurisdiction, lat, long)
    return _Location(address, zipcode, lat, long, located or neighborhood_id)


class _RequesterFields(TypedDict):
    """Who reported, as a `Requester` row is created from it (all empty: no row)."""

    first_name: str
    last_name: str
    email: str
    phone: str
    handle: str


def _check_requester(report: Report, errors: dict[str, list[str]]) -> _RequesterFields:
    fields: _RequesterFields = {
        "first_name": " ".join((report.first_name or "").split())[:100],
        "last_name": " ".join((report.last_name or "").split())[:100],
        "email": (report.email or "").strip(),
        "phone": (report.phone or "").strip(),
        "handle": " ".join((report.handle or "").split())[:200],
    }
    if fields["email"] and not is_valid_email(fields["email"]):
        errors["email"] = [_("Enter a valid e-mail address, or leave it empty.")]
    if fields["phone"]:
        if is_valid_phone(fields["phone"]):
            fields["phone"] = phone_e164(fields["phone"])  # stored as E.164: "+12156868686"
        else:
            errors["phone"] = [phone_error(optional=True)]
    return fields


_REPORT_TEXT_FIELDS = (
    "service_code",
    "description",
    "address",
    "zipcode",
    "lat",
    "long",
    "neighborhood",
    "first_name",
    "last_name",
    "email",
    "phone",
    "handle",
    "channel",
    "idempotency_key",
    "media_url",
)


def _nul_errors(report: Report) -> dict[str, list[str]]:
    """PostgreSQL can neither store nor look up text with a NUL character: refuse it before anything else."""
    errors = {name: [nul_message()] for name in _REPORT_TEXT_FIELDS if has_nul(getattr(report, name))}
    for code, answer in (report.answers or {}).items():
        if has_nul(code) or has_nul(answer):
            errors[f"attribute[{str(code).replace(chr(0), '')[:60]}]"] = [nul_message()]
    return errors


def _by_idempotency_key(jurisdiction: Jurisdiction, key: str) -> ServiceRequest | None:
    # Nearly every key is new: ask for the id alone (a much smaller query to build), the row only when found.
    found = list(
        ServiceRequest.objects.filter(jurisdiction=jurisdiction, idempotency_key=key)
        .order_by()
        .values_list("pk", flat=True)[:1]
    )
    return ServiceRequest.objects.select_related("service").get(pk=found[0]) if found else None


def store_photo(service_request: ServiceRequest, photo: ProcessedPhoto) -> Photo:
    stored = Photo(service_request=service_request, width=photo.width, height=photo.height)
    name = f"{uuid.uuid4().hex}.{photo.extension}"
    # The content must carry a name: ImageField reads width and height from it, and a nameless file
    # counts as no file, which would set both to None.
    stored.image.save(name, ContentFile(photo.content, name=name), save=False)
    stored.save()
    return stored
