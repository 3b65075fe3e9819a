"""The Open311 server's rules, in one place: API keys (issued, revoked, checked, rate-limited and
audited), a POST turned into an intake `Report`, batch tokens, and FixMyStreet updates mapped onto
the request lifecycle.

Requests are only ever filed through `civic311.service_requests.services.submit`, and updates only applied
through `change_status` and `add_note`: the Open311 server adds the client's identity and nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic311 import rate_limits
from civic311.catalogue.models import Service
from civic311.catalogue.selectors import Answer, service_for_report
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import User
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status, can_move
from civic311.service_requests.models import Channel, HistoryEntry, ServiceRequest

from . import formats
from .models import ApiKey, ApiKeyActivity, BatchToken, ReceivedUpdate
from .selectors import PRESENTED_KEY_MAX, hash_key, normalize_tracking_number, public_requests

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from django_stubs_ext import StrOrPromise

# --- API keys ---------------------------------------------------------------------------------------

KEY_BYTES = 32
PREFIX_CHARS = 8
# Anything longer than a key we issue is not one of ours; it is not even hashed.
RATE_WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the saved row (hash and prefix only) and the key itself, to be shown once and forgotten."""

    api_key: ApiKey
    key: str


class KeyRefused(Exception):
    """The key cannot post: missing, unknown, revoked or of another jurisdiction (HTTP 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(Exception):
    """The key used up its requests for this minute (HTTP 429, `Retry-After: seconds`)."""

    def __init__(self, api_key: ApiKey, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after}s")
        self.api_key = api_key
        self.retry_after = retry_after


def new_key_secret() -> tuple[str, str, str]:
    """(key, prefix, sha256 hex) for a fresh random key."""
    key = secrets.token_urlsafe(KEY_BYTES)
    return key, key[:PREFIX_CHARS], hash_key(key)


def issue_api_key(
    jurisdiction: Jurisdiction,
    name: str,
    *,
    contact_email: str = "",
    requests_per_minute: int = 60,
    created_by: User | None = None,
) -> IssuedKey:
    """Issue a key to a client. Only its hash and prefix are stored; `IssuedKey.key` is the only copy."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Name the client the key is for.")})
    key, prefix, key_hash = new_key_secret()
    api_key = ApiKey.objects.create(
        jurisdiction=jurisdiction,
        name=name[:200],
        prefix=prefix,
        key_hash=key_hash,
        contact_email=(contact_email or "").strip(),
        requests_per_minute=requests_per_minute,
        created_by=created_by,
    )
    return IssuedKey(api_key, key)


def revoke_key(api_key: ApiKey, *, now: dt.datetime | None = None) -> bool:
    """Revoke a key for good; True if it was active. Its audit stays."""
    now = now or timezone.now()
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    forget_key(api_key)
    if revoked:
        api_key.revoked_at = now
    return bool(revoked)


def authenticate(jurisdiction: Jurisdiction, presented: str, *, now: dt.datetime | None = None) -> ApiKey:
    """The active key of this jurisdiction that was presented, with this call counted against its rate limit.

    Raises KeyRefused (→ 403) or RateLimited (→ 429, recorded in the key's audit).
    """
    now = now or timezone.now()
    presented = (presented or "").strip()
    if not presented:
        raise KeyRefused(_("An api_key is required to post."))
    if len(presented) > PRESENTED_KEY_MAX:
        raise KeyRefused(_("The api_key is not valid."))
    key_hash = hash_key(presented)
    # The key and this call's count in one round trip of the shared cache (two were a tenth of a POST's web CPU):
    # the count is the key's (by its hash), put to the key's own limit once the key is known.
    counted, cached = rate_limits.count_reading(
        RATE_SCOPE, RATE_SECONDS, key_hash, read=_key_cache_key(key_hash), now=now.timestamp()
    )
    api_key = cached if isinstance(cached, ApiKey) else _key_from_database(key_hash)
    if api_key is None:
        # A guessed key leaves no count behind (forget() reads the rate's scope and window, never its limit).
        rate_limits.forget(rate_limits.Rate(RATE_SCOPE, 0, RATE_SECONDS), key_hash, now=now.timestamp())
        raise KeyRefused(_("The api_key is not valid."))
    if not api_key.is_active:
        raise KeyRefused(_("The api_key has been revoked."))
    if api_key.jurisdiction_id != jurisdiction.pk:
        raise KeyRefused(_("The api_key is not valid for this jurisdiction."))
    take_turn(api_key, now=now, counted=counted)
    return api_key


# A client's key is read from the shared cache, not the database, on each of its calls (an ORM query was a tenth
# of a POST's web CPU). Revoking or editing a key forgets it at once, and again when that commits; the entry also
# lapses after KEY_CACHE_SECONDS, the longest a key could outlive a change made behind the code's back.
KEY_CACHE_SECONDS = 60
# Each key's calls are counted in one-minute windows of the shared cache (civic311/rate_limits.py).
RATE_SCOPE = "open311-post"
RATE_SECONDS = int(RATE_WINDOW.total_seconds())


def _key_cache_key(key_hash: str) -> str:
    return f"open311:api-key:{key_hash}"


def _key_from_database(key_hash: str) -> ApiKey | None:
    api_key = ApiKey.objects.filter(key_hash=key_hash).first()
    if api_key is not None:  # an unknown key is never kept: guessing must not fill the cache
        cache.set(_key_cache_key(key_hash), api_key, KEY_CACHE_SECONDS)
    return api_key


def forget_key(api_key: ApiKey) -> None:
    """Drop a key from the shared cache now and once the change commits (a call in between may have put it back)."""
    key = _key_cache_key(api_key.key_hash)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def take_turn(api_key: ApiKey, *, now: dt.datetime | None = None, counted: rate_limits.Counted | None = None) -> None:
    """Count one call in the key's one-minute window (the project's one rate limit, civic311/rate_limits.py,
    shared by every worker) unless `authenticate` counted it with the key's lookup, and put it to the key's
    limit: RateLimited when over it. A limit of 0 pauses the key."""
    now = now or timezone.now()
    if counted is None:
        counted, _nothing_read = rate_limits.count_reading(
            RATE_SCOPE, RATE_SECONDS, api_key.key_hash, now=now.timestamp()
        )
    verdict = counted.within(api_key.requests_per_minute)
    if not verdict.allowed:
        ApiKeyActivity.objects.create(api_key=api_key, action=ApiKeyActivity.Action.REFUSED)
        raise RateLimited(api_key, verdict.retry_after)
    # "Last used" to the minute: a write at most once a minute per key, not one on every call.
    if api_key.last_used_at is None or now - api_key.last_used_at >= RATE_WINDOW:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
        cache.set(_key_cache_key(api_key.key_hash), api_key, KEY_CACHE_SECONDS)


# --- POST requests ----------------------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]*)\](\[\])?$")
# The idempotency key is stored namespaced by the API key ("open311:<key id>:<client's id>"), so one
# client's ids can never return another client's request; what is left of the column is the client's.
CLIENT_REQUEST_ID_MAX = 80
# Intake's field names, as an Open311 client knows them.
_FIELD_NAMES = {
    "address": "address_string",
    "photos": "media",
    "idempotency_key": "client_request_id",
    "public_reason": "description",
    "text": "description",
}


@dataclass(frozen=True)
class PostedRequest:
    service_request: ServiceRequest
    created: bool
    token: str | None  # for a `batch` service: what the client gets instead of the id


def attributes_from(*sources: QueryDict) -> dict[str, Answer]:
    """`attribute[CODE]=v` and `attribute[CODE][]=v` from the query string and the body.

    The `[]` form (or a code sent more than once) gives a list; a single plain value stays a string.
    """
    collected: dict[str, list[str]] = {}
    as_list: set[str] = set()
    for source in sources:
        for name in source:
            match = _ATTRIBUTE.match(name)
            if match is None:
                continue
            code = match.group(1)
            collected.setdefault(code, []).extend(source.getlist(name))
            if match.group(2):
                as_list.add(code)
    return {code: (values if code in as_list or len(values) > 1 else values[0]) for code, values in collected.items()}


def idempotency_key(api_key: ApiKey, client_request_id: str) -> str:
    client_request_id = (client_request_id or "").strip()
    if not client_request_id:
        return ""
    if len(client_request_id) > CLIENT_REQUEST_ID_MAX:
        raise ValidationError(
            {
                "client_request_id": _("A client_request_id can be at most %(max)d characters.")
                % {"max": CLIENT_REQUEST_ID_MAX}
            }
        )
    return f"open311:{api_key.pk}:{client_request_id}"


def renamed(error: ValidationError) -> ValidationError:
    """Intake's errors with the field names an Open311 client sent."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({_FIELD_NAMES.get(field, field): messages for field, messages in error.message_dict.items()})


def post_request(
    jurisdiction: Jurisdiction, report: requests.Report, api_key: ApiKey, *, now: dt.datetime | None = None
) -> PostedRequest:
    """File a request for a client through intake, audit it and, for a batch service, issue its token.

    The request, its audit row and its token are written in one transaction. Raises ValidationError
    (client field names) or CannedAnswer; a canned answer still records the contact, as intake does for
    every channel.
    """
    report.channel = Channel.OPEN311
    issued: list[str] = []

    def issue_batch_token(service_request: ServiceRequest) -> None:
        # A request filed just now has no token yet: no need to look for one.
        issued.append(_new_batch_token(service_request))

    # The key's audit row is written with the request (in intake's one statement on PostgreSQL), a batch
    # service's token in intake's transaction once the request is there.
    audit = ApiKeyActivity(api_key=api_key, action=ApiKeyActivity.Action.CREATED_REQUEST)
    batch = _is_batch_service(jurisdiction, report.service_code)
    try:
        submission = requests.submit(
            jurisdiction,
            report,
            actor=None,
            actor_label=api_key.name[:100],
            with_rows=[audit],
            also=issue_batch_token if batch else None,
            now=now,
        )
    except ValidationError as error:
        raise renamed(error) from None
    service_request = submission.service_request
    token = None
    if service_request.service.open311_type == Service.Open311Type.BATCH:
        # The one written with the request; for a replay, the first request's (made now if it had none).
        token = issued[-1] if submission.created else _batch_token(service_request)
    return PostedRequest(service_request, submission.created, token)


def _is_batch_service(jurisdiction: Jurisdiction, code: str) -> bool:
    """Whether the service asked for answers with a token (from the catalogue each process keeps)."""
    try:
        return service_for_report(jurisdiction, code).open311_type == Service.Open311Type.BATCH
    except ValidationError:
        return False  # intake refuses the code with its own message


def _batch_token(service_request: ServiceRequest) -> str:
    existing = BatchToken.objects.filter(service_request=service_request).values_list("token", flat=True).first()
    return existing or _new_batch_token(service_request)


def _new_batch_token(service_request: ServiceRequest) -> str:
    return BatchToken.objects.create(
        jurisdiction_id=service_request.jurisdiction_id,
        token=secrets.token_urlsafe(16),
        service_request=service_request,
    ).token


def resolve_token(jurisdiction: Jurisdiction, token: str) -> ServiceRequest | None:
    """The request a batch token stands for; None when unknown, not filed yet, or private."""
    found = (
        BatchToken.objects.filter(jurisdiction=jurisdiction, token=token[:64]).select_related("service_request").first()
    )
    if found is None or found.service_request is None or found.service_request.is_private:
        return None
    return found.service_request


# --- FixMyStreet updates ----------------------------------------------------------------------------


# What each FixMyStreet status does here: (the status to move to, or None for a public note only;
# whether it is only "where the lifecycle allows", falling back to a note; the text used when the
# client sends no description).
@dataclass(frozen=True)
class UpdateRule:
    target: Status | None
    soft: bool
    label: StrOrPromise


UPDATE_RULES: dict[str, UpdateRule] = {
    "OPEN": UpdateRule(None, False, gettext_lazy("Open.")),
    "INVESTIGATING": UpdateRule(Status.IN_PROGRESS, True, gettext_lazy("Investigating.")),
    "IN_PROGRESS": UpdateRule(Status.IN_PROGRESS, True, gettext_lazy("In progress.")),
    "ACTION_SCHEDULED": UpdateRule(Status.IN_PROGRESS, True, gettext_lazy("Action scheduled.")),
    "FIXED": UpdateRule(Status.CLOSED, False, gettext_lazy("Issue Resolved")),
    "CLOSED": UpdateRule(Status.CLOSED, False, gettext_lazy("Closed.")),
    "NO_FURTHER_ACTION": UpdateRule(Status.CLOSED, False, gettext_lazy("No further action.")),
    "DUPLICATE": UpdateRule(None, False, gettext_lazy("Reported as a duplicate.")),
    "NOT_COUNCILS_RESPONSIBILITY": UpdateRule(Status.REFERRED, False, gettext_lazy("Referred to another agency")),
    "INTERNAL_REFERRAL": UpdateRule(Status.REFERRED, False, gettext_lazy("Referred within the city.")),
    "CANCELLED": UpdateRule(Status.CANCELLED, False, gettext_lazy("Cancelled.")),
    "REOPEN": UpdateRule(Status.REOPENED, False, gettext_lazy("Reopened.")),
}
FIXMYSTREET_STATUSES = tuple(UPDATE_RULES)

# Our statuses as FixMyStreet's, for the updates we list.
OUTGOING_STATUS = {
    Status.NEW: "OPEN",
    Status.ACKNOWLEDGED: "INVESTIGATING",
    Status.ASSIGNED: "ACTION_SCHEDULED",
    Status.IN_PROGRESS: "IN_PROGRESS",
    Status.ON_HOLD: "ACTION_SCHEDULED",
    Status.CLOSED: "CLOSED",
    Status.DUPLICATE: "DUPLICATE",
    Status.REFERRED: "NOT_COUNCILS_RESPONSIBILITY",
    Status.CANCELLED: "CANCELLED",
    Status.REOPENED: "REOPEN",
}
UPDATE_ID_MAX = 100


@dataclass(frozen=True)
class IncomingUpdate:
    service_request_id: str
    update_id: str
    status: str
    description: str = ""
    media_url: str = ""
    updated_datetime: dt.datetime | None = None  # checked, not used: the update is recorded when received


def public_updates(jurisdiction: Jurisdiction) -> QuerySet[HistoryEntry]:
    """Updates clients may read: status changes and public notes of requests that are not private,
    each annotated with the status the request had then (`status_then`) and what a client sent with it."""
    status_then = (
        HistoryEntry.objects.filter(service_request=OuterRef("service_request"))
        .exclude(to_status="")
        .filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lte=OuterRef("pk")))
        .order_by("-created_at", "-pk")
        .values("to_status")[:1]
    )
    received = ReceivedUpdate.objects.filter(history_entry=OuterRef("pk"))
    return (
        HistoryEntry.objects.filter(
            service_request__jurisdiction=jurisdiction,
            service_request__is_private=False,
            is_public=True,
            kind__in=[HistoryEntry.Kind.STATUS, HistoryEntry.Kind.NOTE],
        )
        .select_related("service_request")
        .annotate(
            status_then=Coalesce(Subquery(status_then), Value(Status.NEW.value)),
            sent_status=Subquery(received.values("status")[:1]),
            sent_media_url=Subquery(received.values("media_url")[:1]),
        )
        .order_by("created_at", "pk")
    )


class RequestUpdate(TypedDict):
    """One `request_update` of the updates extension, as `service_request_updates` lists it."""

    update_id: str
    service_request_id: str
    status: str
    updated_datetime: str | None
    description: str
    media_url: str | None
    external_status_code: str


def update_item(entry: HistoryEntry, zone: ZoneInfo) -> RequestUpdate:
    """One `request_update`, from an entry of `public_updates`."""
    ours = getattr(entry, "status_then", "") or entry.to_status or Status.NEW
    sent_status = getattr(entry, "sent_status", None)
    return {
        "update_id": str(entry.pk),
        "service_request_id": entry.service_request.tracking_number,
        "status": sent_status or OUTGOING_STATUS.get(Status(ours), "OPEN"),
        "updated_datetime": formats.timestamp(entry.created_at, zone),
        "description": entry.text,
        "media_url": getattr(entry, "sent_media_url", None) or None,  # a URI or null, as in requests
        "external_status_code": str(ours),
    }


def check_update(jurisdiction: Jurisdiction, update: IncomingUpdate) -> tuple[ServiceRequest, UpdateRule]:
    """Everything about an incoming update that can be checked before writing; ValidationError otherwise."""
    errors: dict[str, list[str]] = {}
    if not update.update_id:
        errors["update_id"] = [_("Send the update_id.")]
    elif len(update.update_id) > UPDATE_ID_MAX:
        errors["update_id"] = [_("An update_id can be at most %(max)d characters.") % {"max": UPDATE_ID_MAX}]
    rule = UPDATE_RULES.get(update.status.upper())
    if rule is None:
        errors["status"] = [_("The status must be one of %(statuses)s.") % {"statuses": ", ".join(UPDATE_RULES)}]
    service_request = None
    if not update.service_request_id:
        errors["service_request_id"] = [_("Send the service_request_id.")]
    else:
        number = normalize_tracking_number(update.service_request_id)
        service_request = (
            public_requests(jurisdiction).filter(tracking_number=number[:32]).select_related("service").first()
        )
        if service_request is None:
            errors["service_request_id"] = [_("There is no request %(id)s.") % {"id": update.service_request_id[:60]}]
    # The intake's own rules for the same fields.
    requests.check_description(update.description, errors)
    requests.check_media_url(update.media_url, errors)
    if not errors and _already_received(jurisdiction, update.update_id):
        errors["update_id"] = [_already_exists(update.update_id)]
    if errors:
        raise ValidationError(errors)
    assert service_request is not None and rule is not None
    return service_request, rule


def post_update(
    jurisdiction: Jurisdiction, api_key: ApiKey, update: IncomingUpdate, *, now: dt.datetime | None = None
) -> HistoryEntry:
    """Apply a client's update through the lifecycle services, as the client, in one transaction.

    Returns the history entry it made, annotated as `public_updates` annotates. Raises ValidationError
    (an illegal transition, a repeated update_id…) with nothing written.
    """
    now = now or timezone.now()
    service_request, rule = check_update(jurisdiction, update)
    status = update.status.upper()
    text = update.description or str(rule.label)
    label = api_key.name[:100]
    try:
        with transaction.atomic():
            current = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
            target = rule.target
            if target is not None and rule.soft and not can_move(current.status, target):
                target = None
            if target is None:
                entry = requests.add_note(current, text, actor=None, public=True, actor_label=label, now=now)
            else:
                requests.change_status(current, target, actor=None, public_reason=text, actor_label=label, now=now)
                entry = HistoryEntry.objects.filter(service_request=current, kind=HistoryEntry.Kind.STATUS).latest(
                    "created_at", "pk"
                )
            ReceivedUpdate.objects.create(
                jurisdiction=jurisdiction,
                api_key=api_key,
                update_id=update.update_id,
                service_request=current,
                history_entry=entry,
                status=status,
                media_url=update.media_url,
            )
            ApiKeyActivity.objects.create(
                api_key=api_key, action=ApiKeyActivity.Action.POSTED_UPDATE, service_request=current
            )
    except ValidationError as error:
        raise renamed(error) from None
    except IntegrityError:
        # The same update_id arrived twice at once; the other one won.
        if _already_received(jurisdiction, update.update_id):
            raise ValidationError({"update_id": [_already_exists(update.update_id)]}) from None
        raise
    return public_updates(jurisdiction).get(pk=entry.pk)


def _already_received(jurisdiction: Jurisdiction, update_id: str) -> bool:
    return ReceivedUpdate.objects.filter(jurisdiction=jurisdiction, update_id=update_id).exists()


def _already_exists(update_id: str) -> str:
    return _("An update with the update_id “%(id)s” already exists.") % {"id": update_id[:60]}
