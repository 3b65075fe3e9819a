"""The Youth Engagement Program's cohorts, for community staff: a cohort (its site, dates and completion
rule), partner organizations, the weekly sessions and their presenters, the participants with their
guardians' consent, each session's register, completion, the city's retention settings and the nightly
retention job.

Participants are minors. Only the fields of `PARTICIPANT_FIELDS` are kept, never public and never logged
(this module logs counts and cohort pks only). After a cohort ends the guardians' contacts are erased, and
later the participants anonymised, on the schedule of the city's `YouthSettings` (`apply_retention`): the
age bands, attendance, survey answers, completion and certificate codes stay, so the figures and the
certificates' verification survive.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from civic311.catalogue.models import Department
from civic311.community.models import (
    AgeBand,
    Attendance,
    Cohort,
    CohortSession,
    ConsentMethod,
    Participant,
    Partner,
    Phase,
    YouthSettings,
    YouthSurveyResponse,
)
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people import roles
from civic311.people.contact_details import (
    is_valid_email,
    normalize_email,
    phone_e164,
    phone_error,
)
from civic311.people.models import User
from civic311.surveys.models import Answer as SurveyAnswer
from civic311.surveys.models import Question

logger = logging.getLogger(__name__)

# Slugs that name other pages under /community/youth/ (the walk, survey and certificate pages are routed
# after the cohorts' own, so a cohort may never be called by one of these).
RESERVED_SLUGS = frozenset({"walk", "survey", "certificates", "new", "settings", "partners"})
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX_CHARS = 200
SLUG_MAX_CHARS = 80
ADDRESS_MAX_CHARS = 300
TOPIC_MAX_CHARS = 300
PRESENTERS_MAX_CHARS = 300
FIRST_NAME_MAX_CHARS = 50
GUARDIAN_MAX_CHARS = 100
CONTACT_MAX_CHARS = 200
PHONE_MAX_CHARS = 40
MAX_SESSIONS_TO_COMPLETE = 100
MAX_SESSIONS = 60
MAX_SETTINGS_DAYS = 3650
# A consent given more than this long before the cohort starts is taken for a mistyped year.
CONSENT_EARLIEST_BEFORE_START = dt.timedelta(days=366)
SEED_SESSIONS = 5  # the seed's cohort: five weekly sessions


def _require_staff(actor: User | None, jurisdiction_id: int) -> None:
    roles.require(
        roles.may_run_community_programmes_in(actor, jurisdiction_id),
        _("Only community staff run the youth program."),
    )


class _Errors:
    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.found.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)

    def too_long(self, name: str, value: str, limit: int) -> bool:
        if len(value) > limit:
            self.add(name, _("Use at most %(count)d characters.") % {"count": limit})
            return True
        return False


def _local_today(jurisdiction: Jurisdiction) -> dt.date:
    return timezone.localdate(timezone=jurisdiction.zone)


# --- completion (called by the register here, and by the surveys' part after an answer) -----------------------


def update_completion(participant: Participant, *, now: dt.datetime | None = None) -> bool:
    """Apply the cohort's completion rule to one participant: at least `sessions_to_complete` sessions
    attended and, if the cohort says so, the after survey answered. Sets `completed_at` (kept if already
    set) or clears it; returns whether the participant has completed. An anonymised participant keeps
    what they had."""
    with transaction.atomic():
        current = Participant.objects.select_for_update().select_related("cohort").get(pk=participant.pk)
        if current.anonymised_at is not None:
            participant.completed_at = current.completed_at
            return current.completed_at is not None
        cohort = current.cohort
        attended = Attendance.objects.filter(participant=current, present=True).count()
        complete = attended >= cohort.sessions_to_complete
        if complete and cohort.after_survey_to_complete:
            complete = YouthSurveyResponse.objects.filter(participant=current, phase=Phase.AFTER).exists()
        if complete and current.completed_at is None:
            current.completed_at = now or timezone.now()
            current.save(update_fields=["completed_at"])
        elif not complete and current.completed_at is not None:
            current.completed_at = None
            current.save(update_fields=["completed_at"])
    participant.completed_at = current.completed_at
    return complete


def update_cohort_completion(cohort: Cohort, *, now: dt.datetime | None = None) -> int:
    """Apply the completion rule to every participant of the cohort; how many have completed."""
    now = now or timezone.now()
    return (
        sum(
            update_completion(participant, now=now)
            for participant in Participant.objects.filter(cohort=cohort, anonymised_at__isnull=True)
        )
        + Participant.objects.filter(cohort=cohort, anonymised_at__isnull=False, completed_at__isnull=False).count()
    )


# --- partners --------------------------------------------------------------------------------------------------


@dataclass
class PartnerData:
    name: str
    website: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""


def _check_partner(jurisdiction_id: int, data: PartnerData, partner: Partner | None) -> None:
    errors = _Errors()
    name = data.name.strip()
    if not name:
        errors.add("name", _("Give the organization's name."))
    elif not errors.too_long("name", name, NAME_MAX_CHARS):
        same = Partner.objects.filter(jurisdiction_id=jurisdiction_id, name__iexact=name)
        if partner is not None:
            same = same.exclude(pk=partner.pk)
        if same.exists():
            errors.add("name", _("A partner of this city has this name already."))
    website = data.website.strip()
    if website and not website.startswith(("https://", "http://")):
        errors.add("website", _("Enter a link that starts with https://."))
    errors.too_long("website", website, NAME_MAX_CHARS)
    errors.too_long("contact_name", data.contact_name.strip(), NAME_MAX_CHARS)
    email = data.contact_email.strip()
    if email and not is_valid_email(email):
        errors.add("contact_email", _("Enter an e-mail address such as name@example.com."))
    if data.contact_phone.strip() and not phone_e164(data.contact_phone):
        errors.add("contact_phone", phone_error(optional=True))
    errors.raise_any()


def _apply_partner(partner: Partner, data: PartnerData) -> None:
    partner.name = data.name.strip()
    partner.website = data.website.strip()
    partner.contact_name = data.contact_name.strip()
    partner.contact_email = normalize_email(data.contact_email) if data.contact_email.strip() else ""
    partner.contact_phone = phone_e164(data.contact_phone) if data.contact_phone.strip() else ""
    partner.notes = data.notes.strip()


def create_partner(jurisdiction: Jurisdiction, data: PartnerData, actor: User | None) -> Partner:
    """A new partner organization of the city (its name unique in the city, whatever the case)."""
    _require_staff(actor, jurisdiction.pk)
    _check_partner(jurisdiction.pk, data, None)
    partner = Partner(jurisdiction=jurisdiction)
    _apply_partner(partner, data)
    partner.save()
    return partner


def change_partner(partner: Partner, data: PartnerData, actor: User | None) -> Partner:
    _require_staff(actor, partner.jurisdiction_id)
    _check_partner(partner.jurisdiction_id, data, partner)
    _apply_partner(partner, data)
    partner.save()
    return partner


def _city_partners(jurisdiction_id: int, partner_ids: Iterable[int]) -> list[Partner] | None:
    """The partners of the city with these pks, or None if one is not the city's."""
    wanted = set(partner_ids)
    found = list(Partner.objects.filter(jurisdiction_id=jurisdiction_id, pk__in=wanted))
    return found if len(found) == len(wanted) else None


def set_cohort_partners(cohort: Cohort, partner_ids: Iterable[int], actor: User | None) -> Cohort:
    """The partner organizations of a cohort (the city's)."""
    _require_staff(actor, cohort.jurisdiction_id)
    partners = _city_partners(cohort.jurisdiction_id, partner_ids)
    if partners is None:
        raise ValidationError({"partners": [_("Choose partners of this city from the list.")]})
    cohort.partners.set(partners)
    return cohort


# --- cohorts -------------------------------------------------------------------------------------------------


@dataclass
class CohortData:
    """A cohort as staff describe it (the slug is given once, when it is created)."""

    name: str
    slug: str
    site_name: str
    site_kind: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    site_address: str = ""
    neighborhood_id: int | None = None
    partner_ids: list[int] = field(default_factory=list)
    sessions_to_complete: int | None = 4
    after_survey_to_complete: bool = False
    signatory_name: str = ""
    signatory_title: str = ""
    second_signatory_name: str = ""
    second_signatory_title: str = ""


def _check_cohort(jurisdiction: Jurisdiction, data: CohortData, cohort: Cohort | None) -> None:
    errors = _Errors()
    name = data.name.strip()
    if not name:
        errors.add("name", _("Give the cohort a name."))
    else:
        errors.too_long("name", name, NAME_MAX_CHARS)
    if cohort is None:
        slug = data.slug.strip().lower()
        if not slug:
            errors.add("slug", _("Give the cohort a short name for its address (letters, digits and hyphens)."))
        elif not errors.too_long("slug", slug, SLUG_MAX_CHARS):
            if not SLUG_PATTERN.match(slug):
                errors.add("slug", _("Use only lowercase letters, digits and single hyphens, such as harding-2026."))
            elif slug in RESERVED_SLUGS:
                errors.add("slug", _("“%(slug)s” names another page; choose another short name.") % {"slug": slug})
            elif Cohort.objects.filter(jurisdiction=jurisdiction, slug=slug).exists():
                errors.add("slug", _("Another cohort of this city has this short name."))
    if not data.site_name.strip():
        errors.add("site_name", _("Name the school or center where the cohort meets."))
    else:
        errors.too_long("site_name", data.site_name.strip(), NAME_MAX_CHARS)
    errors.too_long("site_address", data.site_address.strip(), ADDRESS_MAX_CHARS)
    if data.site_kind not in Cohort.SiteKind.values:
        errors.add("site_kind", _("Choose the kind of site."))
    if (
        data.neighborhood_id is not None
        and not Neighborhood.objects.filter(pk=data.neighborhood_id, jurisdiction=jurisdiction).exists()
    ):
        errors.add("neighborhood", _("Choose a neighborhood of this city from the list."))
    if data.starts_on is None:
        errors.add("starts_on", _("Enter the cohort's first day."))
    if data.ends_on is None:
        errors.add("ends_on", _("Enter the cohort's last day."))
    elif data.starts_on is not None and data.ends_on < data.starts_on:
        errors.add("ends_on", _("The last day cannot be before the first day."))
    elif cohort is not None and data.starts_on is not None:
        zone = jurisdiction.zone
        outside = [
            session.number
            for session in cohort.sessions.all()
            if not data.starts_on <= timezone.localtime(session.starts_at, zone).date() <= data.ends_on
        ]
        if outside:
            errors.add(
                "ends_on",
                _("Sessions %(numbers)s fall outside these dates; change them first.")
                % {"numbers": ", ".join(str(number) for number in outside)},
            )
    if data.sessions_to_complete is None or data.sessions_to_complete < 1:
        errors.add("sessions_to_complete", _("A participant completes after attending at least one session."))
    elif data.sessions_to_complete > MAX_SESSIONS_TO_COMPLETE:
        errors.add("sessions_to_complete", _("That is more sessions than a cohort can have."))
    if _city_partners(jurisdiction.pk, data.partner_ids) is None:
        errors.add("partners", _("Choose partners of this city from the list."))
    errors.too_long("signatory_name", data.signatory_name.strip(), NAME_MAX_CHARS)
    errors.too_long("signatory_title", data.signatory_title.strip(), NAME_MAX_CHARS)
    errors.too_long("second_signatory_name", data.second_signatory_name.strip(), NAME_MAX_CHARS)
    errors.too_long("second_signatory_title", data.second_signatory_title.strip(), NAME_MAX_CHARS)
    if data.second_signatory_name.strip() and not data.signatory_name.strip():
        errors.add("signatory_name", _("Name the first signatory before a second one."))
    errors.raise_any()


def _apply_cohort(cohort: Cohort, data: CohortData) -> None:
    assert data.starts_on is not None and data.ends_on is not None and data.sessions_to_complete is not None
    cohort.name = data.name.strip()
    cohort.site_name = data.site_name.strip()
    cohort.site_kind = data.site_kind
    cohort.site_address = data.site_address.strip()
    cohort.neighborhood_id = data.neighborhood_id
    cohort.starts_on = data.starts_on
    cohort.ends_on = data.ends_on
    cohort.sessions_to_complete = data.sessions_to_complete
    cohort.after_survey_to_complete = data.after_survey_to_complete
    cohort.signatory_name = data.signatory_name.strip()
    cohort.signatory_title = data.signatory_title.strip()
    cohort.second_signatory_name = data.second_signatory_name.strip()
    cohort.second_signatory_title = data.second_signatory_title.strip()


def create_cohort(
    jurisdiction: Jurisdiction, data: CohortData, actor: User | None, *, now: dt.datetime | None = None
) -> Cohort:
    """A new cohort of the city; its creator is its coordinator."""
    _require_staff(actor, jurisdiction.pk)
    _check_cohort(jurisdiction, data, None)
    with transaction.atomic():
        cohort = Cohort(
            jurisdiction=jurisdiction,
            slug=data.slug.strip().lower(),
            created_by=actor,
            coordinator=actor,
            created_at=now or timezone.now(),
        )
        _apply_cohort(cohort, data)
        cohort.save()
        cohort.partners.set(_city_partners(jurisdiction.pk, data.partner_ids) or [])
    return cohort


def change_cohort(cohort: Cohort, data: CohortData, actor: User | None, *, now: dt.datetime | None = None) -> Cohort:
    """Change a cohort (not its short name). A changed rule is applied to every participant at once."""
    _require_staff(actor, cohort.jurisdiction_id)
    with transaction.atomic():
        current = Cohort.objects.select_for_update().select_related("jurisdiction").get(pk=cohort.pk)
        _check_cohort(current.jurisdiction, data, current)
        rule_before = (current.sessions_to_complete, current.after_survey_to_complete)
        _apply_cohort(current, data)
        current.save()
        current.partners.set(_city_partners(current.jurisdiction_id, data.partner_ids) or [])
        if rule_before != (current.sessions_to_complete, current.after_survey_to_complete):
            update_cohort_completion(current, now=now)
    return current


# --- sessions ------------------------------------------------------------------------------------------------


@dataclass
class SessionData:
    number: int | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    topic: str
    department_ids: list[int] = field(default_factory=list)
    partner_ids: list[int] = field(default_factory=list)
    other_presenters: str = ""
    has_field_walk: bool = False


def _check_session(cohort: Cohort, data: SessionData, session: CohortSession | None) -> None:
    errors = _Errors()
    if data.number is None or data.number < 1:
        errors.add("number", _("Number the session 1 or more."))
    elif data.number > MAX_SESSIONS:
        errors.add("number", _("A cohort has at most %(count)d sessions.") % {"count": MAX_SESSIONS})
    else:
        same = CohortSession.objects.filter(cohort=cohort, number=data.number)
        if session is not None:
            same = same.exclude(pk=session.pk)
        if same.exists():
            errors.add("number", _("This cohort has a session %(number)d already.") % {"number": data.number})
    if data.starts_at is None:
        errors.add("starts_at", _("Enter when the session starts."))
    else:
        day = timezone.localtime(data.starts_at, cohort.jurisdiction.zone).date()
        if not cohort.starts_on <= day <= cohort.ends_on:
            errors.add(
                "starts_at",
                _("The session must fall within the cohort's dates, %(first)s to %(last)s.")
                % {"first": date_format(cohort.starts_on), "last": date_format(cohort.ends_on)},
            )
    if data.ends_at is None:
        errors.add("ends_at", _("Enter when the session ends."))
    elif data.starts_at is not None and data.ends_at <= data.starts_at:
        errors.add("ends_at", _("The session must end after it starts."))
    elif data.starts_at is not None and data.ends_at - data.starts_at > dt.timedelta(hours=12):
        errors.add("ends_at", _("A session lasts at most twelve hours."))
    topic = data.topic.strip()
    if not topic:
        errors.add("topic", _("Give the session's topic."))
    else:
        errors.too_long("topic", topic, TOPIC_MAX_CHARS)
    errors.too_long("other_presenters", data.other_presenters.strip(), PRESENTERS_MAX_CHARS)
    wanted = set(data.department_ids)
    if Department.objects.filter(jurisdiction_id=cohort.jurisdiction_id, pk__in=wanted).count() != len(wanted):
        errors.add("presenting_departments", _("Choose departments of this city from the list."))
    if _city_partners(cohort.jurisdiction_id, data.partner_ids) is None:
        errors.add("presenting_partners", _("Choose partners of this city from the list."))
    errors.raise_any()


def _save_session(session: CohortSession, data: SessionData) -> None:
    assert data.number is not None and data.starts_at is not None and data.ends_at is not None
    session.number = data.number
    session.starts_at = data.starts_at
    session.ends_at = data.ends_at
    session.topic = data.topic.strip()
    session.other_presenters = data.other_presenters.strip()
    session.has_field_walk = data.has_field_walk
    session.save()
    session.presenting_departments.set(
        Department.objects.filter(jurisdiction_id=session.cohort.jurisdiction_id, pk__in=set(data.department_ids))
    )
    partners = _city_partners(session.cohort.jurisdiction_id, data.partner_ids) or []
    session.presenting_partners.set(partners)
    if partners:  # a partner presenting at a session is one of the cohort's partners
        session.cohort.partners.add(*partners)


def create_session(cohort: Cohort, data: SessionData, actor: User | None) -> CohortSession:
    """A new session of the cohort (its number unique in the cohort, its day within the cohort's dates)."""
    _require_staff(actor, cohort.jurisdiction_id)
    with transaction.atomic():
        current = Cohort.objects.select_for_update().select_related("jurisdiction").get(pk=cohort.pk)
        _check_session(current, data, None)
        session = CohortSession(cohort=current)
        _save_session(session, data)
    return session


def change_session(session: CohortSession, data: SessionData, actor: User | None) -> CohortSession:
    _require_staff(actor, session.cohort.jurisdiction_id)
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().select_related("jurisdiction").get(pk=session.cohort_id)
        current = CohortSession.objects.select_related("cohort").get(pk=session.pk)
        current.cohort = cohort
        _check_session(cohort, data, current)
        _save_session(current, data)
    return current


def seed_topics() -> list[str]:
    """The seed's five weekly sessions (Philly311's first cohort), in the active language."""
    return [
        _("What 311 is and how to use it; reporting on a field walk"),
        _("Partners' programs: how young people serve their city"),
        _("City departments at work: how a request is worked"),
        _("What happened to the requests we filed"),
        _("Final presentations and graduation"),
    ]


def create_weekly_sessions(
    cohort: Cohort,
    first_starts_at: dt.datetime | None,
    duration_minutes: int | None,
    actor: User | None,
    *,
    count: int = SEED_SESSIONS,
) -> list[CohortSession]:
    """The seed's schedule at once: `count` weekly sessions from the first one's day and time (the same
    local time each week), numbered 1 to `count`, the first with a field walk; topics to change later.
    Only for a cohort with no sessions yet."""
    _require_staff(actor, cohort.jurisdiction_id)
    errors = _Errors()
    if first_starts_at is None:
        errors.add("first_starts_at", _("Enter when the first session starts."))
    if duration_minutes is None or not 15 <= duration_minutes <= 720:
        errors.add("duration_minutes", _("A session lasts between 15 minutes and twelve hours."))
    if not 1 <= count <= MAX_SESSIONS:
        errors.add("count", _("A cohort has at most %(count)d sessions.") % {"count": MAX_SESSIONS})
    errors.raise_any()
    assert first_starts_at is not None and duration_minutes is not None
    topics = seed_topics()
    with transaction.atomic():
        current = Cohort.objects.select_for_update().select_related("jurisdiction").get(pk=cohort.pk)
        if current.sessions.exists():
            raise ValidationError({"first_starts_at": [_("This cohort has sessions already; add them one by one.")]})
        zone = current.jurisdiction.zone
        local = timezone.localtime(first_starts_at, zone)
        made = []
        for index in range(count):
            day = local.date() + dt.timedelta(weeks=index)
            starts_at = dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone)
            data = SessionData(
                number=index + 1,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=duration_minutes),
                topic=topics[index] if index < len(topics) else _("Session %(number)d") % {"number": index + 1},
                has_field_walk=index == 0,
            )
            try:
                _check_session(current, data, None)
            except ValidationError as error:
                messages = error.message_dict.get("starts_at") or error.messages
                raise ValidationError(
                    {
                        "first_starts_at": [
                            _("Session %(number)d would not fit: %(reason)s")
                            % {"number": index + 1, "reason": messages[0]}
                        ]
                    }
                ) from None
            session = CohortSession(cohort=current)
            _save_session(session, data)
            made.append(session)
    return made


# --- participants --------------------------------------------------------------------------------------------


@dataclass
class ParticipantData:
    """What may be kept about a participant (`PARTICIPANT_FIELDS`), as staff type it."""

    first_name: str
    last_initial: str
    age_band: str
    guardian_name: str
    consent_method: str
    consented_on: dt.date | None
    guardian_contact: str = ""


def _contact(value: str) -> str | None:
    """A guardian's contact as kept: an e-mail address or a phone number (E.164); None if it is neither."""
    value = value.strip()
    if "@" in value:
        return normalize_email(value) if is_valid_email(value) else None
    return phone_e164(value) or None


def _check_participant(cohort: Cohort, data: ParticipantData, today: dt.date) -> tuple[str, str, dt.date]:
    """The checked initial, contact and consent date as kept; raises the errors keyed by field."""
    errors = _Errors()
    first_name = data.first_name.strip()
    if not first_name:
        errors.add("first_name", _("Enter the participant's first name."))
    elif not errors.too_long("first_name", first_name, FIRST_NAME_MAX_CHARS) and (
        any(character.isdigit() for character in first_name) or "@" in first_name
    ):
        errors.add("first_name", _("Enter a first name only."))
    initial = data.last_initial.strip().rstrip(".").strip().upper()
    if len(initial) != 1 or not initial.isalpha():
        errors.add("last_initial", _("Enter one letter: the first letter of the last name."))
    if data.age_band not in AgeBand.values:
        errors.add("age_band", _("Choose the participant's age band."))
    guardian = data.guardian_name.strip()
    if not guardian:
        errors.add("guardian_name", _("Enter the name of the parent or guardian who consented."))
    else:
        errors.too_long("guardian_name", guardian, GUARDIAN_MAX_CHARS)
    contact = ""
    if data.guardian_contact.strip():
        if cohort.guardian_contacts_erased_at is not None:
            errors.add("guardian_contact", _("This cohort's guardians' contacts were erased; leave this empty."))
        elif not errors.too_long("guardian_contact", data.guardian_contact.strip(), CONTACT_MAX_CHARS):
            found = _contact(data.guardian_contact)
            if found is None:
                errors.add("guardian_contact", _("Enter a phone number or an e-mail address."))
            else:
                contact = found
    if data.consent_method not in ConsentMethod.values:
        errors.add("consent_method", _("Choose how the guardian consented."))
    if data.consented_on is None:
        errors.add("consented_on", _("Enter the day the guardian consented."))
    elif data.consented_on > today:
        errors.add("consented_on", _("The consent date cannot be in the future."))
    elif data.consented_on < cohort.starts_on - CONSENT_EARLIEST_BEFORE_START:
        errors.add("consented_on", _("That is more than a year before the cohort starts; check the year."))
    errors.raise_any()
    assert data.consented_on is not None
    return initial, contact, data.consented_on


def _locked_cohort(cohort_pk: int) -> Cohort:
    return Cohort.objects.select_for_update().select_related("jurisdiction").get(pk=cohort_pk)


def add_participant(
    cohort: Cohort, data: ParticipantData, actor: User | None, *, now: dt.datetime | None = None
) -> Participant:
    """A participant of the cohort, with their guardian's consent. Refused once the cohort is anonymised."""
    _require_staff(actor, cohort.jurisdiction_id)
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked_cohort(cohort.pk)
        if current.anonymised_at is not None:
            raise ValidationError(_("This cohort's participants were anonymised; no one can be added."))
        initial, contact, consented_on = _check_participant(
            current, data, timezone.localdate(now, timezone=current.jurisdiction.zone)
        )
        participant = Participant.objects.create(
            cohort=current,
            first_name=data.first_name.strip(),
            last_initial=initial,
            age_band=data.age_band,
            guardian_name=data.guardian_name.strip(),
            guardian_contact=contact,
            consent_method=data.consent_method,
            consented_on=consented_on,
            consent_recorded_by=actor,
            created_at=now,
        )
        update_completion(participant, now=now)
    return participant


def change_participant(
    participant: Participant, data: ParticipantData, actor: User | None, *, now: dt.datetime | None = None
) -> Participant:
    """Correct a participant's details or their guardian's consent (not once anonymised)."""
    _require_staff(actor, participant.cohort.jurisdiction_id)
    now = now or timezone.now()
    with transaction.atomic():
        cohort = _locked_cohort(participant.cohort_id)
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if current.anonymised_at is not None or cohort.anonymised_at is not None:
            raise ValidationError(_("This participant was anonymised; their details cannot be changed."))
        initial, contact, consented_on = _check_participant(
            cohort, data, timezone.localdate(now, timezone=cohort.jurisdiction.zone)
        )
        consent_changed = (current.guardian_name, current.consent_method, current.consented_on) != (
            data.guardian_name.strip(),
            data.consent_method,
            data.consented_on,
        )
        current.first_name = data.first_name.strip()
        current.last_initial = initial
        current.age_band = data.age_band
        current.guardian_name = data.guardian_name.strip()
        current.guardian_contact = contact
        current.consent_method = data.consent_method
        current.consented_on = consented_on
        if consent_changed:
            current.consent_recorded_by = actor
        current.save()
    return current


def remove_participant(participant: Participant, actor: User | None) -> None:
    """Remove a participant whose guardian withdrew consent: the participant, their attendance and their
    survey answers are deleted (their field walk requests stay, no longer tied to them)."""
    _require_staff(actor, participant.cohort.jurisdiction_id)
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        responses = [link.response for link in YouthSurveyResponse.objects.filter(participant=current)]
        cohort_pk = current.cohort_id
        current.delete()
        for response in responses:
            response.delete()
    logger.info("youth participant removed from cohort %s", cohort_pk)


# --- attendance ----------------------------------------------------------------------------------------------


def record_attendance(
    session: CohortSession, present_ids: Iterable[int], actor: User | None, *, now: dt.datetime | None = None
) -> int:
    """The register of a session: one row per participant of the cohort, present if their pk is in
    `present_ids`, absent otherwise; all at once (or none), and the same register twice changes nothing.
    Completion is then applied to everyone. Returns how many were present. Refused before the session
    begins and once the cohort is anonymised."""
    _require_staff(actor, session.cohort.jurisdiction_id)
    now = now or timezone.now()
    present = set(present_ids)
    with transaction.atomic():
        cohort = _locked_cohort(session.cohort_id)
        current = CohortSession.objects.get(pk=session.pk)
        if cohort.anonymised_at is not None:
            raise ValidationError(_("This cohort's participants were anonymised; its registers are closed."))
        if current.starts_at > now:
            raise ValidationError(_("The register can be taken once the session has begun."))
        participants = list(Participant.objects.filter(cohort=cohort, anonymised_at__isnull=True))
        if present - {participant.pk for participant in participants}:
            raise ValidationError({"present": [_("Choose participants of this cohort from the register.")]})
        existing = {row.participant_id: row for row in Attendance.objects.filter(session=current)}
        for participant in participants:
            is_present = participant.pk in present
            row = existing.get(participant.pk)
            if row is None:
                Attendance.objects.create(
                    session=current, participant=participant, present=is_present, recorded_by=actor, recorded_at=now
                )
            elif row.present != is_present:
                row.present = is_present
                row.recorded_by = actor
                row.recorded_at = now
                row.save(update_fields=["present", "recorded_by", "recorded_at"])
        for participant in participants:
            update_completion(participant, now=now)
    logger.info("youth register saved: cohort %s session %s, %d present", cohort.pk, current.number, len(present))
    return len(present)


# --- the city's settings and the retention job ---------------------------------------------------------------


def settings_for(jurisdiction: Jurisdiction) -> YouthSettings:
    """The city's youth program settings (made with the defaults the first time)."""
    found, _created = YouthSettings.objects.get_or_create(jurisdiction=jurisdiction)
    return found


def change_settings(
    jurisdiction: Jurisdiction, guardian_contact_days: int | None, retention_days: int | None, actor: User | None
) -> YouthSettings:
    """How long after a cohort ends its guardians' contacts are kept, and its participants until they are
    anonymised (at least as long: anonymising erases the contacts too)."""
    _require_staff(actor, jurisdiction.pk)
    errors = _Errors()
    if guardian_contact_days is None or not 0 <= guardian_contact_days <= MAX_SETTINGS_DAYS:
        errors.add("guardian_contact_days", _("Enter a number of days from 0 to %(max)d.") % {"max": MAX_SETTINGS_DAYS})
    if retention_days is None or not 0 <= retention_days <= MAX_SETTINGS_DAYS:
        errors.add("retention_days", _("Enter a number of days from 0 to %(max)d.") % {"max": MAX_SETTINGS_DAYS})
    elif guardian_contact_days is not None and retention_days < guardian_contact_days:
        errors.add(
            "retention_days",
            _("Participants are anonymised no sooner than the guardians' contacts are erased."),
        )
    errors.raise_any()
    assert guardian_contact_days is not None and retention_days is not None
    with transaction.atomic():
        found = settings_for(jurisdiction)
        found.guardian_contact_days = guardian_contact_days
        found.retention_days = retention_days
        found.save(update_fields=["guardian_contact_days", "retention_days"])
    return found


@dataclass
class RetentionCounts:
    contacts_erased: int = 0  # participants whose guardian's contact was erased
    cohorts_contacts_erased: int = 0  # cohorts marked now
    participants_anonymised: int = 0
    cohorts_anonymised: int = 0  # cohorts marked now


def _retain_city(jurisdiction: Jurisdiction, today: dt.date | None, now: dt.datetime, counts: RetentionCounts) -> None:
    rules = settings_for(jurisdiction)
    today = today or _local_today(jurisdiction)
    # A cohort's time is up when the day `ends_on + days` has passed.
    contacts_due = today - dt.timedelta(days=rules.guardian_contact_days + 1)
    anonymise_due = today - dt.timedelta(days=rules.retention_days + 1)
    cohorts = Cohort.objects.filter(jurisdiction=jurisdiction, ends_on__lte=contacts_due).filter(
        Q(guardian_contacts_erased_at__isnull=True)
        | Q(participants__guardian_contact__gt="")
        | Q(ends_on__lte=anonymise_due, anonymised_at__isnull=True)
        | Q(ends_on__lte=anonymise_due, participants__anonymised_at__isnull=True)
    )
    for cohort_pk in sorted(set(cohorts.values_list("pk", flat=True))):
        with transaction.atomic():
            cohort = Cohort.objects.select_for_update().get(pk=cohort_pk)
            erased = Participant.objects.filter(cohort=cohort).exclude(guardian_contact="").update(guardian_contact="")
            counts.contacts_erased += erased
            if cohort.guardian_contacts_erased_at is None:
                cohort.guardian_contacts_erased_at = now
                cohort.save(update_fields=["guardian_contacts_erased_at"])
                counts.cohorts_contacts_erased += 1
            # The program is over: its public links (which list the participants' names) close for good.
            Cohort.objects.filter(pk=cohort.pk).update(before_survey_token="", after_survey_token="")
            CohortSession.objects.filter(cohort=cohort).exclude(walk_token="").update(
                walk_token="", walk_closes_at=None
            )
            anonymised = 0
            if cohort.ends_on <= anonymise_due:
                anonymised = Participant.objects.filter(cohort=cohort, anonymised_at__isnull=True).update(
                    first_name="", last_initial="", guardian_name="", guardian_contact="", anonymised_at=now
                )
                counts.participants_anonymised += anonymised
                # A child's own words may name them: the free-text answers go with the names.
                SurveyAnswer.objects.filter(
                    response__youth_response__participant__cohort=cohort, question__kind=Question.Kind.FREE_TEXT
                ).exclude(value="").update(value="")
                if cohort.anonymised_at is None:
                    cohort.anonymised_at = now
                    cohort.save(update_fields=["anonymised_at"])
                    counts.cohorts_anonymised += 1
        logger.info(
            "youth retention: cohort %s, %d guardian contacts erased, %d participants anonymised",
            cohort_pk,
            erased,
            anonymised,
        )


def apply_retention(
    jurisdiction_or_all: Jurisdiction | None, *, today: dt.date | None = None, now: dt.datetime | None = None
) -> RetentionCounts:
    """The nightly retention job, for one city or (None) every city: for each cohort whose last day plus
    the city's `guardian_contact_days` has passed, erase the guardians' contacts, close the cohort's public
    links (and mark the cohort); for each whose last day plus `retention_days` has passed, anonymise the
    participants (first name, last initial, guardian's name and contact emptied, free-text survey answers
    blanked; age band, attendance, the other answers, completion and certificate code kept) and mark it.
    `today` is each city's own day unless given. Nothing else is touched; running it twice changes nothing
    more."""
    now = now or timezone.now()
    counts = RetentionCounts()
    cities = [jurisdiction_or_all] if jurisdiction_or_all is not None else list(Jurisdiction.objects.all())
    for jurisdiction in cities:
        _retain_city(jurisdiction, today, now, counts)
    return counts
