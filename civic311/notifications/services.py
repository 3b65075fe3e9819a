"""Notifications: who is told what, the outbox that sends it, and resident subscriptions.

The outbox: every message is one `OutboundMessage` row, made with a unique dedup key (history entry,
channel, recipient), so an event processed twice makes one message. A send job is queued when the row's
transaction commits; a sweep every minute queues every row that is due again (a retry whose time has come,
or a claim whose worker died), so a message is never lost with a worker.

Exactly once, as far as it can be: a worker claims a row with a conditional UPDATE (`civic311.leases`: pending,
or sending with an expired claim → sending until now + LEASE) before it sends, and marks it sent right after. Only
one worker can hold a claim. If a worker dies after the send and before the mark, the row is sent again
once the claim expires; that resend carries the same Message-ID (e-mail), Idempotency-Key (webhook) and
client reference (SMS), all derived from the row, so the receiving side can drop the duplicate. SMTP
itself has no such guarantee: a mail server may deliver both copies (most mail clients then show one
thread entry, some show two). That window is the few milliseconds between the server's 250 and our UPDATE.

Claim, send, retry and sweep are the shared civic311.outbox; this module configures it for messages.

No personal data in logs: log lines carry the row's reference, channel and tracking number only.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import CharField, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import task

from civic311 import backoff, leases, outbox
from civic311.catalogue.models import EscalationStep
from civic311.jurisdictions.selectors import public_site_url
from civic311.people.contact_details import phone_for_sms
from civic311.people.models import User
from civic311.people.selectors import language_for
from civic311.service_requests.announcements import ANNOUNCED_WITH
from civic311.service_requests.lifecycle import OPEN_STATES, Status
from civic311.service_requests.models import Escalation, HistoryEntry, ServiceRequest
from civic311.service_requests.selectors import final_original
from civic311.service_requests.services import resident_link_token

from . import channels, selectors
from .models import OutboundMessage, SmsOptOut, Subscription, Webhook

logger = logging.getLogger(__name__)

State = OutboundMessage.State
Channel = OutboundMessage.Channel
Kind = HistoryEntry.Kind

# Non-public kinds a webhook hears about as well ("escalated" is recorded by the SLA escalation).
INTERNAL_WEBHOOK_KINDS = frozenset({"assigned", "transferred", "escalated"})
LEASE = leases.LEASE  # how long a claimed row is held (civic311.leases)
SWEEP_LIMIT = 500
TOKEN_SALT = "civic311.notifications.subscription"  # noqa: S105 (a signing salt, not a secret)
CONFIRM_MAX_AGE = dt.timedelta(days=7)


# --- the outbox --------------------------------------------------------------------------------


def reference_for(dedup_key: str) -> str:
    """The row's stable reference: Message-ID local part, webhook Idempotency-Key, SMS client reference."""
    return outbox.reference_for(dedup_key)


def queue(
    *,
    channel: str,
    recipient: str,
    dedup_key: str,
    subject: str = "",
    body: str = "",
    payload: Any = None,
    headers: dict[str, str] | None = None,
    webhook: Webhook | None = None,
    service_request: ServiceRequest | None = None,
) -> OutboundMessage | None:
    """Put one message in the outbox and queue its send once this transaction commits.

    Returns None when a message with this dedup key exists already (the event was processed before)."""
    dedup_key = dedup_key[:255]
    return OUTBOX.add(
        OutboundMessage(
            channel=channel,
            recipient=recipient,
            dedup_key=dedup_key,
            reference=reference_for(dedup_key),
            subject=subject[:300],
            body=body,
            payload=payload,
            headers=headers or {},
            webhook=webhook,
            service_request=service_request,
            next_attempt_at=timezone.now(),
        )
    )


@task()
def send_message(message_id: int) -> str:
    """The job that sends one outbox message; a no-op if it is not due or another worker holds it. Defined
    here, beside the outbox that queues it, so that nothing here imports the periodic sweeps (`tasks`)."""
    return deliver(message_id)


def _enqueue(message_id: int, *, run_after: dt.datetime | None = None) -> None:
    outbox.enqueue_task(send_message, message_id, run_after)


def backoff_delay(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return backoff.backoff_delay(
        attempts,
        base=dt.timedelta(seconds=settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS),
        cap=dt.timedelta(seconds=settings.NOTIFICATIONS_BACKOFF_CAP_SECONDS),
        rng=rng,
    )


def _send(message: OutboundMessage) -> str:
    return channels.SENDERS[Channel(message.channel)](message)


def _describe(message: OutboundMessage) -> str:
    about = f" for request {message.service_request.tracking_number}" if message.service_request else ""
    return f"message {message.reference} ({message.channel}){about}"


OUTBOX = outbox.Outbox(
    model=OutboundMessage,
    waiting=State.PENDING,
    sending=State.SENDING,
    enqueue=_enqueue,
    send=_send,
    max_attempts=lambda: settings.NOTIFICATIONS_MAX_ATTEMPTS,
    backoff=backoff_delay,
    describe=_describe,
    logger=logger,
    select_related=("webhook__api_key", "service_request"),
    lease=LEASE,
    sent=State.SENT,
    failed=State.FAILED,
)


def deliver(message_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one message if it is due and nobody else holds it. Returns what happened."""
    return OUTBOX.deliver(message_id, now=now)


def sweep_due(*, now: dt.datetime | None = None) -> int:
    """Every minute: queue every message whose retry is due or whose worker's claim expired."""
    return OUTBOX.sweep_due(now=now, limit=SWEEP_LIMIT)


def retry_now(message: OutboundMessage) -> bool:
    """Staff asked for another try of a failed message: it starts the backoff schedule again."""
    return OUTBOX.retry_now(message)


# --- links and rendering -----------------------------------------------------------------------


def site_url(service_request: ServiceRequest | None = None) -> str:
    """Where links in messages point: the public address (`public_site_url`), else the fallback setting."""
    jurisdiction = service_request.jurisdiction if service_request is not None else None
    return public_site_url(jurisdiction) or settings.NOTIFICATIONS_FALLBACK_URL.rstrip("/")


def absolute(path: str, service_request: ServiceRequest | None = None) -> str:
    return site_url(service_request) + path


def track_url(service_request: ServiceRequest) -> str:
    return absolute(reverse("public:track_request", args=[service_request.tracking_number]), service_request)


def followup_url(service_request: ServiceRequest) -> str:
    """The requester's signed link to comment on, or reopen, their request (civic311.service_requests.services)."""

    path = reverse("public:resident_followup", args=[service_request.tracking_number])
    return absolute(f"{path}?{urlencode({'t': resident_link_token(service_request)})}", service_request)


def make_token(action: str, **values: int) -> str:
    return signing.dumps({"a": action, **values}, salt=TOKEN_SALT, compress=True)


def read_token(token: str, action: str, *, max_age: dt.timedelta | None = None) -> dict[str, Any] | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return data if isinstance(data, dict) and data.get("a") == action else None


def unsubscribe_url(service_request: ServiceRequest, subscription: Subscription | None) -> str:
    """A one-click link: a subscriber's names the subscription; the requester's names the request."""
    token = make_token("unsub", s=subscription.pk) if subscription else make_token("unsub", r=service_request.pk)
    return absolute(reverse("notifications:unsubscribe", args=[token]), service_request)


def render(template: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """(subject, body) of templates/notifications/<template>_subject.txt and _body.txt in a language."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"notifications/{template}_subject.txt", context).split())
        body = render_to_string(f"notifications/{template}_body.txt", context).strip() + "\n"
    return subject, body


def _language(value: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return value if value in codes else settings.LANGUAGE_CODE


# --- who gets what -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resident:
    email: str
    language: str
    subscription: Subscription | None


def history_recorded(history_entry: HistoryEntry) -> list[OutboundMessage]:
    """Make every message a history entry calls for (a no-op the second time for the same entry).

    The announcer passes the entry with its request, requester, assignee, city, service and department
    already read; an entry without them (a caller of its own) is read again with them."""
    entry: HistoryEntry | None = history_entry
    if not HistoryEntry.service_request.is_cached(history_entry):
        entry = HistoryEntry.objects.select_related(*ANNOUNCED_WITH).filter(pk=history_entry.pk).first()
    if entry is None:
        return []
    made: list[OutboundMessage | None] = []
    if entry.is_public:  # every public change, whatever its kind (a transfer, a missed-date redress too)
        made += _tell_residents(entry)
    if entry.kind == Kind.ASSIGNED:
        made.append(_tell_assignee(entry))
    if entry.is_public or entry.kind in INTERNAL_WEBHOOK_KINDS:
        made += _tell_webhooks(entry)
    if entry.kind == Kind.HAZARD:
        made.append(_alert_department_of_hazard(entry))
    if entry.kind == Kind.ESCALATED:
        made += tell_escalation(entry)
    if entry.kind == Kind.STATUS and entry.to_status == Status.DUPLICATE:  # after its followers were told
        follow_the_original(entry)
    return [message for message in made if message is not None]


def _alert_department_of_hazard(entry: HistoryEntry) -> OutboundMessage | None:
    """Tell the responsible department at once about a request an answer marked hazardous: one e-mail for
    the hazard entries recorded together (a report can trip several rules), through the outbox like any
    message, so it is retried until the mail server takes it."""
    service_request = entry.service_request
    department = service_request.department
    if not department.contact_email:
        return None
    alerts = list(
        service_request.history.filter(kind=Kind.HAZARD, created_at=entry.created_at)
        .order_by("pk")
        .values_list("text", flat=True)
    )
    with translation.override("en"):  # the department's working language, as the staff pages
        subject = _("Hazard: %(service)s, request %(number)s") % {
            "service": service_request.service.name,
            "number": service_request.tracking_number,
        }
    where = f"{service_request.lat}, {service_request.long}" if service_request.lat is not None else ""
    body = "\n".join([*alerts, "", service_request.address or "", where]).strip() + "\n"
    return notify_staff(
        department.contact_email,
        subject,
        body,
        service_request=service_request,
        dedup_key=f"hazard:{service_request.pk}:{entry.created_at.isoformat()}",
    )


def _unsubscribed(service_request: ServiceRequest) -> set[str]:
    return {
        email.lower()
        for email in Subscription.objects.filter(
            service_request=service_request, state=Subscription.State.UNSUBSCRIBED
        ).values_list("email", flat=True)
    }


def _tell_residents(entry: HistoryEntry) -> list[OutboundMessage | None]:
    service_request = entry.service_request
    made: list[OutboundMessage | None] = []
    residents: list[_Resident] = []
    opted_out = _unsubscribed(service_request)
    requester = service_request.requester
    requester_email = (requester.email or "").strip().lower() if requester else ""
    if requester is not None and requester_email:
        if requester_email not in opted_out:
            residents.append(_Resident(requester.email, language_for(requester), None))
    elif requester is not None and requester.phone.strip():
        # E.164 ("+12156868686"), as SMS gateways take it; an old row that does not parse, as written.
        made.append(_sms_requester(entry, phone_for_sms(requester.phone), language_for(requester)))
    if not service_request.is_private:
        for subscription in Subscription.objects.filter(
            service_request=service_request, state=Subscription.State.ACTIVE
        ).order_by("pk"):
            if subscription.email.lower() != requester_email:
                residents.append(_Resident(subscription.email, _language(subscription.language), subscription))
    for resident in residents:
        link = unsubscribe_url(service_request, resident.subscription)
        is_requester = resident.subscription is None
        context = {
            "entry": entry,
            "service_request": service_request,
            "track_url": track_url(service_request),
            "unsubscribe_url": link,
            "is_requester": is_requester,
            # Only the requester's own e-mail carries the signed link to comment on or reopen it.
            "followup_url": followup_url(service_request) if is_requester else "",
        }
        subject, body = render("update", context, resident.language)
        made.append(
            queue(
                channel=Channel.EMAIL,
                recipient=resident.email,
                subject=subject,
                body=body,
                dedup_key=f"h{entry.pk}:email:{resident.email.lower()}",
                service_request=service_request,
                headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            )
        )
    return made


def _sms_requester(entry: HistoryEntry, phone: str, language: str) -> OutboundMessage | None:
    if SmsOptOut.objects.filter(number=phone).exists():  # they texted STOP: not a word until START
        return None
    service_request = entry.service_request
    with translation.override(language):
        text = " ".join(
            render_to_string(
                "notifications/update_sms.txt",
                {
                    "entry": entry,
                    "service_request": service_request,
                    "track_url": track_url(service_request),
                },
            ).split()
        )
    return queue(
        channel=Channel.SMS,
        recipient=phone,
        body=text,
        dedup_key=f"h{entry.pk}:sms:{phone}",
        service_request=service_request,
    )


def _tell_assignee(entry: HistoryEntry) -> OutboundMessage | None:
    service_request = entry.service_request
    assignee = service_request.assignee
    if assignee is None or not assignee.email:
        return None
    context = {
        "entry": entry,
        "service_request": service_request,
        "assignee": assignee,
        "admin_url": absolute(
            reverse("admin:requests_servicerequest_change", args=[service_request.pk]), service_request
        ),
    }
    subject, body = render("assigned", context, settings.LANGUAGE_CODE)
    return queue(
        channel=Channel.EMAIL,
        recipient=assignee.email,
        subject=subject,
        body=body,
        dedup_key=f"h{entry.pk}:email:{assignee.email.lower()}",
        service_request=service_request,
    )


class RequestEvent(TypedDict):
    """A request webhook's body (docs/notifications.md): what changed, never who the resident is."""

    event: str
    id: str
    tracking_number: str
    service_code: str
    status: str
    open311_status: str
    from_status: str
    to_status: str
    public: bool
    text: str
    at: str


def webhook_payload(entry: HistoryEntry) -> RequestEvent:
    """What a webhook is told: no personal data, and the text only when the resident may see it."""
    service_request = entry.service_request
    return {
        "event": f"request.{entry.kind}",
        "id": reference_for(f"h{entry.pk}:event"),
        "tracking_number": service_request.tracking_number,
        "service_code": service_request.service.code,
        "status": service_request.status,
        "open311_status": service_request.open311_status,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "public": entry.is_public,
        "text": entry.text if entry.is_public else "",
        "at": entry.created_at.isoformat(),
    }


def _tell_webhooks(entry: HistoryEntry) -> list[OutboundMessage | None]:
    service_request = entry.service_request
    event = f"request.{entry.kind}"
    made: list[OutboundMessage | None] = []
    for webhook in selectors.webhooks_for(service_request, public=entry.is_public):
        if webhook.wants(event):
            made.append(
                queue(
                    channel=Channel.WEBHOOK,
                    recipient=webhook.url[:500],
                    payload=webhook_payload(entry),
                    webhook=webhook,
                    dedup_key=f"h{entry.pk}:webhook:{webhook.pk}",
                    service_request=service_request,
                )
            )
    return made


def notify_staff(
    user_or_email: User | str | None,
    subject: str,
    body: str,
    *,
    dedup_key: str,
    service_request: ServiceRequest | None = None,
) -> OutboundMessage | None:
    """E-mail a member of staff through the outbox (for escalations and the like).

    `user_or_email` is a User (its e-mail is used) or an address. `dedup_key` names the event, e.g.
    f"escalation:{request.pk}:{level}": calling again with the same key and recipient sends nothing more.
    Returns the queued message, or None if there is no address or it was queued before."""
    email = user_or_email.email if isinstance(user_or_email, User) else user_or_email
    if not email or not email.strip():
        return None
    email = email.strip()
    return queue(
        channel=Channel.EMAIL,
        recipient=email,
        subject=subject,
        body=body,
        dedup_key=f"staff:{dedup_key}:{email.lower()}",
        service_request=service_request,
    )


# --- escalations: the people of a ladder's step ------------------------------------------------------------


def _escalation_recipients(step: EscalationStep) -> list[User | str]:
    found: list[User | str] = []
    if step.notify_user is not None and step.notify_user.is_active:
        found.append(step.notify_user)
    if step.notify_email and not any(getattr(r, "email", "") == step.notify_email for r in found):
        found.append(step.notify_email)
    return found


def _escalation_message(service_request: ServiceRequest, step: EscalationStep, due_at: dt.datetime) -> tuple[str, str]:
    with translation.override("en"):
        local_due = timezone.localtime(due_at, service_request.jurisdiction.zone)
        subject = _("Escalation (%(label)s): request %(number)s, %(service)s") % {
            "label": step.label,
            "number": service_request.tracking_number,
            "service": service_request.service.name,
        }
        body = _(
            "Request %(number)s (%(service)s, %(department)s) is due %(due)s and is still open "
            "(status: %(status)s). You are told as %(label)s."
        ) % {
            "number": service_request.tracking_number,
            "service": service_request.service.name,
            "department": service_request.department.name,
            "due": date_format(local_due, "DATETIME_FORMAT"),
            "status": service_request.get_status_display(),
            "label": step.label,
        }
        if service_request.address:
            body += "\n" + service_request.address
    return subject, body


def tell_escalation(entry: HistoryEntry) -> list[OutboundMessage]:
    """E-mail the people of the ladder's step that an ESCALATED entry announces (once: the dedup key names
    the escalation and the person). The entry and its escalation were written in one transaction."""
    escalation = (
        Escalation.objects.select_related("step", "step__notify_user").filter(history_entry_id=entry.pk).first()
    )
    if escalation is None:  # an entry written before escalations named theirs: it was told then
        return []
    service_request, step = entry.service_request, escalation.step
    if service_request.status not in OPEN_STATES:  # closed since (the worker was late): nothing to chase
        logger.info("request %s closed before its escalation was announced", service_request.tracking_number)
        return []
    subject, body = _escalation_message(service_request, step, escalation.due_at)
    made = [
        notify_staff(
            recipient,
            subject,
            body,
            service_request=service_request,
            dedup_key=f"escalation:{escalation.pk}:{getattr(recipient, 'pk', recipient)}",
        )
        for recipient in _escalation_recipients(step)
    ]
    return [message for message in made if message is not None]


# --- subscriptions -----------------------------------------------------------------------------


class SubscriptionError(Exception):
    pass


def follow_the_original(entry: HistoryEntry) -> int:
    """A request marked a duplicate gives its followers to the original (its status entry announces it).

    Its confirmed followers move to the original (kept confirmed: they asked to follow this problem),
    unless that address has a subscription there already (whatever its state: someone who unsubscribed
    from the original stays unsubscribed). Its requester, when they gave an e-mail, is asked to follow the
    original (double opt-in). A private original takes no followers. Returns how many moved; announced
    twice, it moves nothing more: the followers have gone and the requester's invitation is there."""
    duplicate = entry.service_request
    marked = ServiceRequest.objects.filter(pk=duplicate.duplicate_of_id).first() if duplicate.duplicate_of_id else None
    if marked is None:
        return 0
    # The original may have been marked a duplicate since (its entry announced first): its original, then.
    target = final_original(marked, of=duplicate)
    if target.is_private:
        return 0
    taken = {
        email.lower() for email in Subscription.objects.filter(service_request=target).values_list("email", flat=True)
    }
    if target.requester and target.requester.email:
        taken.add(target.requester.email.strip().lower())
    moved = 0
    for subscription in Subscription.objects.filter(
        service_request=duplicate, state=Subscription.State.ACTIVE
    ).order_by("pk"):
        if subscription.email.lower() in taken:
            continue
        Subscription.objects.filter(pk=subscription.pk).update(service_request=target)
        taken.add(subscription.email.lower())
        moved += 1
    email = (duplicate.requester.email or "").strip() if duplicate.requester else ""
    if email and email.lower() not in taken:
        try:
            subscribe(target, email, now=entry.created_at)
        except SubscriptionError:  # an address the intake would refuse today: no invitation, the rest stands
            logger.warning("request %s: its requester's address cannot be invited to follow", duplicate.tracking_number)
    logger.info("%d followers of request %s moved to %s", moved, duplicate.tracking_number, target.tracking_number)
    return moved


def subscribe(
    service_request: ServiceRequest, email: str, *, language: str = "", now: dt.datetime | None = None
) -> Subscription:
    """Ask to follow a request: a confirmation link goes to the address (double opt-in).

    Asking again re-sends the link at most once an hour; an active subscription stays as it is (and the
    answer on screen is the same either way, so nobody learns who follows what)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    now = now or timezone.now()
    if service_request.is_private:
        raise SubscriptionError(_("This request cannot be followed."))
    email = (email or "").strip()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise SubscriptionError(_("Enter a valid e-mail address.")) from None
    language = _language(language)
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .filter(service_request=service_request, email__iexact=email)
            .first()
        )
        if subscription is None:
            try:
                with transaction.atomic():
                    subscription = Subscription.objects.create(
                        service_request=service_request, email=email, language=language, created_at=now
                    )
            except IntegrityError:
                subscription = Subscription.objects.get(service_request=service_request, email=email)
        if subscription.state == Subscription.State.ACTIVE:
            return subscription
        if subscription.state == Subscription.State.UNSUBSCRIBED:
            subscription.state = Subscription.State.PENDING
        subscription.language = language
        subscription.save(update_fields=["state", "language"])
        link = absolute(
            reverse("notifications:confirm", args=[make_token("confirm", s=subscription.pk)]), service_request
        )
        context = {"service_request": service_request, "confirm_url": link, "track_url": track_url(service_request)}
        subject, body = render("confirm", context, subscription.language)
        queue(
            channel=Channel.EMAIL,
            recipient=subscription.email,
            subject=subject,
            body=body,
            dedup_key=f"sub{subscription.pk}:confirm:{now:%Y%m%d%H}",
            service_request=service_request,
        )
    return subscription


def confirm(token: str, *, now: dt.datetime | None = None) -> Subscription | None:
    data = read_token(token, "confirm", max_age=CONFIRM_MAX_AGE)
    pk = data.get("s") if data else None
    if not isinstance(pk, int):
        return None
    subscription = Subscription.objects.select_related("service_request").filter(pk=pk).first()
    if subscription is None or subscription.service_request.is_private:
        return None
    Subscription.objects.filter(pk=subscription.pk, state=Subscription.State.PENDING).update(
        state=Subscription.State.ACTIVE, confirmed_at=now or timezone.now()
    )
    subscription.refresh_from_db()
    return subscription if subscription.state == Subscription.State.ACTIVE else None


def unsubscribe(token: str, *, now: dt.datetime | None = None) -> ServiceRequest | None:
    """One click: stop the e-mails a link names. Returns the request, or None for a bad link."""
    now = now or timezone.now()
    data = read_token(token, "unsub")
    if data is None:
        return None
    if "s" in data:
        subscription = Subscription.objects.select_related("service_request").filter(pk=data["s"]).first()
        if subscription is None:
            return None
        Subscription.objects.filter(pk=subscription.pk).exclude(state=Subscription.State.UNSUBSCRIBED).update(
            state=Subscription.State.UNSUBSCRIBED, unsubscribed_at=now
        )
        return subscription.service_request
    pk = data.get("r")
    if not isinstance(pk, int):
        return None
    service_request = ServiceRequest.objects.select_related("requester").filter(pk=pk).first()
    if service_request is None:
        return None
    email = (service_request.requester.email or "").strip() if service_request.requester else ""
    if email:
        _opt_out(service_request, email, now)
    return service_request


def _opt_out(service_request: ServiceRequest, email: str, now: dt.datetime) -> None:
    updated = Subscription.objects.filter(service_request=service_request, email__iexact=email).update(
        state=Subscription.State.UNSUBSCRIBED, unsubscribed_at=now
    )
    if not updated:
        try:
            with transaction.atomic():
                Subscription.objects.create(
                    service_request=service_request,
                    email=email,
                    created_at=now,
                    state=Subscription.State.UNSUBSCRIBED,
                    unsubscribed_at=now,
                )
        except IntegrityError:
            pass


# --- personal data over time (civic311.privacy decides what and when; the rows are this app's) -----------

# Replaces a subscription's e-mail (the field may not be empty and is unique per request): `.invalid` is a
# top-level domain reserved never to resolve (RFC 2606), so nothing can ever be sent to it.
ANONYMISED_EMAIL_DOMAIN = "anonymised.invalid"
ANONYMISED_DEDUP_PREFIX = "anonymised:"


def anonymise_subscriptions(subscriptions: QuerySet[Subscription], now: dt.datetime) -> int:
    """Make these subscriptions name nobody (retention and erasure, civic311.privacy): unsubscribed, their
    address replaced. Returns how many changed."""
    ids = list(subscriptions.values_list("pk", flat=True))
    # `subscriber-<id>@anonymised.invalid`: unique per row, so the one-e-mail-per-request constraint holds.
    return (
        Subscription.objects.filter(pk__in=ids)
        .exclude(email__endswith=f"@{ANONYMISED_EMAIL_DOMAIN}")
        .update(
            email=Concat(Value("subscriber-"), Cast(F("pk"), CharField()), Value(f"@{ANONYMISED_EMAIL_DOMAIN}")),
            state=Subscription.State.UNSUBSCRIBED,
            unsubscribed_at=Coalesce("unsubscribed_at", Value(now, output_field=DateTimeField())),
        )
    )


def anonymise_messages(messages: QuerySet[OutboundMessage]) -> int:
    """Make these messages name nobody (retention and erasure, civic311.privacy): blank recipient, body and
    headers. The dedup key names the recipient too: it becomes a keyed hash of itself, so the same event
    still cannot be queued twice and the address cannot be read back."""
    # Locked, and read again after any lock is released: of two runs at once only one gets (and counts) a row.
    rows = list(
        OutboundMessage.objects.select_for_update()
        .filter(pk__in=messages.values("pk"))
        .exclude(recipient="")
        .only("pk", "dedup_key")
    )
    for row in rows:
        if not row.dedup_key.startswith(ANONYMISED_DEDUP_PREFIX):
            # The salt keeps the module's old path: the same key must keep hashing to the same value.
            digest = salted_hmac("civic311.people.retention.dedup", row.dedup_key, algorithm="sha256").hexdigest()
            row.dedup_key = f"{ANONYMISED_DEDUP_PREFIX}{digest}"
        row.recipient, row.body, row.headers = "", "", {}
    OutboundMessage.objects.bulk_update(rows, ["dedup_key", "recipient", "body", "headers"])
    return len(rows)


def withhold_messages(messages: QuerySet[OutboundMessage], *, reason: str) -> int:
    """Never send those of these messages still waiting (an address the resident asked us to forget)."""
    return messages.filter(state=OutboundMessage.State.PENDING).update(
        state=OutboundMessage.State.FAILED, last_error=reason, next_attempt_at=None
    )
