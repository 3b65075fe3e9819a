"""Training for neighborhood liaisons: sessions, registration, attendance, completion, refreshers, and the
one function that gives a liaison's account its access (`sync_access`).

A liaison is active once they complete an initial training; a refresher is then due after
`settings.CIVIC311_LIAISON_REFRESHER_MONTHS` months (from each completed training). The daily sweep
(`lapse_overdue`) makes a liaison whose refresher is overdue lapsed; completing a refresher (or a training)
makes them active again. Their account holds the liaison role, for their neighborhoods, exactly while
they are active: every change of status or neighborhoods here calls `sync_access`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.community import emails
from civic311.community.models import Liaison, TrainingRegistration, TrainingSession
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.notifications import services as notifications
from civic311.people import roles
from civic311.people.models import User
from civic311.people.services import set_liaison_neighborhoods

logger = logging.getLogger(__name__)

CERTIFICATE_PREFIX = "NLP"
TITLE_MAX_CHARS = 200
PLACE_MAX_CHARS = 300
TRAINER_MAX_CHARS = 200


# --- access ------------------------------------------------------------------------------------------------


def sync_access(liaison: Liaison) -> None:
    """Make the liaison's account hold the liaison role for exactly their neighborhoods while active, and
    none otherwise. The one place access follows the program: call it after any change of either."""
    active = liaison.status == Liaison.Status.ACTIVE
    set_liaison_neighborhoods(liaison.user, list(liaison.neighborhoods.all()) if active else [])


def _require_staff(actor: User | None, jurisdiction_id: int) -> None:
    roles.require(
        roles.may_run_community_programmes_in(actor, jurisdiction_id),
        _("Only community staff run the liaisons' trainings."),
    )


def _require_for_liaison(actor: User | None, liaison: Liaison) -> None:
    roles.require(
        roles.may_manage_liaison_training(actor, liaison.user_id, liaison.status != Liaison.Status.WITHDRAWN)
        and roles.sees_jurisdiction(actor, liaison.jurisdiction_id),
        _("Only community staff, or the liaison themselves, may do this."),
    )


def set_neighborhoods(liaison: Liaison, neighborhoods: Iterable[Neighborhood], actor: User | None) -> Liaison:
    """Change the neighborhoods a liaison serves (at least one, of their city); their access follows."""
    _require_staff(actor, liaison.jurisdiction_id)
    chosen = list(neighborhoods)
    if not chosen:
        raise ValidationError({"neighborhoods": [_("Choose at least one neighborhood.")]})
    if any(neighborhood.jurisdiction_id != liaison.jurisdiction_id for neighborhood in chosen):
        raise ValidationError({"neighborhoods": [_("Choose neighborhoods of this city from the list.")]})
    with transaction.atomic():
        current = Liaison.objects.select_for_update().select_related("user").get(pk=liaison.pk)
        current.neighborhoods.set(chosen)
        sync_access(current)
    return current


# --- sessions ---------------------------------------------------------------------------------------------


@dataclass
class SessionData:
    """A training session as staff describe it."""

    title: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    trainer: str
    capacity: int | None
    language: str
    kind: str = TrainingSession.Kind.INITIAL
    place: str = ""
    online_url: str = ""


def _check_session(data: SessionData, session: TrainingSession | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not data.title.strip():
        add("title", _("Give the session a title."))
    elif len(data.title.strip()) > TITLE_MAX_CHARS:
        add("title", _("Use at most %(count)d characters.") % {"count": TITLE_MAX_CHARS})
    if data.kind not in TrainingSession.Kind.values:
        add("kind", _("Choose initial training or refresher."))
    if data.starts_at is None:
        add("starts_at", _("Enter when the session starts."))
    if data.ends_at is None:
        add("ends_at", _("Enter when the session ends."))
    elif data.starts_at is not None and data.ends_at <= data.starts_at:
        add("ends_at", _("The session must end after it starts."))
    if not data.place.strip() and not data.online_url.strip():
        add("place", _("Give a place, an online link, or both."))
    if len(data.place.strip()) > PLACE_MAX_CHARS:
        add("place", _("Use at most %(count)d characters.") % {"count": PLACE_MAX_CHARS})
    url = data.online_url.strip()
    if url and not (url.startswith(("https://", "http://"))):
        add("online_url", _("Enter a link that starts with https://."))
    if not data.trainer.strip():
        add("trainer", _("Name the trainer."))
    elif len(data.trainer.strip()) > TRAINER_MAX_CHARS:
        add("trainer", _("Use at most %(count)d characters.") % {"count": TRAINER_MAX_CHARS})
    if data.capacity is None or data.capacity < 1:
        add("capacity", _("A session has room for at least one liaison."))
    elif session is not None and data.capacity < session.registrations.count():
        add("capacity", _("More liaisons are registered than that; take some off the session first."))
    if not data.language.strip() or len(data.language.strip()) > 10:
        add("language", _("Choose the language the session is given in."))
    return errors


def _apply(session: TrainingSession, data: SessionData) -> None:
    assert data.starts_at is not None and data.ends_at is not None and data.capacity is not None
    session.title = data.title.strip()
    session.kind = data.kind
    session.starts_at = data.starts_at
    session.ends_at = data.ends_at
    session.place = data.place.strip()
    session.online_url = data.online_url.strip()
    session.trainer = data.trainer.strip()
    session.capacity = data.capacity
    session.language = data.language.strip()


def create_session(jurisdiction: Jurisdiction, data: SessionData, actor: User | None) -> TrainingSession:
    """A new training session of the city."""
    _require_staff(actor, jurisdiction.pk)
    errors = _check_session(data, None)
    if errors:
        raise ValidationError(errors)
    session = TrainingSession(jurisdiction=jurisdiction, created_by=actor)
    _apply(session, data)
    session.save()
    return session


def change_session(session: TrainingSession, data: SessionData, actor: User | None) -> TrainingSession:
    """Change a session that is not cancelled; its registered liaisons are told of a new time or place."""
    _require_staff(actor, session.jurisdiction_id)
    with transaction.atomic():
        current = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if current.cancelled_at is not None:
            raise ValidationError({"session": [_("This session was cancelled.")]})
        errors = _check_session(data, current)
        if errors:
            raise ValidationError(errors)
        before = (current.starts_at, current.ends_at, current.place, current.online_url)
        _apply(current, data)
        current.save()
        if before != (current.starts_at, current.ends_at, current.place, current.online_url):
            stamp = int(timezone.now().timestamp())
            for registration in current.registrations.select_related("liaison"):
                _tell(registration.liaison, "session_changed", {"session": current}, f"changed:{current.pk}:{stamp}")
    _copy(current, session)
    return session


def cancel_session(session: TrainingSession, actor: User | None, *, now: dt.datetime | None = None) -> TrainingSession:
    """Cancel a session; every liaison registered for it is told."""
    _require_staff(actor, session.jurisdiction_id)
    now = now or timezone.now()
    with transaction.atomic():
        current = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if current.cancelled_at is not None:
            raise ValidationError({"session": [_("This session was cancelled already.")]})
        if current.registrations.filter(completed_at__isnull=False).exists():
            raise ValidationError({"session": [_("Liaisons completed this session; it cannot be cancelled.")]})
        current.cancelled_at = now
        current.save(update_fields=["cancelled_at"])
        for registration in current.registrations.select_related("liaison"):
            _tell(registration.liaison, "session_cancelled", {"session": current}, f"cancelled:{current.pk}")
    _copy(current, session)
    return session


def _copy(current: TrainingSession, session: TrainingSession) -> None:
    for model_field in TrainingSession._meta.concrete_fields:
        setattr(session, model_field.attname, getattr(current, model_field.attname))


# --- registration -------------------------------------------------------------------------------------------


def register(
    session: TrainingSession, liaison: Liaison, actor: User | None, *, now: dt.datetime | None = None
) -> TrainingRegistration:
    """A place for the liaison in a session that is not cancelled, not begun and not full."""
    _require_for_liaison(actor, liaison)
    now = now or timezone.now()
    with transaction.atomic():
        current = TrainingSession.objects.select_for_update().get(pk=session.pk)  # one seat at a time
        liaison = Liaison.objects.get(pk=liaison.pk)
        errors: list[str] = []
        if liaison.status == Liaison.Status.WITHDRAWN:
            errors.append(_("This liaison has left the program."))
        if liaison.jurisdiction_id != current.jurisdiction_id:
            errors.append(_("This session is another city's."))
        if current.cancelled_at is not None:
            errors.append(_("This session was cancelled."))
        elif current.starts_at <= now:
            errors.append(_("This session has begun or is over."))
        if current.kind == TrainingSession.Kind.REFRESHER and liaison.status == Liaison.Status.ACCEPTED:
            errors.append(_("A refresher is for trained liaisons; register for an initial training first."))
        if current.registrations.filter(liaison=liaison).exists():
            errors.append(_("This liaison is registered for this session already."))
        elif current.registrations.count() >= current.capacity:
            errors.append(_("This session is full."))
        if errors:
            raise ValidationError({"session": errors})
        registration = TrainingRegistration.objects.create(session=current, liaison=liaison, registered_at=now)
        _tell(liaison, "registered", {"session": current}, f"registered:{registration.pk}")
    return registration


def unregister(registration: TrainingRegistration, actor: User | None, *, now: dt.datetime | None = None) -> None:
    """Take a liaison off a session that has not begun."""
    now = now or timezone.now()
    registration = TrainingRegistration.objects.select_related("session", "liaison").get(pk=registration.pk)
    _require_for_liaison(actor, registration.liaison)
    if registration.session.starts_at <= now:
        raise ValidationError({"session": [_("This session has begun or is over.")]})
    registration.delete()


def record_attendance(
    session: TrainingSession,
    attended: Mapping[Liaison | int, bool],
    actor: User | None,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Take the register of a session that has begun: {liaison (or its id): whether they came}. Returns how
    many registrations were recorded; a completed one keeps its attendance."""
    _require_staff(actor, session.jurisdiction_id)
    now = now or timezone.now()
    by_id = {key if isinstance(key, int) else key.pk: bool(value) for key, value in attended.items()}
    with transaction.atomic():
        current = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if current.cancelled_at is not None:
            raise ValidationError({"session": [_("This session was cancelled.")]})
        if current.starts_at > now:
            raise ValidationError({"session": [_("Take the register once the session has begun.")]})
        registrations = {r.liaison_id: r for r in current.registrations.all()}
        unknown = set(by_id) - set(registrations)
        if unknown:
            raise ValidationError({"attended": [_("Only liaisons registered for the session can attend it.")]})
        changed = 0
        for liaison_id, came in by_id.items():
            registration = registrations[liaison_id]
            if registration.completed_at is not None:
                if not came:
                    raise ValidationError({"attended": [_("A liaison who completed the session attended it.")]})
                continue
            if registration.attended != came:
                registration.attended = came
                registration.save(update_fields=["attended"])
            changed += 1
    return changed


# --- completion, refreshers, lapses ----------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has fewer: 31 January + 1 → 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_certificate_number(jurisdiction: Jurisdiction, year: int) -> str:
    Jurisdiction.objects.select_for_update().filter(pk=jurisdiction.pk).first()  # one number at a time
    prefix = f"{CERTIFICATE_PREFIX}-{year}-"
    numbers = TrainingRegistration.objects.filter(
        session__jurisdiction=jurisdiction, certificate_number__startswith=prefix
    ).values_list("certificate_number", flat=True)
    highest = max((int(number[len(prefix) :]) for number in numbers if number[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{highest + 1:06d}"


def complete(
    registration: TrainingRegistration, actor: User | None, *, now: dt.datetime | None = None
) -> TrainingRegistration:
    """Mark an attended registration completed: its certificate number, the liaison active (an initial
    training, or a refresher), their refresher due date moved on, and an e-mail with the certificate."""
    now = now or timezone.now()
    with transaction.atomic():
        current = (
            TrainingRegistration.objects.select_for_update()
            .select_related("session", "session__jurisdiction")
            .get(pk=registration.pk)
        )
        session = current.session
        _require_staff(actor, session.jurisdiction_id)
        liaison = Liaison.objects.select_for_update().get(pk=current.liaison_id)
        if current.completed_at is not None:
            raise ValidationError({"registration": [_("This training was completed already.")]})
        if current.attended is not True:
            raise ValidationError({"registration": [_("Only a liaison who attended can complete the training.")]})
        if session.cancelled_at is not None:
            raise ValidationError({"registration": [_("This session was cancelled.")]})
        if liaison.status == Liaison.Status.WITHDRAWN:
            raise ValidationError({"registration": [_("This liaison has left the program.")]})
        jurisdiction = session.jurisdiction
        completed_on = timezone.localdate(now, timezone=jurisdiction.zone)
        current.completed_at = now
        current.certificate_number = _next_certificate_number(jurisdiction, completed_on.year)
        current.save(update_fields=["completed_at", "certificate_number"])
        liaison.status = Liaison.Status.ACTIVE
        if liaison.trained_at is None:
            liaison.trained_at = now
        liaison.lapsed_at = None
        liaison.refresher_due_on = add_months(completed_on, settings.CIVIC311_LIAISON_REFRESHER_MONTHS)
        liaison.save(update_fields=["status", "trained_at", "lapsed_at", "refresher_due_on"])
        sync_access(liaison)
        _tell(
            liaison,
            "training_completed",
            {
                "session": session,
                "registration": current,
                "certificate_url": emails.link(jurisdiction, reverse("community:certificate", args=[current.pk])),
                "dashboard_url": emails.link(jurisdiction, reverse("liaison:dashboard")),
            },
            f"completed:{current.pk}",
        )
    logger.info("training registration %s completed (liaison %s active)", current.pk, liaison.pk)
    registration.completed_at, registration.certificate_number = current.completed_at, current.certificate_number
    return registration


def lapse_overdue(jurisdiction: Jurisdiction, today: dt.date) -> int:
    """Active liaisons of the city whose refresher was due before `today` become lapsed and lose their
    access (until they complete a refresher). Safe to run twice; returns how many lapsed."""
    overdue = Liaison.objects.filter(
        jurisdiction=jurisdiction, status=Liaison.Status.ACTIVE, refresher_due_on__lt=today
    ).values_list("pk", flat=True)
    lapsed = 0
    for pk in list(overdue):
        with transaction.atomic():
            liaison = Liaison.objects.select_for_update().select_related("user", "jurisdiction").get(pk=pk)
            if liaison.status != Liaison.Status.ACTIVE or liaison.refresher_due_on is None:
                continue
            if liaison.refresher_due_on >= today:
                continue
            liaison.status = Liaison.Status.LAPSED
            liaison.lapsed_at = timezone.now()
            liaison.save(update_fields=["status", "lapsed_at"])
            sync_access(liaison)
            _tell(
                liaison,
                "lapsed",
                {"due_on": liaison.refresher_due_on},
                f"lapsed:{liaison.pk}:{liaison.refresher_due_on}",
            )
            lapsed += 1
    if lapsed:
        logger.info("%d liaisons of %s lapsed (refresher overdue)", lapsed, jurisdiction.slug)
    return lapsed


def withdraw(liaison: Liaison, actor: User | None, *, now: dt.datetime | None = None) -> Liaison:
    """The liaison leaves the program (they asked, or staff record it): no more access, and their places in
    sessions not yet begun are given back."""
    _require_for_liaison(actor, liaison)
    now = now or timezone.now()
    with transaction.atomic():
        current = Liaison.objects.select_for_update().select_related("user").get(pk=liaison.pk)
        if current.status == Liaison.Status.WITHDRAWN:
            raise ValidationError({"status": [_("This liaison has left the program already.")]})
        leave_programme(current, now)
    liaison.status, liaison.withdrawn_at = current.status, current.withdrawn_at
    logger.info("liaison %s withdrew", current.pk)
    return liaison


def leave_programme(liaison: Liaison, now: dt.datetime) -> None:
    """What leaving does, for a liaison the caller has locked and may withdraw (`withdraw`, or privacy's
    erasure on the resident's request): status and moment, places in sessions not begun given back, access
    removed. In the caller's transaction."""
    liaison.status = Liaison.Status.WITHDRAWN
    liaison.withdrawn_at = now
    liaison.save(update_fields=["status", "withdrawn_at"])
    liaison.trainings.filter(session__starts_at__gt=now, completed_at__isnull=True).delete()
    sync_access(liaison)


def _tell(liaison: Liaison, template: str, context: dict[str, object], dedup: str) -> None:
    jurisdiction = liaison.jurisdiction
    subject, body = emails.render(
        template,
        {
            "liaison": liaison,
            "jurisdiction": jurisdiction,
            "trainings_url": emails.link(jurisdiction, reverse("liaison:trainings")),
            **context,
        },
        liaison.language,
    )
    notifications.queue(
        channel=notifications.Channel.EMAIL,
        recipient=liaison.email,
        subject=subject,
        body=body,
        dedup_key=f"liaison-training:{dedup}",
    )
