"""Community staff's engagement with the liaisons: messages to the liaisons of a neighborhood or of the whole
program (one outbox e-mail per liaison, written with the message), and the community meetings staff
attend.

Only `roles.may_run_community_programmes`, and only in the staff member's own city. Bad input is a
ValidationError keyed by field; nothing is half written.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.notifications import services as notifications
from civic311.people import roles
from civic311.people.models import User

from ..models import CommunityMeeting, Liaison, ProgrammeMessage

logger = logging.getLogger(__name__)

SUBJECT_MAX = 200
BODY_MAX = 10_000
MEETING_NAME_MAX = 200
PLACE_MAX = 300


def _require_staff(jurisdiction: Jurisdiction, actor: User) -> None:
    roles.require(
        roles.may_run_community_programmes(actor), _("Only community engagement staff run the liaison program.")
    )
    roles.require(roles.sees_jurisdiction(actor, jurisdiction.pk), _("This program belongs to another city."))


def _check_neighborhood(jurisdiction: Jurisdiction, neighborhood: Neighborhood | None) -> None:
    if neighborhood is not None and neighborhood.jurisdiction_id != jurisdiction.pk:
        raise ValidationError({"neighborhood": [_("This neighborhood is in another city.")]})


def recipients(jurisdiction: Jurisdiction, neighborhood: Neighborhood | None = None) -> list[Liaison]:
    """The active liaisons a message to `neighborhood` (None: the whole program) goes to, once each."""
    liaisons = Liaison.objects.filter(jurisdiction=jurisdiction, status=Liaison.Status.ACTIVE, user__is_active=True)
    if neighborhood is not None:
        liaisons = liaisons.filter(neighborhoods=neighborhood)
    return list(liaisons.exclude(email="").distinct().order_by("pk"))


def dedup_key(message: ProgrammeMessage, liaison: Liaison) -> str:
    return f"community:message:{message.pk}:liaison:{liaison.pk}"


def send_message(
    jurisdiction: Jurisdiction,
    actor: User,
    subject: str,
    body: str,
    neighborhood: Neighborhood | None = None,
) -> ProgrammeMessage:
    """Send `subject` and `body` to every active liaison of `neighborhood` (None: the whole program): one
    ProgrammeMessage and one outbox e-mail per liaison, in one transaction. Each e-mail is framed in the
    liaison's own language (what the staff member wrote goes as written)."""
    _require_staff(jurisdiction, actor)
    subject, body = (subject or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = [_("Write a subject.")]
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = [_("Keep the subject under %(limit)d characters.") % {"limit": SUBJECT_MAX}]
    if not body:
        errors["body"] = [_("Write the message.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("Keep the message under %(limit)d characters.") % {"limit": BODY_MAX}]
    if errors:
        raise ValidationError(errors)
    _check_neighborhood(jurisdiction, neighborhood)
    with transaction.atomic():
        liaisons = recipients(jurisdiction, neighborhood)
        if not liaisons:
            field = "neighborhood" if neighborhood is not None else "__all__"
            raise ValidationError({field: [_("No active liaison would receive this message.")]})
        message = ProgrammeMessage.objects.create(
            jurisdiction=jurisdiction,
            neighborhood=neighborhood,
            subject=subject,
            body=body,
            sent_by=actor,
            sent_at=timezone.now(),
            recipients=len(liaisons),
        )
        for liaison in liaisons:
            mail_subject, mail_body = notifications.render(
                "community_programme_message",
                {
                    "liaison": liaison,
                    "message": message,
                    "jurisdiction": jurisdiction,
                    "neighborhood": neighborhood,
                },
                liaison.language,
            )
            notifications.queue(
                channel="email",
                recipient=liaison.email,
                subject=mail_subject,
                body=mail_body,
                dedup_key=dedup_key(message, liaison),
            )
    logger.info("program message %s queued for %d liaisons", message.pk, len(liaisons))
    return message


def record_meeting(
    jurisdiction: Jurisdiction,
    actor: User,
    name: str,
    held_on: dt.date | None,
    neighborhood: Neighborhood | None = None,
    place: str = "",
    attendance: int | None = None,
    notes: str = "",
) -> CommunityMeeting:
    """A community meeting a member of community staff attended (not in the future)."""
    _require_staff(jurisdiction, actor)
    name, place, notes = (name or "").strip(), (place or "").strip(), (notes or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the meeting.")]
    elif len(name) > MEETING_NAME_MAX:
        errors["name"] = [_("Keep the name under %(limit)d characters.") % {"limit": MEETING_NAME_MAX}]
    today = timezone.localdate(timezone=jurisdiction.zone)
    if held_on is None:
        errors["held_on"] = [_("Give the day the meeting was held.")]
    elif held_on > today:
        errors["held_on"] = [_("Record a meeting once it has been held.")]
    if len(place) > PLACE_MAX:
        errors["place"] = [_("Keep the place under %(limit)d characters.") % {"limit": PLACE_MAX}]
    if attendance is not None and attendance < 0:
        errors["attendance"] = [_("The number of people attending cannot be negative.")]
    if errors or held_on is None:
        raise ValidationError(errors)
    _check_neighborhood(jurisdiction, neighborhood)
    return CommunityMeeting.objects.create(
        jurisdiction=jurisdiction,
        neighborhood=neighborhood,
        name=name,
        held_on=held_on,
        place=place,
        attendance=attendance,
        notes=notes,
        recorded_by=actor,
        created_at=timezone.now(),
    )
