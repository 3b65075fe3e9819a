"""The Open311 client: forwarding requests to a department's own work-order system, and back.

A department may run its own work-order system that speaks GeoReport v2 (`WorkOrderSystem`, set up in
the admin). When a request for one of the services it takes is filed, a `ForwardedRequest` is made and
sent by the job queue; what comes back (their id, or a token to resolve later) is stored, their status
changes are pulled back into the request's history, failures are retried with backoff, and a request
that still has no id of theirs an hour after it was sent raises an alert.

Every function here is plain and synchronous; the job `forward_request` and the periodic sweeps of
`civic311.open311.tasks` run them, and the tests call them directly. Each step claims its row with a conditional
UPDATE first, so two workers (or two sweeps) never act on the same row at the same time, and the send
carries our tracking number as `client_request_id`, so a retry after a lost answer does not make a
second work order on a server that honours it.

What is sent: the service (their code, if mapped), the location, the description, the answers and a
public photo link. Never the requester's name, e-mail or phone. Logs carry tracking numbers and
their ids only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
from collections.abc import Iterator, Sequence
from urllib.parse import urljoin

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from civic311 import backoff, leases
from civic311.jurisdictions.selectors import public_site_url
from civic311.notifications import services as notifications
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import OPEN_STATES, STANDARD_CLOSE_REASONS, Status, can_move
from civic311.service_requests.models import ServiceRequest

from .georeport_client import DEFAULT_TIMEOUT, GeoReportClient, GeoReportError, PostResult, RemoteRequest
from .models import ForwardedRequest, WorkOrderSystem

logger = logging.getLogger(__name__)

State = ForwardedRequest.State

# Sending: attempt n (1-based) that fails for a passing reason waits BACKOFF_BASE * 2**(n-1), at most
# BACKOFF_CAP, give or take 20 % (civic311.backoff); the MAX_ATTEMPTS-th failure gives up. With these
# values the attempts come after about 0, 2, 6, 14, 30, 62, 126 and 254 minutes: a little over four hours in all.
MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(minutes=2)
BACKOFF_CAP = dt.timedelta(hours=3)
# A claimed row is not claimed again for this long, in case the worker that holds it dies mid-call.
LEASE = leases.LEASE
# Resolving a token: check again after a tenth of its age, between these bounds.
TOKEN_CHECK_MIN = dt.timedelta(minutes=1)
TOKEN_CHECK_MAX = dt.timedelta(hours=1)
# An open request with no id of theirs this long after it was first sent raises one alert.
ALERT_AFTER = dt.timedelta(hours=1)
# Pulling updates: each system at most this often, asking for this many of their ids per call.
POLL_EVERY = dt.timedelta(minutes=5)
POLL_SLACK = dt.timedelta(seconds=30)
POLL_BATCH = 50
# A sweep handles at most this many rows per run; the next run takes the rest.
SWEEP_LIMIT = 500
# (connect, read) timeouts of every call, in seconds.
TIMEOUT: tuple[float, float] = DEFAULT_TIMEOUT

ACTOR_LABEL_MAX = 100
SYSTEM_LABEL = requests_services.SYSTEM


# --- what is forwarded --------------------------------------------------------------------------


def system_for(service_request: ServiceRequest) -> WorkOrderSystem | None:
    """The active work-order system of the request's department, if it takes the request's service."""
    return WorkOrderSystem.objects.filter(
        department_id=service_request.department_id, is_active=True, services=service_request.service_id
    ).first()


def forward_if_chosen(service_request: ServiceRequest, *, now: dt.datetime | None = None) -> ForwardedRequest | None:
    """Called once a request is filed: make its ForwardedRequest and queue the send, if it is to go."""
    system = system_for(service_request)
    if system is None:
        return None
    now = now or timezone.now()
    try:
        with transaction.atomic():
            forwarded, created = ForwardedRequest.objects.get_or_create(
                service_request=service_request,
                defaults={"system": system, "state": State.PENDING, "next_attempt_at": now},
            )
    except IntegrityError:
        # Filed twice at once (a signal sent twice): the other call made it.
        return ForwardedRequest.objects.filter(service_request=service_request).first()
    if created:
        logger.info("request %s to be forwarded to work-order system %s", service_request.tracking_number, system.pk)
        _enqueue(forwarded.pk)
    return forwarded


def client_for(system: WorkOrderSystem) -> GeoReportClient:
    return GeoReportClient(
        system.endpoint, api_key=system.api_key, jurisdiction_id=system.remote_jurisdiction_id, timeout=TIMEOUT
    )


def their_service_code(system: WorkOrderSystem, code: str) -> str:
    mapped = system.service_code_map.get(code) if isinstance(system.service_code_map, dict) else None
    return mapped.strip() if isinstance(mapped, str) and mapped.strip() else code


def public_photo_url(service_request: ServiceRequest) -> str:
    """A photo link the work-order system can open: the client-hosted `media_url`, or our first public photo
    when its URL is absolute (a cloud storage) or the site's public address is known (`CIVIC311_PUBLIC_URL`,
    else the jurisdiction's host)."""
    if service_request.media_url:
        return service_request.media_url
    photo = service_request.photos.filter(is_public=True).order_by("created_at", "pk").first()
    if photo is None or not photo.image:
        return ""
    url = photo.image.url
    if url.startswith(("http://", "https://")):
        return url
    base = public_site_url(service_request.jurisdiction)
    return urljoin(base, url) if base else ""


def build_fields(forwarded: ForwardedRequest) -> dict[str, str | list[str]]:
    """The form fields of the POST (without api_key and jurisdiction_id, which the client adds).

    No personal data: the requester's name, e-mail and phone stay here.
    """
    service_request = forwarded.service_request
    fields: dict[str, str | list[str]] = {
        "service_code": their_service_code(forwarded.system, service_request.service.code),
        "client_request_id": service_request.tracking_number,
        "description": service_request.description[: settings.CIVIC311_DESCRIPTION_MAX_CHARS],
    }
    if service_request.lat is not None and service_request.long is not None:
        fields["lat"] = f"{service_request.lat:.7f}"
        fields["long"] = f"{service_request.long:.7f}"
    if service_request.address:
        fields["address_string"] = ", ".join(
            part for part in (service_request.address, service_request.zipcode) if part
        )
    answers = service_request.attributes if isinstance(service_request.attributes, dict) else {}
    for code, value in answers.items():
        if isinstance(value, list):
            fields[f"attribute[{code}][]"] = [str(item) for item in value]
        elif value not in (None, ""):
            fields[f"attribute[{code}]"] = str(value)
    media_url = public_photo_url(service_request)
    if media_url:
        fields["media_url"] = media_url
    return fields


# --- sending and resolving tokens ----------------------------------------------------------------


def process(forwarded_id: int, *, now: dt.datetime | None = None) -> str:
    """The job queue's entry point: send a pending request, or resolve a token. Returns what happened."""
    state = ForwardedRequest.objects.filter(pk=forwarded_id).values_list("state", flat=True).first()
    if state == State.PENDING:
        return send(forwarded_id, now=now)
    if state == State.AWAITING_ID:
        return resolve_token(forwarded_id, now=now)
    return "nothing to do" if state else "gone"


def backoff_delay(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return backoff.backoff_delay(attempts, base=BACKOFF_BASE, cap=BACKOFF_CAP, rng=rng)


def _due(now: dt.datetime) -> Q:
    return leases.due("next_attempt_at", now)


def _reason(error: GeoReportError) -> str:
    """What a log line says about a failure: the HTTP status, never their text (it may echo what we sent)."""
    return f"HTTP {error.status}" if error.status and error.status >= 400 else str(error)[:100]


def _label(system: WorkOrderSystem) -> str:
    return system.name[:ACTOR_LABEL_MAX] or SYSTEM_LABEL


def send(forwarded_id: int, *, now: dt.datetime | None = None) -> str:
    """POST one pending request to its work-order system, if it is due and no one else is sending it."""
    now = now or timezone.now()
    system_active = ForwardedRequest.objects.filter(pk=forwarded_id).values_list("system__is_active", flat=True).first()
    if not system_active:
        return "forwarding off" if system_active is False else "gone"
    # The claim: only one worker wins, and the attempt counts even if the worker dies during the call.
    claimed = leases.claim(
        ForwardedRequest.objects.filter(_due(now), pk=forwarded_id, state=State.PENDING),
        lease_field="next_attempt_at",
        until=now + LEASE,
        first_sent_at=Coalesce(F("first_sent_at"), Value(now)),
    )
    if not claimed:
        return "not due"
    forwarded = ForwardedRequest.objects.select_related(
        "system", "service_request__service", "service_request__jurisdiction"
    ).get(pk=forwarded_id)
    service_request = forwarded.service_request
    if not service_request.is_open:
        with translation.override("en"):
            message = _("Not sent: the request was closed before it could be sent.")
        _give_up(forwarded, message, now)
        return "closed here"
    try:
        result = client_for(forwarded.system).post_request(build_fields(forwarded))
    except GeoReportError as error:
        return _failed_attempt(forwarded, error, now)
    return _record_sent(forwarded, result, now)


def _record_sent(forwarded: ForwardedRequest, result: PostResult, now: dt.datetime) -> str:
    system = forwarded.system
    changes: dict[str, object]
    with translation.override("en"):
        if result.service_request_id:
            changes = {
                "state": State.SENT,
                "external_id": result.service_request_id,
                "token": result.token,
                "next_attempt_at": None,
            }
            note = _("Sent to %(system)s as #%(id)s.") % {"system": system.name, "id": result.service_request_id}
        else:
            changes = {
                "state": State.AWAITING_ID,
                "token": result.token,
                "next_attempt_at": now + _token_check_interval(forwarded, now),
            }
            note = _("Sent to %(system)s; waiting for their id (token %(token)s).") % {
                "system": system.name,
                "token": result.token,
            }
    with transaction.atomic():
        # Conditional, so that a second sender that got the same answer records nothing twice.
        recorded = ForwardedRequest.objects.filter(pk=forwarded.pk, state=State.PENDING).update(
            last_error="", **changes
        )
        if recorded:
            requests_services.add_note(
                forwarded.service_request, note, actor=None, public=False, actor_label=_label(system), now=now
            )
    logger.info(
        "request %s sent to work-order system %s (%s)",
        forwarded.service_request.tracking_number,
        system.pk,
        "id" if result.service_request_id else "token",
    )
    return str(changes["state"]) if recorded else "already recorded"


def _failed_attempt(forwarded: ForwardedRequest, error: GeoReportError, now: dt.datetime) -> str:
    message = str(error)
    tracking_number = forwarded.service_request.tracking_number
    if error.retryable and forwarded.attempts < MAX_ATTEMPTS:
        next_attempt_at = now + backoff_delay(forwarded.attempts)
        ForwardedRequest.objects.filter(pk=forwarded.pk, state=State.PENDING).update(
            next_attempt_at=next_attempt_at, last_error=message
        )
        logger.warning(
            "request %s: attempt %d to reach work-order system %s failed (%s); next at %s",
            tracking_number,
            forwarded.attempts,
            forwarded.system_id,
            _reason(error),
            next_attempt_at.isoformat(timespec="seconds"),
        )
        _enqueue(forwarded.pk, run_after=next_attempt_at)
        return "retry"
    with translation.override("en"):
        if error.retryable:
            note = _("Could not send to %(system)s after %(attempts)d attempts: %(error)s") % {
                "system": forwarded.system.name,
                "attempts": forwarded.attempts,
                "error": message,
            }
        else:
            note = _("%(system)s refused the request: %(error)s") % {"system": forwarded.system.name, "error": message}
    _give_up(forwarded, note, now, last_error=message)
    return "failed"


def _give_up(forwarded: ForwardedRequest, note: str, now: dt.datetime, *, last_error: str = "") -> None:
    with transaction.atomic():
        changed = ForwardedRequest.objects.filter(pk=forwarded.pk, state=State.PENDING).update(
            state=State.FAILED, next_attempt_at=None, last_error=last_error or note
        )
        if changed:
            requests_services.add_note(
                forwarded.service_request,
                note[: settings.CIVIC311_DESCRIPTION_MAX_CHARS],
                actor=None,
                public=False,
                actor_label=SYSTEM_LABEL,
                now=now,
            )
    logger.warning(
        "request %s: gave up forwarding to work-order system %s",
        forwarded.service_request.tracking_number,
        forwarded.system_id,
    )


def _token_check_interval(forwarded: ForwardedRequest, now: dt.datetime) -> dt.timedelta:
    age = now - (forwarded.first_sent_at or forwarded.created_at or now)
    return min(max(age / 10, TOKEN_CHECK_MIN), TOKEN_CHECK_MAX)


def resolve_token(forwarded_id: int, *, now: dt.datetime | None = None) -> str:
    """Ask tokens/{token} for their id. Until it comes, ask again later; the alert covers a long wait."""
    now = now or timezone.now()
    forwarded = (
        ForwardedRequest.objects.select_related("system", "service_request")
        .filter(pk=forwarded_id, state=State.AWAITING_ID)
        .first()
    )
    if forwarded is None:
        return "not awaiting"
    if not forwarded.system.is_active:
        return "forwarding off"
    claimed = leases.claim(
        ForwardedRequest.objects.filter(_due(now), pk=forwarded_id, state=State.AWAITING_ID),
        lease_field="next_attempt_at",
        until=now + _token_check_interval(forwarded, now),
        attempts_field=None,
    )
    if not claimed:
        return "not due"
    try:
        external_id = client_for(forwarded.system).get_token(forwarded.token)
    except GeoReportError as error:
        ForwardedRequest.objects.filter(pk=forwarded_id).update(last_error=str(error))
        logger.warning(
            "request %s: token check at work-order system %s failed (%s)",
            forwarded.service_request.tracking_number,
            forwarded.system_id,
            _reason(error),
        )
        return "error"
    if not external_id:
        return "waiting"
    with translation.override("en"):
        note = _("%(system)s gave it the id #%(id)s.") % {"system": forwarded.system.name, "id": external_id}
    with transaction.atomic():
        resolved = ForwardedRequest.objects.filter(pk=forwarded_id, state=State.AWAITING_ID).update(
            state=State.SENT, external_id=external_id, next_attempt_at=None, last_error=""
        )
        if resolved:
            requests_services.add_note(
                forwarded.service_request, note, actor=None, public=False, actor_label=_label(forwarded.system), now=now
            )
    return "resolved" if resolved else "already resolved"


def retry_now(forwarded: ForwardedRequest, *, now: dt.datetime | None = None) -> bool:
    """Staff asked for another try now. A failed request starts the whole backoff schedule again."""
    now = now or timezone.now()
    rows = ForwardedRequest.objects.filter(pk=forwarded.pk)
    if forwarded.state == State.FAILED:
        changed = rows.filter(state=State.FAILED).update(state=State.PENDING, attempts=0, next_attempt_at=now)
    elif forwarded.state in (State.PENDING, State.AWAITING_ID):
        changed = rows.filter(state=forwarded.state).update(next_attempt_at=now)
    else:
        return False
    if changed:
        _enqueue(forwarded.pk)
    return bool(changed)


@task()
def forward_request(forwarded_id: int) -> str:
    """The job that sends one forwarded request, or checks its token; a no-op when not due or held by another
    worker. Defined here, beside what queues it, so that nothing here imports the periodic sweeps (`tasks`)."""
    return process(forwarded_id)


def _enqueue(forwarded_id: int, *, run_after: dt.datetime | None = None) -> None:
    job = forward_request.using(run_after=run_after) if run_after else forward_request
    job.enqueue(forwarded_id)


def sweep_due(*, now: dt.datetime | None = None) -> int:
    """Every minute: queue each send or token check whose time has come (this is what guarantees the retries,
    whatever happened to the job that should have done it). Returns how many were queued."""
    now = now or timezone.now()
    due = list(
        ForwardedRequest.objects.filter(_due(now), state__in=(State.PENDING, State.AWAITING_ID), system__is_active=True)
        .order_by(F("next_attempt_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    for forwarded_id in due:
        _enqueue(forwarded_id)
    return len(due)


# --- pulling their updates back -------------------------------------------------------------------


def _chunks(items: Sequence[tuple[int, str]], size: int) -> Iterator[Sequence[tuple[int, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def claim_poll(system: WorkOrderSystem, now: dt.datetime) -> bool:
    """Take this system's turn to be polled, unless it was polled a moment ago (or is being polled)."""
    recent = now - (POLL_EVERY - POLL_SLACK)
    return bool(
        WorkOrderSystem.objects.filter(
            Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=recent), pk=system.pk, is_active=True
        ).update(last_polled_at=now)
    )


def poll_updates(system: WorkOrderSystem, *, now: dt.datetime | None = None, force: bool = False) -> int:
    """GET requests.json for our open requests there, by their ids in batches; apply what changed.

    Returns how many remote updates were recorded.
    """
    now = now or timezone.now()
    if force:
        WorkOrderSystem.objects.filter(pk=system.pk).update(last_polled_at=now)
    elif not claim_poll(system, now):
        return 0
    watched = list(
        ForwardedRequest.objects.filter(system=system, state=State.SENT, service_request__status__in=OPEN_STATES)
        .exclude(external_id="")
        .order_by("pk")
        .values_list("pk", "external_id")
    )
    client = client_for(system)
    applied = 0
    for batch in _chunks(watched, POLL_BATCH):
        by_their_id = {external_id: pk for pk, external_id in batch}
        try:
            remote_requests = client.get_requests(list(by_their_id))
        except GeoReportError as error:
            logger.warning("polling work-order system %s failed (%s)", system.pk, _reason(error))
            break
        for remote in remote_requests:
            forwarded_id = by_their_id.get(remote.service_request_id)
            if forwarded_id is None:
                continue
            try:
                if apply_remote_update(forwarded_id, remote, now=now):
                    applied += 1
            except Exception:
                # One update we cannot record must not keep the others out; it is tried again next poll.
                logger.exception(
                    "could not record an update from work-order system %s (forwarded %s)", system.pk, forwarded_id
                )
    return applied


def poll_all(*, now: dt.datetime | None = None) -> int:
    """Every minute: poll each active system whose turn it is."""
    applied = 0
    for system in WorkOrderSystem.objects.filter(is_active=True).order_by("pk"):
        try:
            applied += poll_updates(system, now=now)
        except Exception:
            logger.exception("polling work-order system %s failed", system.pk)
    return applied


def apply_remote_update(forwarded_id: int, remote: RemoteRequest, *, now: dt.datetime | None = None) -> bool:
    """Record one remote request's state in our history, once. Returns whether anything was recorded.

    Their close closes ours (with their note as the public reason) when our lifecycle allows, and is an
    internal note otherwise; a new status note of theirs on an open request becomes a public note.
    """
    now = now or timezone.now()
    with transaction.atomic():
        forwarded = (
            ForwardedRequest.objects.select_for_update()
            .select_related("system", "service_request")
            .filter(pk=forwarded_id)
            .first()
        )
        if forwarded is None:
            return False
        updated = remote.updated_datetime
        if updated is not None and forwarded.remote_updated_at is not None and updated <= forwarded.remote_updated_at:
            return False
        if updated is None and remote.status == forwarded.remote_status:
            return False  # with no time to go by, only a change of status is news
        system = forwarded.system
        label = _label(system)
        service_request = forwarded.service_request
        notes = remote.status_notes[: settings.CIVIC311_DESCRIPTION_MAX_CHARS]
        recorded = False
        with translation.override("en"):
            if remote.status == "closed" and forwarded.remote_status != "closed":
                reason = notes or str(STANDARD_CLOSE_REASONS[0])
                if can_move(service_request.status, Status.CLOSED):
                    requests_services.change_status(
                        service_request, Status.CLOSED, actor=None, public_reason=reason, actor_label=label, now=now
                    )
                else:
                    requests_services.add_note(
                        service_request,
                        _("%(system)s closed their work order #%(id)s: %(reason)s")
                        % {"system": system.name, "id": forwarded.external_id, "reason": reason},
                        actor=None,
                        public=False,
                        actor_label=label,
                        now=now,
                    )
                recorded = True
            elif remote.status == "open":
                if forwarded.remote_status == "closed":
                    requests_services.add_note(
                        service_request,
                        _("%(system)s reopened their work order #%(id)s.")
                        % {"system": system.name, "id": forwarded.external_id},
                        actor=None,
                        public=False,
                        actor_label=label,
                        now=now,
                    )
                    recorded = True
                if (
                    notes
                    and service_request.is_open
                    and not service_request.history.filter(actor_label=label, is_public=True, text=notes).exists()
                ):
                    requests_services.add_note(
                        service_request, notes, actor=None, public=True, actor_label=label, now=now
                    )
                    recorded = True
        forwarded.remote_status = remote.status
        if updated is not None:
            forwarded.remote_updated_at = updated
        forwarded.save(update_fields=["remote_status", "remote_updated_at"])
    if recorded:
        logger.info(
            "request %s: recorded an update from work-order system %s", service_request.tracking_number, system.pk
        )
    return recorded


# --- the alert --------------------------------------------------------------------------------------


def raise_alerts(*, now: dt.datetime | None = None) -> int:
    """Every few minutes: alert the department once about each open request that has had no id of theirs
    for an hour since it was first sent (or since it was queued, if it never went out)."""
    now = now or timezone.now()
    cutoff = now - ALERT_AFTER
    overdue = list(
        ForwardedRequest.objects.filter(
            external_id="", alerted_at__isnull=True, system__is_active=True, service_request__status__in=OPEN_STATES
        )
        .filter(Q(first_sent_at__lte=cutoff) | Q(first_sent_at__isnull=True, created_at__lte=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    raised = 0
    for forwarded_id in overdue:
        try:
            raised += alert(forwarded_id, now=now)
        except Exception:
            # Rolled back (the database went away, say): the next sweep tries again.
            logger.exception("could not raise the alert for forwarded request %s", forwarded_id)
    return raised


def alert(forwarded_id: int, *, now: dt.datetime | None = None) -> bool:
    """E-mail the department and note it in the history, once: the claim, the note and the mail's outbox row
    share a transaction, so a concurrent sweep finds the alert taken and a crash loses none of the three."""
    now = now or timezone.now()
    with transaction.atomic():
        if not ForwardedRequest.objects.filter(pk=forwarded_id, alerted_at__isnull=True, external_id="").update(
            alerted_at=now
        ):
            return False
        forwarded = ForwardedRequest.objects.select_related(
            "system", "service_request__department", "service_request__service"
        ).get(pk=forwarded_id)
        service_request = forwarded.service_request
        department = service_request.department
        with translation.override("en"):
            subject = _("Not confirmed by %(system)s: %(service)s, request %(number)s") % {
                "system": forwarded.system.name,
                "service": service_request.service.name,
                "number": service_request.tracking_number,
            }
            note = _(
                "Alert: %(system)s has not confirmed this request an hour after it was sent; %(department)s was told."
            ) % {"system": forwarded.system.name, "department": department.name}
            lines = [
                _("Request %(number)s (%(service)s) has no id in %(system)s an hour after it was sent.")
                % {
                    "number": service_request.tracking_number,
                    "service": service_request.service.name,
                    "system": forwarded.system.name,
                },
                "",
                _("State: %(state)s") % {"state": forwarded.get_state_display()},
                _("Attempts: %(attempts)d") % {"attempts": forwarded.attempts},
            ]
            if forwarded.token:
                lines.append(_("Their token: %(token)s") % {"token": forwarded.token})
            if forwarded.last_error:
                lines.append(_("Last error: %(error)s") % {"error": forwarded.last_error})
            with contextlib.suppress(NoReverseMatch):
                lines += [
                    "",
                    _("Details: %(path)s")
                    % {"path": reverse("admin:open311_forwardedrequest_change", args=[forwarded.pk])},
                ]
        requests_services.add_note(service_request, note, actor=None, public=False, actor_label=SYSTEM_LABEL, now=now)
        # An outbox row in the claim's transaction: the mail is sent (and retried) by the worker, and exists
        # exactly when the claim and the note do.
        notifications.notify_staff(
            department.contact_email,
            subject,
            "\n".join(lines) + "\n",
            dedup_key=f"forwarding-alert:{forwarded.pk}",
            service_request=service_request,
        )
    logger.warning(
        "request %s: no id from work-order system %s after an hour; alert raised",
        service_request.tracking_number,
        forwarded.system_id,
    )
    return True
