"""What a neighborhood liaison files: a request on behalf of a neighbor, and a community meeting's notes
turned into several requests at once (all or nothing).

Every request goes through `service_requests.services.submit` (channel `liaison`, shown in its history as
filed by a "Neighborhood liaison", never by the liaison's name); the `LiaisonFiling` row that says which
liaison filed it, for which neighbor or meeting, is written in the request's own filing transaction.
Who may file is `roles.may_file_as_liaison`; liaisons file at any hour.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests import services as requests_services
from civic311.service_requests.models import Channel, Photo, ServiceRequest
from civic311.text_intelligence import suggesting

from ..models import CommunityMeeting, Liaison, LiaisonFiling

# How the history of a request a liaison filed names who filed it (translated through ACTOR_LABELS).
ACTOR_LABEL = "Neighborhood liaison"

MAX_ITEMS = 30
MEETING_NAME_MAX = 200
MEETING_PLACE_MAX = 300
# The notes are kept with the meeting; more than this is not a meeting's notes.
NOTES_MAX_CHARS = 20_000
# What a liaison's report always is, whatever the caller gives: on channel `liaison`, never private, never a
# follow-on of another request, no photo hosted elsewhere (those are staff's and Open311 clients').
_FIXED_FIELDS: dict[str, Any] = {"channel": Channel.LIAISON, "is_private": False, "parent": None, "media_url": ""}
# The report's fields a caller may give: every other field of the intake's `Report`.
REPORT_FIELDS = frozenset(field.name for field in dataclasses.fields(requests_services.Report)) - set(_FIXED_FIELDS)
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")
ITEM_FIELDS = ("service_code", "description", "address", "zipcode", "lat", "long", "neighborhood")


@dataclass(frozen=True)
class MeetingFiling:
    meeting: CommunityMeeting
    service_requests: list[ServiceRequest]
    created: bool = True  # False: this filing had been sent before (a double click); these are the first's


# --- who files ---------------------------------------------------------------------------------------------


def _liaison_of(user: User | None) -> tuple[User, Liaison]:
    """The program's row of a liaison allowed to file now; PermissionDenied for anyone else."""
    refused = _("Only an active neighborhood liaison can file requests here.")
    if user is None or not roles.may_file_as_liaison(user):
        raise PermissionDenied(refused)
    liaison = Liaison.objects.select_related("jurisdiction").filter(user_id=user.pk).first()
    if liaison is None or liaison.status != Liaison.Status.ACTIVE:
        raise PermissionDenied(refused)
    return user, liaison


def _touch(liaison: Liaison, now: dt.datetime) -> None:
    Liaison.objects.filter(pk=liaison.pk).update(last_active_at=now)


# --- on behalf of a neighbour ------------------------------------------------------------------------------


def file_on_behalf(
    liaison_user: User | None,
    report_fields: requests_services.Report | Mapping[str, Any],
    *,
    neighbour_consented: bool,
    now: dt.datetime | None = None,
) -> requests_services.Submission:
    """File a request for a neighbor. Their contact details are optional; when any is given they must have
    agreed to the city having them (`neighbour_consented`), recorded with the filing.

    Raises PermissionDenied (not a liaison), ValidationError keyed by field (with `neighbour_consent`),
    or CannedAnswer (a safety rule answered instead; nothing filed).
    """
    _user, liaison = _liaison_of(liaison_user)
    report = _report(report_fields)
    has_contact = any(str(getattr(report, name) or "").strip() for name in CONTACT_FIELDS)
    if has_contact and not neighbour_consented:
        raise ValidationError(
            {
                "neighbour_consent": _(
                    "Your neighbor's contact details can be sent only with their agreement. Tick the box "
                    "if they agreed, or leave their details empty."
                )
            }
        )
    now = now or timezone.now()
    consented_at = now if has_contact else None

    def record(service_request: ServiceRequest) -> None:
        LiaisonFiling.objects.create(
            service_request=service_request, liaison=liaison, neighbour_consented_at=consented_at, filed_at=now
        )
        _touch(liaison, now)

    return requests_services.submit(
        liaison.jurisdiction, report, actor=None, actor_label=ACTOR_LABEL, also=record, now=now
    )


def _report(fields: requests_services.Report | Mapping[str, Any]) -> requests_services.Report:
    if isinstance(fields, requests_services.Report):
        report = fields
    else:
        unknown = sorted(set(fields) - REPORT_FIELDS)
        if unknown:
            raise ValueError(f"unknown report fields: {', '.join(unknown)}")
        report = requests_services.Report(**dict(fields))
    return dataclasses.replace(report, **_FIXED_FIELDS)


def _photo_names(service_request: ServiceRequest) -> list[str]:
    return list(Photo.objects.filter(service_request=service_request).values_list("image", flat=True))


# --- a meeting's notes ----------------------------------------------------------------------------------------

# "1.", "1)", "(1)", "a)", "-", "*", "•" (and their kin) at the start of a line, followed by a space.
_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}[.)]|\(?[a-zA-Z][.)](?=\s)|[-*+\u2022\u00b7\u2023\u25e6\u2013\u2014])(?:\s+|$)")


def split_notes(text: str) -> list[str]:
    """Pasted meeting notes as items, in order: one per numbered or bulleted line (lines that follow one
    without a marker continue it); without any marker, one per paragraph (blank lines between), or per line
    when there are no blank lines. Empty items are dropped; at most MAX_ITEMS items, each cut at the
    description's length."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n")[: NOTES_MAX_CHARS * 2].split("\n")
    has_markers = any(_MARKER.match(line) and _MARKER.sub("", line, count=1).strip() for line in lines)
    has_paragraphs = any(not line.strip() for line in lines) and any(line.strip() for line in lines)
    items: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if not line.strip():
            current = None
            continue
        starts = bool(_MARKER.match(line)) if has_markers else not has_paragraphs
        if starts:
            current = [_MARKER.sub("", line, count=1) if has_markers else line]
            items.append(current)
        elif current is None:
            current = [line]
            items.append(current)
        else:
            current.append(line)
    cap = settings.CIVIC311_DESCRIPTION_MAX_CHARS
    found = [" ".join(" ".join(parts).split())[:cap].strip() for parts in items]
    return [item for item in found if item][:MAX_ITEMS]


def suggest_services(
    jurisdiction: Jurisdiction, texts: Iterable[str], *, language: str | None = None
) -> list[Service | None]:
    """The service each text most likely is about (the city's service suggester, shared with the inbox), or
    None where it is unsure: the liaison picks then."""
    return [found.best for found in suggesting.suggest_many(jurisdiction, list(texts), language=language)]


def suggest_service(jurisdiction: Jurisdiction, text: str) -> Service | None:
    """The service an item of meeting notes most likely is about, or None when unsure."""
    return suggesting.suggest(jurisdiction, text).best


def item_key(index: int, field: str) -> str:
    """How an item's error is keyed in the ValidationError of `file_meeting` ("items-2-address")."""
    return f"items-{index}-{field}"


_ITEM_KEY = re.compile(r"^items-(?P<index>\d+)-(?P<field>.+)$")


def errors_by_item(error: ValidationError) -> tuple[dict[int, dict[str, list[str]]], dict[str, list[str]]]:
    """The errors of `file_meeting` as ({item index: {field: messages}}, {meeting field: messages})."""
    by_item: dict[int, dict[str, list[str]]] = {}
    meeting: dict[str, list[str]] = {}
    messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": list(error.messages)}
    for key, values in messages.items():
        match = _ITEM_KEY.match(key)
        if match:
            by_item.setdefault(int(match["index"]), {}).setdefault(match["field"], []).extend(values)
        else:
            meeting.setdefault(key, []).extend(values)
    return by_item, meeting


def _meeting_fields(
    liaison_user: User, liaison: Liaison, fields: Mapping[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    name = " ".join(str(fields.get("name") or "").split())
    if not name:
        errors["name"] = [_("Give the meeting's name.")]
    elif len(name) > MEETING_NAME_MAX:
        errors["name"] = [_("The meeting's name can be at most %(max)d characters.") % {"max": MEETING_NAME_MAX}]
    raw_date = fields.get("held_on")
    held_on = raw_date if isinstance(raw_date, dt.date) else _parse_date(str(raw_date or ""))
    today = timezone.now().astimezone(liaison.jurisdiction.zone).date()
    if held_on is None:
        errors["held_on"] = [_("Give the meeting's date, like 2026-05-14.")]
    elif held_on > today:
        errors["held_on"] = [_("The meeting's date cannot be in the future.")]
    neighborhood: Neighborhood | None = None
    slug = str(fields.get("neighborhood") or "").strip()
    if slug:
        neighborhood = Neighborhood.objects.filter(jurisdiction=liaison.jurisdiction, slug=slug).first()
        if neighborhood is None or not roles.may_follow_neighborhood(liaison_user, neighborhood.pk):
            errors["neighborhood"] = [_("Choose one of your neighborhoods.")]
            neighborhood = None
    place = " ".join(str(fields.get("place") or "").split())
    if len(place) > MEETING_PLACE_MAX:
        errors["place"] = [_("The place can be at most %(max)d characters.") % {"max": MEETING_PLACE_MAX}]
    notes = str(fields.get("notes") or "").strip()
    if len(notes) > NOTES_MAX_CHARS:
        errors["notes"] = [_("The notes can be at most %(max)d characters.") % {"max": NOTES_MAX_CHARS}]
    if "\x00" in name + place + notes + slug:
        errors["notes"] = [_("The text holds a character that cannot be stored. Please type it again.")]
    return {"name": name, "held_on": held_on, "neighborhood": neighborhood, "place": place, "notes": notes}


def _parse_date(value: str) -> dt.date | None:
    try:
        return parse_date(value.strip())
    except ValueError:
        return None


def _item_report(jurisdiction: Jurisdiction, item: Mapping[str, Any], index: int, key: str) -> requests_services.Report:
    values = {name: item.get(name) or "" for name in ITEM_FIELDS}
    has_point = bool(str(values["lat"]).strip() or str(values["long"]).strip())
    address = str(values["address"]).strip()
    slug = str(values["neighborhood"]).strip()
    if not address and not has_point and slug:
        # Only the neighborhood is known: the request says so where an address would be.
        name = Neighborhood.objects.filter(jurisdiction=jurisdiction, slug=slug).values_list("name", flat=True).first()
        address = name or ""
    return requests_services.Report(
        service_code=str(values["service_code"]),
        description=str(values["description"]),
        address=address,
        zipcode=str(values["zipcode"]),
        lat=values["lat"],
        long=values["long"],
        neighborhood=slug,
        answers=dict(item.get("answers") or {}),
        language=str(item.get("language") or ""),
        channel=Channel.LIAISON,
        idempotency_key=_idempotency_key(key, index),
    )


def _idempotency_key(key: str, index: int) -> str:
    """The idempotency key of a meeting filing's item: `key` is the filing's, already scoped to its liaison."""
    return f"liaison-meeting:{key}:{index}" if key else ""


class _FiledMeanwhile(Exception):
    """An item's request was there already: the same filing, sent twice at once, committed first."""


def _already_filed(jurisdiction: Jurisdiction, key: str) -> MeetingFiling | None:
    """The meeting filing sent before with this key (a second click on "File all"), if there was one."""
    if not key:
        return None
    first = (
        LiaisonFiling.objects.select_related("meeting")
        .filter(
            service_request__jurisdiction=jurisdiction,
            service_request__idempotency_key=_idempotency_key(key, 0),
            meeting__isnull=False,
        )
        .first()
    )
    if first is None or first.meeting is None:
        return None
    filed = [
        filing.service_request
        for filing in LiaisonFiling.objects.filter(meeting=first.meeting).select_related("service_request")
    ]
    filed.sort(key=lambda service_request: service_request.pk)
    return MeetingFiling(first.meeting, filed, created=False)


def file_meeting(
    liaison_user: User | None,
    meeting_fields: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    *,
    filing_key: str = "",
    now: dt.datetime | None = None,
) -> MeetingFiling:
    """Record a community meeting and file every item of its notes as a request tagged with it: all or
    nothing. Each item has a `service_code`, a `description` and a place (`address`, or `lat` and `long`,
    or a `neighborhood` slug).

    Raises PermissionDenied (not a liaison) or ValidationError with every problem at once: the meeting's
    keyed by its field ("name"), each item's by `item_key(index, field)` ("items-2-address"; the index
    from 0). A safety rule answering an item (a gas leak: call 911) refuses the whole filing too, with the
    rule's message on that item's `service_code`. `filing_key` (the form's) makes a second send of the same
    filing return the first instead of filing again.
    """
    user, liaison = _liaison_of(liaison_user)
    jurisdiction = liaison.jurisdiction
    key = "".join(str(filing_key or "").split())[:60]
    # Scoped to the liaison: another liaison's key never finds (or blocks) this one's filing.
    key = f"{liaison.pk}:{key}" if key else ""
    already = _already_filed(jurisdiction, key)
    if already is not None:
        return already
    errors: dict[str, list[str]] = {}
    meeting_values = _meeting_fields(user, liaison, meeting_fields, errors)
    if not items:
        errors["items"] = [_("There is nothing to file: add at least one item.")]
    elif len(items) > MAX_ITEMS:
        errors["items"] = [_("File at most %(max)d requests at once.") % {"max": MAX_ITEMS}]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    filed: list[ServiceRequest] = []
    stored_photos: list[str] = []
    try:
        # One transaction for the meeting and every request: the first refused item rolls back all of them.
        with transaction.atomic():
            meeting = CommunityMeeting.objects.create(
                jurisdiction=jurisdiction, recorded_by=user, created_at=now, **meeting_values
            )

            def record(service_request: ServiceRequest) -> None:
                LiaisonFiling.objects.create(
                    service_request=service_request, liaison=liaison, meeting=meeting, filed_at=now
                )
                stored_photos.extend(_photo_names(service_request))

            for index, item in enumerate(items):
                try:
                    submission = requests_services.submit(
                        jurisdiction,
                        _item_report(jurisdiction, item, index, key),
                        actor=None,
                        actor_label=ACTOR_LABEL,
                        also=record,
                        now=now,
                    )
                except requests_services.CannedAnswer as answer:
                    errors[item_key(index, "service_code")] = [answer.message]
                except ValidationError as error:
                    for field, messages in _messages(error).items():
                        errors[item_key(index, field)] = messages
                else:
                    if not submission.created:
                        # The same filing, sent twice at once, committed its requests first: this
                        # meeting (and anything else written here) must not outlive it.
                        raise _FiledMeanwhile
                    filed.append(submission.service_request)
            if errors:
                raise ValidationError(errors)
            _touch(liaison, now)
    except _FiledMeanwhile:
        _delete_files(stored_photos)
        first = _already_filed(jurisdiction, key)
        if first is None:
            raise ValidationError({"items": [_("These requests were filed already.")]}) from None
        return first
    except BaseException:
        # The rows are rolled back; the photo files written for them must go too.
        _delete_files(stored_photos)
        raise
    return MeetingFiling(meeting, filed)


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


def _delete_files(names: Iterable[str]) -> None:
    field = Photo._meta.get_field("image")
    storage = getattr(field, "storage", None)
    if storage is None:
        return
    for name in names:
        if name:
            storage.delete(name)
