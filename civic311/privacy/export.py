"""Everything civic311 holds about one customer, as one JSON file staff can hand to the resident.

"Everything held" is taken literally, because that is what a resident asking for their data is owed: the
customer record (and the records merged into it), the contact details they gave with each request, every
request filed under those details with its answers, photos and its whole history — public *and* internal
notes, marked as such (staff review internal notes before handing the file over: they may name others) —
their contacts with the contact centre, survey answers and follow-ups, subscriptions to requests under
their e-mail addresses, the messages sent to their addresses, their conversations in the inbox (e-mails,
texts and posts, matched by the customer link and by their addresses, numbers and handles), their records in
the Neighborhood Liaison Program (applications under their addresses; the liaison record, its trainings,
meetings, the requests they filed for neighbours by tracking number, the programme's messages to them), and
when staff looked at their record and why (not who). Times are in the city's zone, with their offset. Each
export writes an EXPORT row in the personal-data audit; nothing is logged but ids.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications.models import OutboundMessage, Subscription
from civic311.people import roles
from civic311.people.contact_details import phone_for_sms
from civic311.people.models import Customer, PersonalDataAccess, Requester, User
from civic311.people.selectors import survivor_of
from civic311.service_requests.models import Contact, ServiceRequest
from civic311.surveys.models import FollowUpTask, Response

from . import inbox_data, liaison_data

logger = logging.getLogger(__name__)

FORMAT = "civic311-personal-data/1"


def export_filename(customer: Customer, now: dt.datetime) -> str:
    """`personal-data-customer-<id>-<city's date>.json`: nothing personal in the name of a file that travels."""
    day = timezone.localtime(now, customer.jurisdiction.zone).date()
    return f"personal-data-customer-{customer.pk}-{day:%Y-%m-%d}.json"


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def export_customer(
    customer: Customer, *, actor: User, where: str = "", now: dt.datetime | None = None
) -> dict[str, Any]:
    """The customer's personal data as a JSON-ready dict, for a member of staff who may export it
    (`roles.may_export_personal_data`, else PermissionDenied and no audit row); writes an EXPORT audit row."""
    customer = survivor_of(customer)
    roles.require(
        roles.may_export_personal_data(actor, customer.jurisdiction_id),
        _("You may not export customers' personal data."),
    )
    now = now or timezone.now()
    data = _collect(customer, now)
    PersonalDataAccess.objects.create(
        user=actor, customer=customer, purpose=PersonalDataAccess.Purpose.EXPORT, where=where[:40], at=now
    )
    logger.info("customer %s exported", customer.pk)
    return data


def export_sender(
    jurisdiction: Jurisdiction,
    channel: str,
    sender: str,
    *,
    network: str = "",
    actor: User,
    where: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What the city holds about a resident known only by what they wrote from (a social handle, an
    address, a number: not a customer): their conversations in the inbox. Same rule and audit as
    `export_customer` (the audit row names no customer)."""
    roles.require(
        roles.may_export_personal_data(actor, jurisdiction.pk), _("You may not export customers' personal data.")
    )
    now = now or timezone.now()
    zone = jurisdiction.zone

    def at(value: dt.datetime | None) -> str | None:
        return timezone.localtime(value, zone).isoformat() if value is not None else None

    conversations = inbox_data.export_items(inbox_data.items_from_sender(jurisdiction, channel, sender, network), at)
    PersonalDataAccess.objects.create(user=actor, purpose=PersonalDataAccess.Purpose.EXPORT, where=where[:40], at=now)
    logger.info("an inbox sender's conversations exported (%d)", len(conversations))
    return {
        "format": FORMAT,
        "about": _("Everything %(city)s's 311 service holds about this person, exported on %(date)s.")
        % {"city": jurisdiction.name, "date": timezone.localtime(now, zone).date().isoformat()},
        "exported_at": at(now),
        "jurisdiction": jurisdiction.name,
        "inbox_conversations": conversations,
    }


def _collect(customer: Customer, now: dt.datetime) -> dict[str, Any]:
    zone = customer.jurisdiction.zone

    def at(value: dt.datetime | None) -> str | None:
        return timezone.localtime(value, zone).isoformat() if value is not None else None

    family = [customer, *Customer.objects.filter(merged_into=customer).order_by("pk")]
    family_ids = [record.pk for record in family]
    requesters = list(Requester.objects.filter(customer_id__in=family_ids).order_by("created_at", "pk"))
    requests = list(
        ServiceRequest.objects.filter(requester__in=requesters)
        .select_related("service", "department")
        .prefetch_related("history", "photos")
        .order_by("requested_at", "pk")
    )
    contacts = list(
        Contact.objects.filter(Q(customer_id__in=family_ids) | Q(requester__in=requesters))
        .select_related("service", "service_request")
        .distinct()
        .order_by("started_at", "pk")
    )
    responses = list(
        Response.objects.filter(Q(contact__in=contacts) | Q(service_request__in=requests))
        .prefetch_related("answers__question")
        .distinct()
        .order_by("started_at", "pk")
    )
    follow_ups = list(
        FollowUpTask.objects.filter(Q(response__in=responses) | Q(entry__contact__in=contacts))
        .distinct()
        .order_by("created_at", "pk")
    )
    emails = {e.normalized for record in family for e in record.emails.all()}
    emails |= {r.email.strip().lower() for r in requesters if r.email}
    phones = {p.number for record in family for p in record.phones.all()} | {r.phone for r in requesters if r.phone}
    phones |= {phone_for_sms(number) for number in phones}  # texts go to E.164, without an extension
    # Addresses are matched case-blind: a subscription keeps the e-mail as the resident typed it.
    subscriptions = list(
        Subscription.objects.annotate(_email=Lower("email"))
        .filter(_email__in=emails)
        .select_related("service_request")
        .order_by("created_at", "pk")
    )
    messages = list(
        OutboundMessage.objects.filter(channel__in=[OutboundMessage.Channel.EMAIL, OutboundMessage.Channel.SMS])
        .annotate(_to=Lower("recipient"))
        .filter(Q(_to__in=emails) | Q(recipient__in=phones))
        .order_by("created_at", "pk")
    )

    return {
        "format": FORMAT,
        "about": _("Everything %(city)s's 311 service holds about this person, exported on %(date)s.")
        % {"city": customer.jurisdiction.name, "date": timezone.localtime(now, zone).date().isoformat()},
        "exported_at": at(now),
        "jurisdiction": customer.jurisdiction.name,
        "customer": {
            "id": customer.pk,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "preferred_language": customer.preferred_language,
            "may_be_contacted": customer.consent_contact,
            "may_be_surveyed": customer.consent_survey,
            "consent_last_changed": at(customer.consent_updated_at),
            "created": at(customer.created_at),
            "updated": at(customer.updated_at),
            "anonymised": at(customer.anonymised_at),
            "phones": [
                {"number": p.number, "label": p.label, "primary": p.is_primary}
                for record in family
                for p in record.phones.all()
            ],
            "emails": [{"email": e.email, "primary": e.is_primary} for record in family for e in record.emails.all()],
            "addresses": [
                {"address": a.address, "zipcode": a.zipcode, "lat": a.lat, "long": a.long, "primary": a.is_primary}
                for record in family
                for a in record.addresses.all()
            ],
            "merged_records": [
                {
                    "id": record.pk,
                    "first_name": record.first_name,
                    "last_name": record.last_name,
                    "created": at(record.created_at),
                }
                for record in family[1:]
            ],
        },
        "contact_details_given_with_requests": [
            {
                "id": r.pk,
                "first_name": r.first_name,
                "last_name": r.last_name,
                "email": r.email,
                "phone": r.phone,
                "language": r.language,
                "given": at(r.created_at),
            }
            for r in requesters
        ],
        "requests": [
            {
                "tracking_number": request.tracking_number,
                "service": request.service.name,
                "department": request.department.name,
                "channel": request.channel,
                "status": request.status,
                "status_label": str(request.get_status_display()),
                "description": request.description,
                "address": request.address,
                "zipcode": request.zipcode,
                "lat": request.lat,
                "long": request.long,
                "answers": request.attributes,
                "private": request.is_private,
                "requested": at(request.requested_at),
                "expected": at(request.expected_at),
                "closed": at(request.closed_at),
                "public_status_note": request.status_notes,
                "photos": [
                    {
                        "file": photo.image.name,
                        "stage": photo.stage,
                        "public": photo.is_public,
                        "added": at(photo.created_at),
                    }
                    for photo in request.photos.all()
                ],
                "history": [
                    {
                        "at": at(entry.created_at),
                        "kind": entry.kind,
                        "public": entry.is_public,
                        "from_status": entry.from_status,
                        "to_status": entry.to_status,
                        "text": entry.text,
                    }
                    for entry in request.history.all()
                ],
            }
            for request in requests
        ],
        "contacts": [
            {
                "channel": contact.channel,
                "outcome": contact.outcome,
                "outcome_label": str(contact.get_outcome_display()),
                "service": contact.service.name if contact.service else "",
                "tracking_number": contact.service_request.tracking_number if contact.service_request else "",
                "answer_given": contact.summary,
                "callback_number": contact.callback_phone,
                "agreed_to_a_survey_call": contact.survey_consent,
                "started": at(contact.started_at),
                "ended": at(contact.ended_at),
            }
            for contact in contacts
        ],
        "survey_responses": [
            {
                "outcome": response.outcome,
                "channel": response.channel,
                "started": at(response.started_at),
                "finished": at(response.finished_at),
                "answers": {answer.question.code: answer.value for answer in response.answers.all()},
            }
            for response in responses
        ],
        "survey_follow_ups": [
            {
                "your_words": task.words,
                "answers_before_the_transfer": task.answers,
                "state": task.state,
                "resolution": task.resolution,
                "created": at(task.created_at),
                "resolved": at(task.resolved_at),
            }
            for task in follow_ups
        ],
        "subscriptions": [
            {
                "tracking_number": s.service_request.tracking_number,
                "email": s.email,
                "state": s.state,
                "created": at(s.created_at),
                "confirmed": at(s.confirmed_at),
                "unsubscribed": at(s.unsubscribed_at),
            }
            for s in subscriptions
        ],
        # Who looked is the city's business; that, when and why someone did is theirs (no staff names).
        "record_of_access": [
            {"at": at(row.at), "purpose": row.purpose, "where": row.where}
            for row in PersonalDataAccess.objects.filter(customer_id__in=family_ids).order_by("at", "pk")
        ],
        # The Neighborhood Liaison Program: their applications, and their liaison record with what it recorded.
        "liaison_programme": liaison_data.export_programme(customer.jurisdiction_id, emails, at),
        # E-mails, texts and posts they sent the city through the inbox, with the city's answers.
        "inbox_conversations": inbox_data.export_items(
            inbox_data.items_of(customer.jurisdiction_id, family_ids, emails, phones), at
        ),
        "messages_sent": [
            {
                "channel": m.channel,
                "to": m.recipient,
                "subject": m.subject,
                "body": m.body,
                "state": m.state,
                "created": at(m.created_at),
                "sent": at(m.sent_at),
            }
            for m in messages
        ],
    }
