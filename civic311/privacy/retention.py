"""Privacy over time: personal data is kept no longer than the city decided, and a resident can be erased.

`anonymise_expired(now=...)` is the daily sweep (`privacy.tasks.apply_retention`, `manage.py apply_retention`):

* a **customer** record (with the records merged into it) whose last request closed, and whose last contact
  ended, more than `CIVIC311_RETAIN_CONTACT_DAYS` ago loses its name, language, consent, phones, e-mails and
  addresses (`anonymised_at` is set; the row stays so the audit and the counts still resolve), and so do
  its requesters' snapshots, its contacts' callback numbers and its survey contact-details answers;
* a **requester** snapshot (the details given with one request) the same time after its own last request
  closed loses its name, e-mail and phone (it is empty afterwards; empty snapshots are left alone);
* the e-mail of a **subscription** to a request closed that long ago is replaced by a placeholder;
* a **survey callback number** (on the contact and on the survey work list) and a contact-details answer of
  a survey (also the copy a follow-up keeps of the answers typed before a transfer) go
  `CIVIC311_RETAIN_SURVEY_CALLBACK_DAYS` after the contact, unless a follow-up is still open;
* an **e-mail or SMS** already sent (or given up) more than `CIVIC311_RETAIN_MESSAGE_DAYS` ago loses its
  recipient, body and headers (its dedup key becomes a keyed hash, so it still deduplicates);
* an **inbox conversation** (an e-mail thread, a text exchange, a post and its replies) done more than
  `CIVIC311_RETAIN_INBOX_DAYS` ago loses who wrote and what they wrote (`inbox_data`); its channel, status
  and times stay for the reports;
* a **liaison application** (the Neighborhood Liaison Program's) loses the applicant's names, address, phone
  and the reasons written on it `CIVIC311_RETAIN_DECLINED_APPLICATIONS_DAYS` after it was declined, or
  `CIVIC311_RETAIN_CONTACT_DAYS` after it was made when it was never reviewed; a **liaison** who left the
  programme loses theirs (and their account, if only a liaison's, is closed) `CIVIC311_RETAIN_CONTACT_DAYS`
  after leaving (`liaison_data`); status, dates, neighborhoods and languages stay for the programme's figures;
* the **personal-data audit** older than `CIVIC311_RETAIN_AUDIT_DAYS` is deleted.

Requests themselves, their description (the resident's own words: the request's content, not contact
details), their answers, photos, public and internal history, contacts' outcomes and every count stay.

Each stage works in batches, one transaction each, with conditional UPDATEs: a second sweep at the same time
finds nothing left to count, and a run twice changes nothing. Log lines carry counts only.

`erase_customer(customer, actor=...)` anonymises one customer at once, on request, whatever the dates,
except while one of their requests is open (it needs the contact details); it writes an ERASE audit row.
Their liaison applications and liaison record go with it (a liaison still in the programme is withdrawn
first).
`erase_sender(jurisdiction, channel, sender, actor=...)` does the same for a resident known only by what
they wrote to the inbox from (a social handle, an address, a number).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage, Subscription
from civic311.people import email_sign_in, roles
from civic311.people.contact_details import phone_for_sms
from civic311.people.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    EmailSignInLink,
    PersonalDataAccess,
    Requester,
    SignInEvent,
    User,
)
from civic311.people.selectors import survivor_of
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import Contact, ServiceRequest
from civic311.surveys.models import Answer, FollowUpTask, Question, WorkListEntry

from . import admin_log, inbox_data, liaison_data

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
STAGES = (
    "customers",
    "requesters",
    "subscriptions",
    "callback_numbers",
    "survey_work_list",
    "survey_contact_answers",
    "messages",
    "inbox_items",
    "liaison_applications",
    "liaisons",
    "audit_rows",
    "sign_in_events",
    "sign_in_links",
)


# --- the windows -----------------------------------------------------------------------------------------


def contact_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.CIVIC311_RETAIN_CONTACT_DAYS)


def callback_cutoff(now: dt.datetime) -> dt.datetime:
    # Never shorter than the surveys' weekly rule, which matches callback numbers of the last 7 days.
    return now - dt.timedelta(days=max(7, settings.CIVIC311_RETAIN_SURVEY_CALLBACK_DAYS))


def message_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.CIVIC311_RETAIN_MESSAGE_DAYS)


def audit_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.CIVIC311_RETAIN_AUDIT_DAYS)


# --- what still needs the contact details ------------------------------------------------------------------


def _requests_needing_contact(cutoff: dt.datetime) -> QuerySet:
    """Requests that keep their requester's details: open ones, and those closed after `cutoff`."""
    # An imported or demo request may be closed without `closed_at`: its last change stands in.
    return ServiceRequest.objects.annotate(_last=Coalesce("closed_at", "updated_at", "requested_at")).filter(
        ~Q(status__in=FINAL_STATES) | Q(_last__gt=cutoff)
    )


def _contacts_needing_contact(cutoff: dt.datetime) -> QuerySet:
    """Contacts (calls, walk-ins…) that ended after `cutoff`, or are still going."""
    return Contact.objects.annotate(_last=Coalesce("ended_at", "started_at")).filter(_last__gt=cutoff)


def expired_customers(cutoff: dt.datetime) -> QuerySet:
    """Live customer records (not merged away, not yet anonymised) with nothing after `cutoff`: made before
    it, no request of theirs (or of a record merged into them) open or closed after it, no contact since."""
    mine = Q(requester__customer=OuterRef("pk")) | Q(requester__customer__merged_into=OuterRef("pk"))
    theirs = mine | Q(customer=OuterRef("pk")) | Q(customer__merged_into=OuterRef("pk"))
    return (
        Customer.objects.filter(anonymised_at__isnull=True, merged_into__isnull=True, created_at__lte=cutoff)
        .exclude(Exists(_requests_needing_contact(cutoff).filter(mine)))
        .exclude(Exists(_contacts_needing_contact(cutoff).filter(theirs)))
    )


def _with_details() -> Q:
    return ~Q(first_name="", last_name="", email="", phone="")


def expired_requesters(cutoff: dt.datetime) -> QuerySet:
    """Requester snapshots still holding details, given before `cutoff`, whose requests all closed before it
    and whose contacts all ended before it."""
    mine = Q(requester=OuterRef("pk"))
    return (
        Requester.objects.filter(_with_details(), created_at__lte=cutoff)
        .exclude(Exists(_requests_needing_contact(cutoff).filter(mine)))
        .exclude(Exists(_contacts_needing_contact(cutoff).filter(mine)))
    )


def expired_subscriptions(cutoff: dt.datetime) -> QuerySet:
    return Subscription.objects.exclude(email__endswith=f"@{notifications.ANONYMISED_EMAIL_DOMAIN}").exclude(
        Exists(_requests_needing_contact(cutoff).filter(pk=OuterRef("service_request_id")))
    )


def _open_follow_up() -> Q:
    return Q(state=FollowUpTask.State.OPEN)


def expired_callback_numbers(cutoff: dt.datetime) -> QuerySet:
    """Contacts whose survey callback number is older than `cutoff` (kept while a follow-up is open)."""
    open_follow_up = FollowUpTask.objects.filter(_open_follow_up(), entry__contact=OuterRef("pk"))
    return (
        Contact.objects.exclude(callback_phone="")
        .annotate(_last=Coalesce("ended_at", "started_at"))
        .filter(_last__lte=cutoff)
        .exclude(Exists(open_follow_up))
    )


def expired_work_list_entries(cutoff: dt.datetime) -> QuerySet:
    open_follow_up = FollowUpTask.objects.filter(_open_follow_up(), entry=OuterRef("pk"))
    # The weekly rule counts from when the entry was listed or the call was made, so the window does too.
    last = Greatest("contacted_at", "created_at", Coalesce("response__finished_at", "created_at"))
    return (
        WorkListEntry.objects.exclude(callback_phone="", callback_digits="")
        .annotate(_last=last)
        .filter(_last__lte=cutoff)
        .exclude(Exists(open_follow_up))
    )


def _contact_answers() -> QuerySet:
    # An answer already emptied is stored as JSON {}; comparing JSON needs the same on SQLite and PostgreSQL.
    return Answer.objects.filter(question__kind=Question.Kind.CONTACT_DETAILS).exclude(value={})


def expired_survey_contact_answers(cutoff: dt.datetime) -> QuerySet:
    """Contact details a resident gave in a survey, older than `cutoff` (kept while a follow-up is open)."""
    open_follow_up = FollowUpTask.objects.filter(_open_follow_up(), response=OuterRef("response_id"))
    return (
        _contact_answers()
        .annotate(_at=Coalesce("response__finished_at", "response__started_at"))
        .filter(_at__lte=cutoff)
        .exclude(Exists(open_follow_up))
    )


def _contact_question_codes() -> list[str]:
    return sorted(set(Question.objects.filter(kind=Question.Kind.CONTACT_DETAILS).values_list("code", flat=True)))


def expired_follow_up_answers(cutoff: dt.datetime) -> QuerySet:
    """Follow-ups resolved before `cutoff` whose answers typed before the transfer (kept with the task)
    still hold the contact details the resident gave."""
    codes = _contact_question_codes()
    if not codes:
        return FollowUpTask.objects.none()
    return (
        FollowUpTask.objects.exclude(_open_follow_up())
        .filter(answers__has_any_keys=codes)
        .annotate(_last=Coalesce("resolved_at", "created_at"))
        .filter(_last__lte=cutoff)
    )


def _blank_follow_up_answers(tasks: QuerySet) -> int:
    """Drop the contact-details answers from these follow-ups' answers so far; the other answers stay."""
    codes = _contact_question_codes()
    if not codes:
        return 0
    # Locked, and read again: of two runs at once only one counts a row.
    rows = list(
        FollowUpTask.objects.select_for_update()
        .filter(pk__in=tasks.values("pk"), answers__has_any_keys=codes)
        .only("pk", "answers")
    )
    for row in rows:
        row.answers = {code: value for code, value in row.answers.items() if code not in codes}
    FollowUpTask.objects.bulk_update(rows, ["answers"])
    return len(rows)


def _resident_messages() -> QuerySet:
    Channel = OutboundMessage.Channel
    return OutboundMessage.objects.filter(channel__in=[Channel.EMAIL, Channel.SMS]).exclude(recipient="")


def expired_messages(cutoff: dt.datetime) -> QuerySet:
    """E-mails and SMS sent (or given up) before `cutoff`; those still waiting are never touched."""
    State = OutboundMessage.State
    return _resident_messages().filter(state__in=[State.SENT, State.FAILED], created_at__lte=cutoff)


def expired_audit_rows(cutoff: dt.datetime) -> QuerySet:
    return PersonalDataAccess.objects.filter(at__lt=cutoff)


def expired_sign_in_events(cutoff: dt.datetime) -> QuerySet:
    """The sign-in audit (it holds client addresses) is an audit too: kept for the audit's period."""
    return SignInEvent.objects.filter(at__lt=cutoff)


# --- anonymising ----------------------------------------------------------------------------------------------


def _blank_requesters(requesters: QuerySet) -> int:
    ids = list(requesters.filter(_with_details()).values_list("pk", flat=True))
    if not ids:
        return 0
    admin_log.forget_names(Requester, ids)
    return Requester.objects.filter(_with_details(), pk__in=ids).update(first_name="", last_name="", email="", phone="")


def _blank_contact_answers(answers: QuerySet) -> int:
    ids = list(answers.values_list("pk", flat=True))
    # Conditional, so that of two runs at once only one counts a row.
    return Answer.objects.filter(pk__in=ids).exclude(value={}).update(value={}) if ids else 0


def _anonymise_customers(ids: list[int], now: dt.datetime) -> int:
    """Anonymise these customers and the records merged into them, with everything that names them; returns
    how many of `ids` this call anonymised (0 for those another run got to first)."""
    cleared = {
        "first_name": "",
        "last_name": "",
        "preferred_language": "",
        "consent_contact": False,
        "consent_survey": False,
        "anonymised_at": now,
        "updated_at": now,
    }
    done = Customer.objects.filter(pk__in=ids, anonymised_at__isnull=True).update(**cleared)
    Customer.objects.filter(merged_into_id__in=ids, anonymised_at__isnull=True).update(**cleared)
    family = set(ids) | set(Customer.objects.filter(merged_into_id__in=ids).values_list("pk", flat=True))
    for model in (CustomerPhone, CustomerEmail, CustomerAddress):
        model.objects.filter(customer_id__in=family).delete()
    admin_log.forget_names(Customer, family)
    _blank_requesters(Requester.objects.filter(customer_id__in=family))
    contacts = Contact.objects.filter(Q(customer_id__in=family) | Q(requester__customer_id__in=family))
    Contact.objects.filter(pk__in=contacts.exclude(callback_phone="").values("pk")).update(callback_phone="")
    WorkListEntry.objects.filter(Q(customer_id__in=family) | Q(contact__in=contacts.values("pk"))).update(
        callback_phone="", callback_digits=""
    )
    _blank_contact_answers(_contact_answers().filter(response__contact__in=contacts.values("pk")))
    _blank_follow_up_answers(
        FollowUpTask.objects.filter(
            Q(entry__contact__in=contacts.values("pk")) | Q(response__contact__in=contacts.values("pk"))
        )
    )
    return done


def _in_batches(candidates: QuerySet, apply, batch_size: int) -> int:
    """Apply `apply(ids)` to the candidates, a batch per transaction, in the order of their ids; the total it
    returned. A batch another run emptied first counts nothing here."""
    total, after = 0, 0
    while True:
        with transaction.atomic():
            ids = list(candidates.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return total
            after = ids[-1]
            total += apply(ids)


def anonymise_expired(
    *, now: dt.datetime | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Anonymise every piece of personal data past its retention window; returns what was done per stage
    (with `dry_run`, what would be done, changing nothing) and logs one line of those counts."""
    now = now or timezone.now()
    contacts_until, callbacks_until = contact_cutoff(now), callback_cutoff(now)
    candidates: dict[str, QuerySet] = {
        "customers": expired_customers(contacts_until),
        "requesters": expired_requesters(contacts_until),
        "subscriptions": expired_subscriptions(contacts_until),
        "callback_numbers": expired_callback_numbers(callbacks_until),
        "survey_work_list": expired_work_list_entries(callbacks_until),
        "survey_contact_answers": expired_survey_contact_answers(callbacks_until),
        "messages": expired_messages(message_cutoff(now)),
        "inbox_items": inbox_data.expired_items(inbox_data.inbox_cutoff(now)),
        "liaison_applications": liaison_data.expired_applications(liaison_data.declined_cutoff(now), contacts_until),
        "liaisons": liaison_data.expired_liaisons(contacts_until),
        "audit_rows": expired_audit_rows(audit_cutoff(now)),
        "sign_in_events": expired_sign_in_events(audit_cutoff(now)),
        # E-mailed sign-in links (they hold an address) are of no use once expired.
        "sign_in_links": email_sign_in.expired_links(now),
    }
    follow_ups = expired_follow_up_answers(callbacks_until)
    if dry_run:
        counts = {stage: queryset.count() for stage, queryset in candidates.items()}
        counts["survey_contact_answers"] += follow_ups.count()
    else:
        counts = {
            "customers": _in_batches(candidates["customers"], lambda ids: _anonymise_customers(ids, now), batch_size),
            "requesters": _in_batches(
                candidates["requesters"],
                lambda ids: _blank_requesters(Requester.objects.filter(pk__in=ids)),
                batch_size,
            ),
            "subscriptions": _in_batches(
                candidates["subscriptions"],
                lambda ids: notifications.anonymise_subscriptions(Subscription.objects.filter(pk__in=ids), now),
                batch_size,
            ),
            "callback_numbers": _in_batches(
                candidates["callback_numbers"],
                lambda ids: Contact.objects.filter(pk__in=ids).exclude(callback_phone="").update(callback_phone=""),
                batch_size,
            ),
            "survey_work_list": _in_batches(
                candidates["survey_work_list"],
                lambda ids: (
                    WorkListEntry.objects.filter(pk__in=ids)
                    .exclude(callback_phone="", callback_digits="")
                    .update(callback_phone="", callback_digits="")
                ),
                batch_size,
            ),
            "survey_contact_answers": _in_batches(
                candidates["survey_contact_answers"],
                lambda ids: _blank_contact_answers(_contact_answers().filter(pk__in=ids)),
                batch_size,
            ),
            "messages": _in_batches(
                candidates["messages"],
                lambda ids: notifications.anonymise_messages(_resident_messages().filter(pk__in=ids)),
                batch_size,
            ),
            "inbox_items": _in_batches(candidates["inbox_items"], inbox_data.anonymise_expired_items, batch_size),
            "liaison_applications": _in_batches(
                candidates["liaison_applications"], liaison_data.anonymise_expired_applications, batch_size
            ),
            "liaisons": _in_batches(candidates["liaisons"], liaison_data.anonymise_expired_liaisons, batch_size),
            "audit_rows": _in_batches(
                candidates["audit_rows"],
                lambda ids: PersonalDataAccess.objects.filter(pk__in=ids).delete()[0],
                batch_size,
            ),
            "sign_in_events": _in_batches(
                candidates["sign_in_events"], lambda ids: SignInEvent.objects.filter(pk__in=ids).delete()[0], batch_size
            ),
            "sign_in_links": _in_batches(
                candidates["sign_in_links"],
                lambda ids: EmailSignInLink.objects.filter(pk__in=ids).delete()[0],
                batch_size,
            ),
        }
        # The same details, copied into a follow-up with the answers typed before a transfer.
        counts["survey_contact_answers"] += _in_batches(
            follow_ups, lambda ids: _blank_follow_up_answers(FollowUpTask.objects.filter(pk__in=ids)), batch_size
        )
    # Counts only: never a name, a number or an address.
    logger.info(
        "retention%s: %s", " (dry run)" if dry_run else "", " ".join(f"{stage}={counts[stage]}" for stage in STAGES)
    )
    return counts


# --- erasure on request ----------------------------------------------------------------------------------------


def open_requests_of(customer: Customer) -> list[str]:
    """Tracking numbers of the customer's requests that are still open (they need the contact details)."""
    return list(
        ServiceRequest.objects.filter(Q(requester__customer=customer) | Q(requester__customer__merged_into=customer))
        .exclude(status__in=FINAL_STATES)
        .order_by("requested_at")
        .values_list("tracking_number", flat=True)
    )


def _contact_points(family: Iterable[int]) -> tuple[set[str], set[str]]:
    """The e-mails (lower case) and phone numbers (as written) held for these customers and their requesters."""
    family = list(family)
    emails = set(CustomerEmail.objects.filter(customer_id__in=family).values_list("normalized", flat=True))
    phones = set(CustomerPhone.objects.filter(customer_id__in=family).values_list("number", flat=True))
    for email, phone in Requester.objects.filter(customer_id__in=family).values_list("email", "phone"):
        if email:
            emails.add(email.strip().lower())
        if phone:
            phones.add(phone)
    phones |= {phone_for_sms(number) for number in phones}  # texts go to E.164, without an extension
    return emails, phones


def programme_records_of(customer: Customer) -> liaison_data.ProgrammeRecords:
    """The customer's records in the Neighborhood Liaison Program, which erasing them anonymises too."""
    family = {customer.pk, *Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)}
    emails, _phones = _contact_points(family)
    return liaison_data.records_of(customer.jurisdiction_id, emails)


def erase_customer(
    customer: Customer, *, actor: User, where: str = "", now: dt.datetime | None = None
) -> dict[str, int]:
    """Erase a customer on their request: everything that names them is anonymised at once (the record and
    the records merged into it, their requesters, callback numbers, survey contact answers, subscriptions
    and messages to their addresses, their liaison applications and liaison record), and an ERASE row goes
    in the audit. A liaison still in the programme is withdrawn first (`liaison_data.erase`): the resident
    asked to be forgotten, and a liaison nobody can write to, named nowhere, cannot serve.

    Returns the counts of what was anonymised; for a resident the liaison programme knew, also
    `liaison_applications`, `liaisons` and `liaisons_withdrawn`.

    Refused (PermissionDenied) for staff who may not; refused (ValidationError, nothing written) while one
    of their requests is open, and for a record already anonymised.
    """
    customer = survivor_of(customer)
    roles.require(
        roles.may_erase_personal_data(actor, customer.jurisdiction_id), _("You may not erase customers' personal data.")
    )
    now = now or timezone.now()
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.anonymised_at is not None:
            raise ValidationError(
                {
                    "customer": _("This record holds no personal data any more: it was anonymised on %(date)s.")
                    % {"date": timezone.localdate(locked.anonymised_at)}
                }
            )
        still_open = open_requests_of(locked)
        if still_open:
            raise ValidationError(
                {
                    "customer": ngettext(
                        "Request %(numbers)s is still open and needs the contact details. Erase the record once it is "
                        "closed.",
                        "Requests %(numbers)s are still open and need the contact details. Erase the record once they "
                        "are closed.",
                        len(still_open),
                    )
                    % {"numbers": ", ".join(still_open)}
                }
            )
        family = {locked.pk, *Customer.objects.filter(merged_into=locked).values_list("pk", flat=True)}
        emails, phones = _contact_points(family)
        # Read before anything changes: erasing replaces the addresses that find them.
        programme = liaison_data.records_of(locked.jurisdiction_id, emails)
        subscriptions = Subscription.objects.annotate(_email=Lower("email")).filter(_email__in=emails)
        messages = (
            _resident_messages()
            .annotate(_to=Lower("recipient"))
            .filter(Q(_to__in=emails | programme.addresses) | Q(recipient__in=phones))
            .exclude(state=OutboundMessage.State.SENDING)
        )
        # A message still waiting would go out to an address the resident asked us to forget.
        notifications.withhold_messages(messages, reason="erased on request")
        # Their conversations in the inbox (e-mails, texts, posts), with the replies' outbox rows.
        conversations = inbox_data.items_of(locked.jurisdiction_id, family, emails, phones)
        counts = {
            "subscriptions": notifications.anonymise_subscriptions(subscriptions, now),
            "messages": notifications.anonymise_messages(messages),
            "inbox_items": inbox_data.anonymise_items(conversations, withhold=True),
            "customers": _anonymise_customers([locked.pk], now),
        }
        if programme:
            counts.update(liaison_data.erase(programme, now))
        PersonalDataAccess.objects.create(
            user=actor, customer=locked, purpose=PersonalDataAccess.Purpose.ERASE, where=where[:40], at=now
        )
    logger.info(
        "customer %s erased: subscriptions=%d messages=%d inbox_items=%d liaison_applications=%d liaisons=%d "
        "liaisons_withdrawn=%d",
        locked.pk,
        counts["subscriptions"],
        counts["messages"],
        counts["inbox_items"],
        counts.get("liaison_applications", 0),
        counts.get("liaisons", 0),
        counts.get("liaisons_withdrawn", 0),
    )
    return counts


def erase_sender(
    jurisdiction: Jurisdiction,
    channel: str,
    sender: str,
    *,
    network: str = "",
    actor: User,
    where: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Erase a resident who is not a customer, known only by what they wrote from (a social author asking
    to be forgotten): their inbox conversations are anonymised at once, replies still waiting are never
    sent, and an ERASE row goes in the audit. Returns how many conversations were anonymised. Same rule as
    `erase_customer` (PermissionDenied); one transaction."""
    roles.require(
        roles.may_erase_personal_data(actor, jurisdiction.pk), _("You may not erase customers' personal data.")
    )
    now = now or timezone.now()
    with transaction.atomic():
        count = inbox_data.anonymise_items(
            inbox_data.items_from_sender(jurisdiction, channel, sender, network), withhold=True
        )
        PersonalDataAccess.objects.create(
            user=actor, purpose=PersonalDataAccess.Purpose.ERASE, where=where[:40], at=now
        )
    logger.info("an inbox sender erased: inbox_items=%d", count)
    return count


__all__ = ["anonymise_expired", "erase_customer", "erase_sender", "open_requests_of", "programme_records_of"]
