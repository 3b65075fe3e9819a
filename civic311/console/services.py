"""Writes of the agent console: one contact (a call, a walk-in, an e-mail, a social post) from opening
to wrap-up.

A contact is opened with no outcome (`Contact.Outcome.PENDING`, `ended_at` None); exactly one outcome is then
recorded (a request filed, an answer given, the caller added to an existing request, or a safety rule's
canned answer); the wrap-up records survey consent and the callback number and closes it, which fixes
its handle time. A phone call that drops ends at once (`caller_hung_up`), with that as its outcome when
nothing was decided yet. Every function refuses (PermissionDenied) anyone but the agent who opened the contact,
and (ValidationError) a contact already finished; each writes in one transaction. The rules of what is
filed or logged are the requests' and people's own services, called here with `actor=agent`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue.models import Service
from civic311.inbox import services as inbox
from civic311.inbox.models import InboxAttachment, InboxChannel, InboxItem, InboxMessage
from civic311.inbox.services import social
from civic311.jurisdictions.models import Jurisdiction, ServiceDesk
from civic311.notifications import services as notifications
from civic311.people import services as people
from civic311.people.models import Customer, User
from civic311.people.selectors import may_see_contact_details, survivor_of
from civic311.service_requests import services as requests
from civic311.service_requests.models import Channel, Contact, ServiceRequest

from .selectors import CONSOLE_CHANNELS, desks_of, may_use_console, may_work_contact

logger = logging.getLogger(__name__)

WHERE = "console"
# Channels whose resident is not on the line at the wrap-up: the survey question may go unasked.
WRITTEN_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS, Channel.SOCIAL})


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _lock(contact: Contact, agent: User) -> Contact:
    """The contact's row, locked for this call; refused unless it is the agent's and still open."""
    _check_workable(contact, agent)
    current = (
        Contact.objects.select_for_update(of=("self",)).select_related("customer", "jurisdiction").get(pk=contact.pk)
    )
    _check_workable(current, agent)
    return current


def _check_workable(contact: Contact, agent: User) -> None:
    if not may_work_contact(agent, contact):
        raise PermissionDenied(_("Only the agent who took this contact can record it."))
    if contact.ended_at is not None:
        raise ValidationError({"contact": _("This contact is finished; start a new one.")})


def _check_no_outcome(contact: Contact) -> None:
    if contact.has_outcome:
        raise ValidationError(
            {
                "contact": _(
                    "This contact already has an outcome (%(outcome)s). Finish it and start a new contact for the "
                    "caller's next issue."
                )
                % {"outcome": contact.get_outcome_display()}
            }
        )


# --- opening and the caller --------------------------------------------------------------------------------


def start_contact(
    jurisdiction: Jurisdiction,
    agent: User,
    channel: str,
    *,
    desk: ServiceDesk | None = None,
    now: dt.datetime | None = None,
) -> Contact:
    """Open a contact on a channel; its handle time runs from now. A walk-in records the desk the resident
    came to: one of the city's open desks, required when the city has any."""
    if not may_use_console(agent):
        raise PermissionDenied(_("Only agents, supervisors and administrators take contacts."))
    if channel not in CONSOLE_CHANNELS:
        raise ValidationError({"channel": _("Choose phone, walk-in, e-mail or social media.")})
    if channel != Channel.WALK_IN:
        desk = None
    elif desk is not None and (desk.jurisdiction_id != jurisdiction.pk or not desk.is_active):
        raise ValidationError({"desk": _("Choose one of this city's open service desks.")})
    elif desk is None and desks_of(jurisdiction).exists():
        raise ValidationError({"desk": _("Choose the service desk the resident walked in to.")})
    contact = requests.open_contact(
        jurisdiction, channel=channel, agent=agent, started_at=_now(now), desk_id=desk.pk if desk else None
    )
    logger.info("contact %s started (%s)", contact.pk, channel)
    return contact


def attach_customer(contact: Contact, customer: Customer, *, agent: User) -> Contact:
    """Say who the caller is (a merged record is followed to its survivor)."""
    customer = survivor_of(customer)
    if not may_see_contact_details(agent):
        raise PermissionDenied(_("You may not see customers' records."))
    with transaction.atomic():
        current = _lock(contact, agent)
        if customer.jurisdiction_id != current.jurisdiction_id:
            raise ValidationError({"customer": _("That customer belongs to another jurisdiction.")})
        current.customer = customer
        current.save(update_fields=["customer"])
        # A request filed earlier in this contact belongs to the caller too.
        filed = current.service_request  # None without a query when no request was filed
        requester = filed.requester if filed is not None else None
        if requester is not None and requester.customer_id is None:
            people.link_requester(requester, customer, actor=agent, where=WHERE)
    return current


def create_customer_for_contact(
    contact: Contact,
    *,
    agent: User,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    zipcode: str = "",
    now: dt.datetime | None = None,
) -> Customer:
    """A new customer record for the caller, attached to the contact (both or neither)."""
    with transaction.atomic():
        current = _lock(contact, agent)
        customer = people.create_customer(
            current.jurisdiction,
            first_name=first_name,
            last_name=last_name,
            phones=[phone] if (phone or "").strip() else [],
            emails=[email] if (email or "").strip() else [],
            addresses=[people.AddressIn(address, zipcode)]
            if (address or "").strip() or (zipcode or "").strip()
            else [],
            actor=agent,
            where=WHERE,
            now=_now(now),
        )
        attach_customer(current, customer, agent=agent)
    return customer


# --- the outcome -----------------------------------------------------------------------------------------------


def file_request_for_contact(
    contact: Contact, report: requests.Report, *, agent: User, now: dt.datetime | None = None
) -> requests.Submission:
    """File a request for the caller through every intake rule (`requests.services.submit`).

    The contact becomes the request's contact (in the filing transaction; `submit` writes no contact row
    of its own), and the requester snapshot is linked to the caller's customer record. A safety rule's
    canned answer (CannedAnswer is re-raised) becomes this contact's outcome instead.
    """
    now = _now(now)
    # Checked before filing; checked again, under the row lock, inside the filing transaction.
    _check_workable(contact, agent)
    _check_no_outcome(contact)
    report = replace(report, channel=contact.channel, parent=None)

    def take_over(service_request: ServiceRequest) -> None:
        current = _lock(contact, agent)
        _check_no_outcome(current)
        current.outcome = Contact.Outcome.SERVICE_REQUEST
        current.service = service_request.service
        current.service_request = service_request
        current.requester = service_request.requester
        current.save(update_fields=["outcome", "service", "service_request", "requester"])
        if service_request.requester is not None and current.customer is not None:
            people.link_requester(service_request.requester, current.customer, actor=agent, where=WHERE, now=now)
        _link_items(current, service_request, agent, now)

    try:
        submission = requests.submit(
            contact.jurisdiction, report, actor=agent, also=take_over, record_contact=False, now=now
        )
    except requests.CannedAnswer as answer:
        _record_canned_answer(contact, agent, answer)
        contact.refresh_from_db()
        raise
    contact.refresh_from_db()
    # A retry of a form already filed (same idempotency key) is fine for this contact's own request only.
    if not submission.created and contact.service_request_id != submission.service_request.pk:
        raise ValidationError(
            {
                "contact": _("This form was already used to file request %(number)s.")
                % {"number": submission.service_request.tracking_number}
            }
        )
    return submission


def _record_canned_answer(contact: Contact, agent: User, answer: requests.CannedAnswer) -> None:
    """A safety rule answered the caller instead of a request: that is this contact's outcome."""
    with transaction.atomic():
        current = _lock(contact, agent)
        if not current.has_outcome:
            current.outcome = Contact.Outcome.CANNED_ANSWER
            current.service = answer.service
            current.summary = answer.summary
            current.save(update_fields=["outcome", "service", "summary"])


def answer_information(
    contact: Contact,
    *,
    summary: str,
    agent: User,
    service: Service | None = None,
    outcome: str = Contact.Outcome.INFORMATION,
) -> Contact:
    """The caller needed only an answer (information or directory assistance): record the answer given."""
    with transaction.atomic():
        current = _lock(contact, agent)
        _check_no_outcome(current)
        summary = requests.check_information_request(
            current.jurisdiction, summary=summary, outcome=outcome, service=service
        )
        current.outcome = outcome
        current.summary = summary
        current.service = service
        current.save(update_fields=["outcome", "summary", "service"])
    return current


def attach_to_existing(
    contact: Contact,
    service_request: ServiceRequest,
    *,
    agent: User,
    subscribe_email: str = "",
    now: dt.datetime | None = None,
) -> Contact:
    """The caller reports a problem someone already reported: add them to that request instead of filing.

    Leaves an internal note on the request and, when the caller gives an e-mail and agrees, asks them to
    follow it (double opt-in: they confirm from the e-mail).
    """
    now = _now(now)
    requests.check_may_view(agent, service_request)
    subscribe_email = (subscribe_email or "").strip()
    with transaction.atomic():
        current = _lock(contact, agent)
        _check_no_outcome(current)
        target = ServiceRequest.objects.select_related("service").get(pk=service_request.pk)
        if target.jurisdiction_id != current.jurisdiction_id:
            raise ValidationError({"service_request": _("That request belongs to another jurisdiction.")})
        if not target.is_open:
            raise ValidationError(
                {
                    "service_request": _("Request %(number)s is closed; file a new request instead.")
                    % {"number": target.tracking_number}
                }
            )
        if subscribe_email:
            try:
                notifications.subscribe(
                    target,
                    subscribe_email,
                    now=now,
                    language=current.customer.preferred_language if current.customer else "",
                )
            except notifications.SubscriptionError as error:
                raise ValidationError({"subscribe_email": str(error)}) from None
        current.outcome = Contact.Outcome.EXISTING_REQUEST
        current.service = target.service
        current.service_request = target
        current.save(update_fields=["outcome", "service", "service_request"])
        requests.record_another_report(target, actor=agent, channel=current.channel, now=now)
        _link_items(current, target, agent, now)
    return current


# --- inbox items ---------------------------------------------------------------------------------------------------


def _link_items(contact: Contact, service_request: ServiceRequest, agent: User, now: dt.datetime) -> None:
    """An inbox item worked through this contact is about the request too (linked both ways)."""
    for item in InboxItem.objects.filter(contact=contact):
        inbox.link_request(item, service_request, agent=agent, now=now)


def report_for_item(item: InboxItem, report: requests.Report) -> requests.Report:
    """The report filed from an inbox item: with the photos the resident sent (the item's latest ones, as many
    as a request takes) and a post's first media link. A post's request names its author's handle
    (`social.requester_handle`) and nothing else about them, whatever the form said."""
    photos: list[UploadedFile[bytes]] = []
    attachments = InboxAttachment.objects.filter(
        message__item=item, message__direction=InboxMessage.Direction.IN
    ).order_by("-message__sent_at", "-pk")[: settings.CIVIC311_PHOTOS_PER_REQUEST]
    for attachment in reversed(list(attachments)):
        with attachment.image.open("rb") as stored:
            photos.append(SimpleUploadedFile(f"photo-{attachment.pk}.jpg", stored.read(), "image/jpeg"))
    report = replace(report, photos=[*report.photos, *photos][: settings.CIVIC311_PHOTOS_PER_REQUEST])
    if item.channel == InboxChannel.SOCIAL:
        media = next(
            (
                url
                for message in item.messages.filter(direction="in").order_by("-sent_at")
                for url in message.media_urls
            ),
            "",
        )
        report = replace(
            report,
            first_name="",
            last_name="",
            email="",
            phone="",
            handle=social.requester_handle(item),
            media_url=report.media_url or ("" if photos else media),
        )
    return report


# --- the wrap-up -------------------------------------------------------------------------------------------------


def finish_contact(
    contact: Contact,
    *,
    agent: User,
    survey_consent: bool | None,
    callback_phone: str = "",
    now: dt.datetime | None = None,
) -> Contact:
    """End the contact: whether the caller agreed to a survey call, the number to call back, and the
    handle time (from opening to now). The consent is recorded on the caller's customer record too.

    A written contact (an e-mail, a text, a post) cannot be asked on the spot: its consent may stay None
    ("not asked"), which leaves the customer's earlier decision as it was (never a "no" they did not say)."""
    now = _now(now)
    errors: dict[str, list[str]] = {}
    if survey_consent is None and contact.channel not in WRITTEN_CHANNELS:
        errors["survey_consent"] = [_("Ask the caller whether they agree to a short survey call, and record it.")]
    number = " ".join((callback_phone or "").split())
    if number:
        number, _key = people.check_phone(number, errors, "callback_phone")  # stored as E.164
    elif survey_consent:
        errors["callback_phone"] = [_("Give the number the survey team may call.")]
    with transaction.atomic():
        current = _lock(contact, agent)
        if not current.has_outcome:
            errors["contact"] = [
                _(
                    "Record what came of the contact first: file a request, log the answer given, "
                    "or add the caller to an existing request."
                )
            ]
        if errors:
            raise ValidationError(errors)
        current.survey_consent = survey_consent
        current.callback_phone = number
        current.ended_at = max(now, current.started_at)
        current.save(update_fields=["survey_consent", "callback_phone", "ended_at"])
        if survey_consent is not None and current.customer is not None and current.customer.merged_into_id is None:
            people.record_consent(current.customer, survey=survey_consent, actor=agent, where=WHERE, now=now)
        for item in InboxItem.objects.filter(contact=current).exclude(status=InboxItem.Status.DONE):
            inbox.finish(item, agent=agent, now=now)  # the wrap-up of an inbox item's contact finishes the item
    logger.info("contact %s finished in %ss", current.pk, current.handle_seconds)
    return current


def caller_hung_up(contact: Contact, *, agent: User, now: dt.datetime | None = None) -> Contact:
    """The call dropped: end the contact now, without the wrap-up that can no longer be asked.

    With nothing decided yet its outcome is "caller hung up" (not an answer that was never given); when
    something was (a request filed before the line went dead), that outcome stays. Survey consent was not
    asked, so none is recorded (the contact never reaches the survey list) and the customer's consent is
    left as it was. Phone calls only: other channels do not hang up.
    """
    now = _now(now)
    with transaction.atomic():
        current = _lock(contact, agent)
        if current.channel != Channel.PHONE:
            raise ValidationError(
                {"contact": _("Only a phone call can be hung up. Finish this contact with the wrap-up.")}
            )
        if not current.has_outcome:
            current.outcome = Contact.Outcome.HUNG_UP
        current.survey_consent = None
        current.callback_phone = ""
        current.ended_at = max(now, current.started_at)
        current.save(update_fields=["outcome", "survey_consent", "callback_phone", "ended_at"])
    logger.info("contact %s ended: caller hung up after %ss", current.pk, current.handle_seconds)
    return current
