"""The Youth Engagement Program's field walks: during a session, the participants walk the neighborhood and
report what they find from a phone, through a link staff open for the walk.

- `open_walk` gives a session with a field walk a random, unguessable link (`CohortSession.walk_token`) that
  closes at a time staff pick (by default an hour after the session ends); opening an open walk again only
  moves its closing time, so the printed link stays the same. `close_walk` ends it now (the link is dead;
  opening again makes a new one).
- `file_walk_report` files the request through the very rule every channel uses
  (`service_requests.services.submit`: the services offered, the location within the city, the photo, the
  service's questions, a repeated submission returning the first request), with no contact details at all
  (the participants are minors), and writes the `WalkReport` that tags it to the cohort's session (and, if
  one was chosen, the participant) in the request's own filing transaction: both or neither.

Who may open and close a walk: `roles.may_run_community_programmes`, for their own city. The public link
is the participants' only permission; the view rate-limits it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue import selectors as catalogue
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests import services as requests_services
from civic311.service_requests.models import Channel, ServiceRequest

from ..models import CohortSession, Participant, WalkReport

# The link closes this long after the session ends unless staff pick another time.
DEFAULT_CLOSE_AFTER_END = dt.timedelta(hours=1)
# A walk's link stays open at most this long after its session ends: it is for the walk, not for ever.
LATEST_CLOSE_AFTER_END = dt.timedelta(days=7)
TOKEN_BYTES = 24  # 32 URL-safe characters: unguessable
# The channel of a walk's requests. WEB: the participants use the public web page in a phone's browser, as
# any resident does; "mobile" is the city's app (or an Open311 client), and "liaison" is the Neighborhood
# Liaison Program's. Which program a request came from is the WalkReport tag, not the channel.
WALK_CHANNEL = Channel.WEB


class WalkUnavailable(Exception):
    """The walk's link cannot take reports: unknown, closed, past its closing time, or its cohort anonymised.

    `reason` is one of "unknown", "closed", "expired", "anonymised" (the page says the same to all but
    "expired", which may show when it closed)."""

    def __init__(self, reason: str, session: CohortSession | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.session = session


@dataclass(frozen=True)
class WalkReportData:
    """What a participant sends from the walk's page (raw strings, checked by the intake rule)."""

    service_code: str
    description: str = ""
    address: str = ""
    zipcode: str = ""
    lat: object = None
    long: object = None
    neighborhood: str = ""
    answers: Mapping[str, catalogue.Answer] = field(default_factory=dict)
    participant_id: int | None = None
    idempotency_key: str = ""
    language: str = ""


# --- staff: opening and closing a walk's link -----------------------------------------------------------------


def _require_staff(actor: User | None, session: CohortSession) -> None:
    roles.require(
        roles.may_run_community_programmes_in(actor, session.cohort.jurisdiction_id),
        _("Only the city's community staff can open or close a field walk."),
    )


def latest_closes_at(session: CohortSession) -> dt.datetime:
    return session.ends_at + LATEST_CLOSE_AFTER_END


def default_closes_at(session: CohortSession, *, now: dt.datetime | None = None) -> dt.datetime:
    """An hour after the session ends; for a walk opened later than that, an hour from now (at the latest
    `latest_closes_at`)."""
    now = now or timezone.now()
    closes_at = session.ends_at + DEFAULT_CLOSE_AFTER_END
    return closes_at if closes_at > now else min(now + DEFAULT_CLOSE_AFTER_END, latest_closes_at(session))


def may_open(session: CohortSession, *, now: dt.datetime | None = None) -> bool:
    """Whether the session's walk can be opened now (a field walk, a cohort not anonymised, not too late)."""
    now = now or timezone.now()
    return session.has_field_walk and session.cohort.anonymised_at is None and now < latest_closes_at(session)


def open_walk(
    session: CohortSession,
    actor: User | None,
    *,
    closes_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CohortSession:
    """Open the session's walk link until `closes_at` (default: an hour after the session ends). An open link
    keeps its token and gets the new closing time. Raises PermissionDenied or ValidationError."""
    _require_staff(actor, session)
    now = now or timezone.now()
    closes_at = closes_at or default_closes_at(session, now=now)
    errors: dict[str, list[str]] = {}
    if not session.has_field_walk:
        errors["session"] = [_("This session has no field walk. Edit the session to include one first.")]
    if session.cohort.anonymised_at is not None:
        errors["session"] = [_("This cohort's participants have been anonymised: its walks cannot be opened.")]
    if closes_at <= now:
        errors["closes_at"] = [_("Choose a closing time in the future.")]
    elif closes_at > latest_closes_at(session):
        errors["closes_at"] = [
            _("A walk's link can stay open at most %(days)d days after its session ends.")
            % {"days": LATEST_CLOSE_AFTER_END.days}
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = CohortSession.objects.select_for_update().select_related("cohort").get(pk=session.pk)
        if not current.walk_token:
            current.walk_token = secrets.token_urlsafe(TOKEN_BYTES)
        current.walk_closes_at = closes_at
        current.save(update_fields=["walk_token", "walk_closes_at"])
    return current


def close_walk(session: CohortSession, actor: User | None, *, now: dt.datetime | None = None) -> CohortSession:
    """Close the session's walk link now: it takes no more reports (opening again makes a new link)."""
    _require_staff(actor, session)
    now = now or timezone.now()
    with transaction.atomic():
        current = CohortSession.objects.select_for_update().select_related("cohort").get(pk=session.pk)
        if current.walk_token:
            current.walk_token = ""
            current.walk_closes_at = min(current.walk_closes_at or now, now)
            current.save(update_fields=["walk_token", "walk_closes_at"])
    return current


# --- the participants: filing from the walk ---------------------------------------------------------------------


def walk_for_token(
    token: str, *, jurisdiction: Jurisdiction | None = None, now: dt.datetime | None = None, lock: bool = False
) -> CohortSession:
    """The session whose walk link is `token`, if it takes reports now; WalkUnavailable otherwise. A link of
    another city than `jurisdiction` is unknown here."""
    now = now or timezone.now()
    token = (token or "").strip()
    if not token or len(token) > 64 or "\x00" in token:
        raise WalkUnavailable("unknown")
    found = CohortSession.objects.select_related("cohort", "cohort__jurisdiction").filter(walk_token=token)
    if lock:
        found = found.select_for_update()
    session = found.first()
    if session is None or (jurisdiction is not None and session.cohort.jurisdiction_id != jurisdiction.pk):
        raise WalkUnavailable("unknown")
    if session.cohort.anonymised_at is not None:
        raise WalkUnavailable("anonymised", session)
    if not session.has_field_walk:
        raise WalkUnavailable("closed", session)
    if session.walk_closes_at is not None and now >= session.walk_closes_at:
        raise WalkUnavailable("expired", session)
    return session


def _participant(session: CohortSession, participant_id: object) -> Participant | None:
    if participant_id in (None, ""):
        return None
    try:
        pk = int(str(participant_id))
    except ValueError:
        pk = 0
    found = Participant.objects.filter(pk=pk, cohort_id=session.cohort_id, anonymised_at__isnull=True).first()
    if found is None:
        raise ValidationError({"participant": [_("Choose your name from the list, or leave it empty.")]})
    return found


def file_walk_report(
    token: str,
    data: WalkReportData,
    photo: UploadedFile[bytes] | None,
    *,
    jurisdiction: Jurisdiction | None = None,
    now: dt.datetime | None = None,
) -> requests_services.Submission:
    """File what a participant found on the walk whose link is `token`, tagged to the walk's session.

    The request goes through `service_requests.services.submit`, the public form's rule, with no contact
    details; the WalkReport is written in its filing transaction (a link closed meanwhile files nothing).
    Raises WalkUnavailable, ValidationError keyed by field (the photo's errors under "photo", the
    participant's under "participant"), or CannedAnswer (a safety rule answered instead; nothing filed).
    A repeated submission (same `idempotency_key`) returns the first request, tagged once.
    """
    now = now or timezone.now()
    session = walk_for_token(token, jurisdiction=jurisdiction, now=now)
    participant = _participant(session, data.participant_id)
    report = requests_services.Report(
        service_code=data.service_code,
        description=data.description,
        address=data.address,
        zipcode=data.zipcode,
        lat=data.lat,
        long=data.long,
        neighborhood=data.neighborhood,
        answers=data.answers,
        photos=[photo] if photo else [],
        language=data.language,
        channel=WALK_CHANNEL,
        idempotency_key=data.idempotency_key,
        is_private=False,
        # No first_name, last_name, email or phone: a participant's contact is never asked for nor kept.
    )

    def tag(service_request: ServiceRequest) -> None:
        # Inside the filing transaction: the link must still be open now that the session's row is locked.
        locked = walk_for_token(token, jurisdiction=jurisdiction, now=now, lock=True)
        WalkReport.objects.create(
            service_request=service_request, session=locked, participant=participant, filed_at=now
        )

    try:
        return requests_services.submit(session.cohort.jurisdiction, report, actor=None, also=tag, now=now)
    except ValidationError as error:
        raise _photo_errors_as_photo(error) from None


def _photo_errors_as_photo(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    messages = dict(error.message_dict)
    if "photos" in messages:
        messages["photo"] = messages.pop("photos")
    return ValidationError(messages)
