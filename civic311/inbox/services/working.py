"""What agents do with an inbox item: take it, hand it on, answer it, set its status, finish or dismiss it.

Taking an item opens a contact on the item's channel for the agent (`service_requests.services.open_contact`),
so everything the console does for a call works for it (the customer, an answer, a request filed, the
wrap-up) and the reports count it. A reply is written to the conversation and to the outbox of its channel
in the same transaction (`REPLY_SENDERS`: each door's own function); the worker delivers it. Every function
refuses (PermissionDenied) whoever may not work the city's inbox, and writes in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from civic311.people import roles
from civic311.people.models import Team, User
from civic311.service_requests import services as requests
from civic311.service_requests.models import Contact, ServiceRequest

from ..models import REPLY_MAX_CHARS, InboxChannel, InboxItem, InboxMessage

logger = logging.getLogger(__name__)

Status = InboxItem.Status
DISMISS_REASON_MAX = 300

# Each channel's door writes the outbox row that carries a reply: `send(item, message) -> None`, called inside
# the reply's transaction, sets `message.outbound_message` or `message.outbound_post` (and `external_id`).
REPLY_SENDERS: dict[str, str] = {
    InboxChannel.EMAIL: "civic311.inbox.services.email.send_reply",
    InboxChannel.SMS: "civic311.inbox.services.sms.send_reply",
    InboxChannel.SOCIAL: "civic311.inbox.services.social.send_reply",
}


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def check_may_work(agent: User, item: InboxItem) -> None:
    roles.require(roles.may_work_inbox(agent, item.jurisdiction_id), _("You may not work this city's inbox."))


def _lock(item: InboxItem) -> InboxItem:
    return InboxItem.objects.select_for_update(of=("self",)).select_related("jurisdiction").get(pk=item.pk)


def _lock_contact(contact: Contact) -> Contact:
    return Contact.objects.select_for_update().get(pk=contact.pk)


def _touch(item: InboxItem, now: dt.datetime, *fields: str) -> None:
    item.updated_at = now
    item.save(update_fields=[*fields, "updated_at"])


def take(item: InboxItem, *, agent: User, now: dt.datetime | None = None) -> InboxItem:
    """The agent takes the item: it is theirs, in progress, with a contact of its channel open for them.
    Taking an item someone else holds is refused (a supervisor hands it on with `assign`)."""
    now = _now(now)
    check_may_work(agent, item)
    with transaction.atomic():
        current = _lock(item)
        if current.assigned_to_id not in (None, agent.pk):
            raise ValidationError(
                {"item": _("Another agent is working this item; ask a supervisor to hand it to you.")}
            )
        contact = current.contact
        if contact is None or contact.ended_at is not None or contact.agent_id != agent.pk:
            contact = requests.open_contact(current.jurisdiction, channel=current.channel, agent=agent, started_at=now)
            if current.customer is not None:
                contact.customer = current.customer
                contact.save(update_fields=["customer"])
        current.contact = contact
        current.assigned_to = agent
        if current.status in (Status.NEW, Status.DONE):
            current.status = Status.IN_PROGRESS
            current.done_at = None
        _touch(current, now, "contact", "assigned_to", "status", "done_at")
    return current


def assign(
    item: InboxItem,
    *,
    actor: User,
    agent: User | None = None,
    team: Team | None = None,
    now: dt.datetime | None = None,
) -> InboxItem:
    """A supervisor hands the item to an agent or a team (or takes it off both). An agent may only hand an
    item they hold to a team, or give it back."""
    now = _now(now)
    check_may_work(actor, item)
    manages = roles.may_manage_inbox(actor, item.jurisdiction_id)
    if agent is not None and agent.pk != actor.pk and not manages:
        raise PermissionDenied(_("Only a supervisor hands an item to another agent."))
    if agent is not None and not roles.inbox_assignees(User.objects.filter(pk=agent.pk), item.jurisdiction_id).exists():
        raise ValidationError({"agent": _("That account does not take contacts in this city.")})
    if team is not None and team.jurisdiction_id != item.jurisdiction_id:
        raise ValidationError({"team": _("That team belongs to another city.")})
    with transaction.atomic():
        current = _lock(item)
        if not manages and current.assigned_to_id not in (None, actor.pk):
            raise PermissionDenied(_("Only a supervisor takes an item from the agent working it."))
        if current.contact is not None and current.contact.agent_id not in (None, getattr(agent, "pk", None)):
            # The agent who had it stops working it: their contact ends (as handed on, unless they had recorded
            # what came of it); whoever takes it next opens their own.
            requests.end_contact(_lock_contact(current.contact), ended_at=now, outcome=Contact.Outcome.HANDED_ON)
        current.assigned_to = agent
        current.team = team
        _touch(current, now, "assigned_to", "team")
    return current


def set_status(item: InboxItem, status: str, *, agent: User, now: dt.datetime | None = None) -> InboxItem:
    """In progress, waiting for the resident, or done (which `finish` and `dismiss` also set)."""
    now = _now(now)
    check_may_work(agent, item)
    if status not in Status.values:
        raise ValidationError({"status": _("Choose one of the statuses.")})
    with transaction.atomic():
        current = _lock(item)
        current.status = status
        current.done_at = now if status == Status.DONE else None
        if status == Status.DONE:
            current.response_due_at = None
        _touch(current, now, "status", "done_at", "response_due_at")
    return current


def reply(item: InboxItem, text: str, *, agent: User, now: dt.datetime | None = None) -> InboxMessage:
    """Answer the resident on the item's channel: the message joins the conversation and its outbox row is
    written with it. The item then waits for the resident, and the response clock stops."""
    now = _now(now)
    check_may_work(agent, item)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the reply.")})
    if len(text) > REPLY_MAX_CHARS:
        raise ValidationError({"text": _("A reply has at most %(max)d characters.") % {"max": REPLY_MAX_CHARS}})
    if "\x00" in text:
        raise ValidationError({"text": _("The reply contains a NUL character, which cannot be stored.")})
    with transaction.atomic():
        current = _lock(item)
        # ValidationError from the door (too long for the network, no account) rolls it all back
        message = _send(current, text, author=agent, automatic=False, now=now)
        current.first_response_at = current.first_response_at or now
        current.response_due_at = None
        if current.status != Status.DONE:
            current.status = Status.WAITING
        current.last_message_at = max(current.last_message_at, now)
        _touch(current, now, "first_response_at", "response_due_at", "status", "last_message_at")
    logger.info("inbox item %s answered on %s", current.pk, current.channel)
    return message


def record_automatic_reply(item: InboxItem, text: str, *, now: dt.datetime | None = None) -> InboxMessage:
    """A message the machine sends (an acknowledgement, a step of a text conversation): part of the
    conversation, sent through the channel's outbox; it is not the agent's first response. Call inside the
    transaction that received the message it answers."""
    with transaction.atomic():  # a savepoint: a door's refusal leaves the receiving transaction whole
        return _send(item, text, author=None, automatic=True, now=_now(now))


def _send(item: InboxItem, text: str, *, author: User | None, automatic: bool, now: dt.datetime) -> InboxMessage:
    """One outgoing message of the conversation with its outbox row (the channel door's `send_reply`), in
    the caller's transaction."""
    sender: Callable[[InboxItem, InboxMessage], None] = import_string(REPLY_SENDERS[item.channel])
    message = InboxMessage.objects.create(
        item=item,
        jurisdiction_id=item.jurisdiction_id,
        channel=item.channel,
        direction=InboxMessage.Direction.OUT,
        subject=item.subject,
        body=text,
        author=author,
        automatic=automatic,
        sent_at=now,
    )
    sender(item, message)
    message.save()
    return message


def link_request(
    item: InboxItem, service_request: ServiceRequest, *, agent: User, now: dt.datetime | None = None
) -> InboxItem:
    """The item is about this request (filed from it, or the resident added to it): linked both ways."""
    now = _now(now)
    check_may_work(agent, item)
    if service_request.jurisdiction_id != item.jurisdiction_id:
        raise ValidationError({"service_request": _("That request belongs to another city.")})
    with transaction.atomic():
        current = _lock(item)
        current.service_request = service_request
        _touch(current, now, "service_request")
    return current


def finish(item: InboxItem, *, agent: User, now: dt.datetime | None = None) -> InboxItem:
    """The item is done (its contact's wrap-up is the console's). A new message from the resident reopens it."""
    return set_status(item, Status.DONE, agent=agent, now=now)


def dismiss(item: InboxItem, reason: str, *, agent: User, now: dt.datetime | None = None) -> InboxItem:
    """A post (or a message) that needs nothing from the city: done, with the reason why, and no answer. Its
    open contact, if one was taken, ends: as information given ("dismissed: reason") unless its agent had recorded
    an outcome, which stays."""
    now = _now(now)
    check_may_work(agent, item)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the item needs nothing from the city.")})
    if len(reason) > DISMISS_REASON_MAX:
        raise ValidationError({"reason": _("The reason has at most %(max)d characters.") % {"max": DISMISS_REASON_MAX}})
    with transaction.atomic():
        current = _lock(item)
        current.status = Status.DONE
        current.done_at = now
        current.response_due_at = None
        current.dismissed_reason = reason
        summary = _("Dismissed: %(reason)s") % {"reason": reason}
        if current.contact is not None:
            requests.end_contact(
                _lock_contact(current.contact), ended_at=now, outcome=Contact.Outcome.INFORMATION, summary=summary
            )
        else:
            # Nobody took it, but an agent looked and decided: that is a contact of its channel, the reports count it.
            current.contact = requests.log_information_request(
                current.jurisdiction,
                channel=current.channel,
                summary=summary,
                agent=agent,
                started_at=now,
                ended_at=now,
            )
        _touch(current, now, "status", "done_at", "response_due_at", "dismissed_reason", "contact")
    return current
