"""A youth cohort's before and after surveys: which survey the cohort asks, opening a phase (pinned to
the survey's newest published version, with a random link for the participants' phones or a shared
tablet), closing it, and recording one participant's answers in a phase: on the public link (the
participant picks their name) or typed from a paper form by staff. One answer per participant per phase;
the Response, its Answers and the YouthSurveyResponse are written together, then the participant's
completion is brought up to date (`services.youth.update_completion`).

Who may (staff pages): `roles.may_run_community_programmes`, for their own city. Never logs a name.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.people import roles
from civic311.people.models import User
from civic311.surveys import services as engine
from civic311.surveys.models import Instrument, InstrumentVersion, Question

from .. import instruments as forms_selectors
from ..models import Cohort, Participant, Phase, YouthSurveyResponse
from . import survey_forms, youth

logger = logging.getLogger(__name__)

TOKEN_BYTES = 24


def _require_staff(actor: User | None, cohort: Cohort) -> None:
    roles.require(
        roles.may_run_community_programmes_in(actor, cohort.jurisdiction_id),
        _("Only community staff run the cohorts' surveys."),
    )


def _phase(phase: str) -> Phase:
    if phase not in Phase.values:
        raise ValidationError({"phase": [_("Choose before or after.")]})
    return Phase(phase)


def _version_field(phase: Phase) -> str:
    return "before_version" if phase == Phase.BEFORE else "after_version"


def _token_field(phase: Phase) -> str:
    return "before_survey_token" if phase == Phase.BEFORE else "after_survey_token"


def attach_survey(cohort: Cohort, instrument: Instrument | None, *, actor: User | None) -> Cohort:
    """Choose the survey a cohort asks (None: the city's default youth survey, made on first use). Refused
    once a phase has answers (they stay with the survey they answered) or for a pilot's form."""
    _require_staff(actor, cohort)
    if instrument is None:
        instrument = survey_forms.ensure_youth_survey(cohort.jurisdiction)
    if instrument.jurisdiction_id != cohort.jurisdiction_id:
        raise ValidationError({"survey": [_("Choose one of this city's surveys.")]})
    if forms_selectors.is_pilot_form(instrument):
        raise ValidationError({"survey": [_("This is a pilot's feedback form; choose a youth survey.")]})
    latest = forms_selectors.latest_published(instrument)
    if latest is None:
        raise ValidationError({"survey": [_("Publish this survey before a cohort asks it.")]})
    if latest.questions.filter(kind=Question.Kind.CONTACT_DETAILS).exists():
        raise ValidationError(
            {"survey": [_("A youth survey never asks for contact details: its participants are minors.")]}
        )
    with transaction.atomic():
        current = Cohort.objects.select_for_update().get(pk=cohort.pk)
        if current.survey_id == instrument.pk:
            return current
        if current.before_survey_token or current.after_survey_token:
            raise ValidationError({"survey": [_("Close the open survey before choosing another one.")]})
        if YouthSurveyResponse.objects.filter(participant__cohort=current).exists():
            raise ValidationError(
                {"survey": [_("Participants have already answered this cohort's survey; it can no longer change.")]}
            )
        current.survey = instrument
        current.before_version = current.after_version = None
        current.save(update_fields=["survey", "before_version", "after_version"])
    return current


def _pin(cohort: Cohort, phase: Phase, *, refresh: bool = False) -> InstrumentVersion:
    """The version the phase asks (cohort locked by the caller). Once pinned it stays; only reopening a
    phase nobody has answered yet (`refresh`) moves it to the survey's newest published version."""
    field = _version_field(phase)
    pinned: InstrumentVersion | None = getattr(cohort, field)
    if pinned is not None and (
        not refresh or YouthSurveyResponse.objects.filter(participant__cohort=cohort, phase=phase).exists()
    ):
        return pinned
    if cohort.survey is None:
        cohort.survey = survey_forms.ensure_youth_survey(cohort.jurisdiction)
        cohort.save(update_fields=["survey"])
    newest = forms_selectors.latest_published(cohort.survey)
    if newest is None:
        raise ValidationError(_("Publish the cohort's survey before opening it."))
    if newest.questions.filter(kind=Question.Kind.CONTACT_DETAILS).exists():
        raise ValidationError(_("A youth survey never asks for contact details: its participants are minors."))
    if pinned is None or pinned.pk != newest.pk:
        setattr(cohort, field, newest)
        cohort.save(update_fields=[field])
    return newest


def open_phase(cohort: Cohort, phase: str, *, actor: User | None) -> Cohort:
    """Open a phase's public link, pinned to the survey's newest published version (the cohort's default
    youth survey if none was chosen). Reopening after answers keeps the version they answered."""
    _require_staff(actor, cohort)
    which = _phase(phase)
    with transaction.atomic():
        current = (
            Cohort.objects.select_for_update(of=("self",)).select_related("jurisdiction", "survey").get(pk=cohort.pk)
        )
        if getattr(current, _token_field(which)):
            raise ValidationError(_("This survey is already open."))
        _pin(current, which, refresh=True)
        setattr(current, _token_field(which), secrets.token_urlsafe(TOKEN_BYTES))
        current.save(update_fields=[_token_field(which)])
    logger.info("youth survey opened: cohort %s, %s", current.pk, which.value)
    return current


def close_phase(cohort: Cohort, phase: str, *, actor: User | None) -> Cohort:
    """Close a phase's public link (its version stays pinned; staff may still type paper forms)."""
    _require_staff(actor, cohort)
    which = _phase(phase)
    with transaction.atomic():
        current = Cohort.objects.select_for_update().get(pk=cohort.pk)
        if not getattr(current, _token_field(which)):
            raise ValidationError(_("This survey is not open."))
        setattr(current, _token_field(which), "")
        current.save(update_fields=[_token_field(which)])
    logger.info("youth survey closed: cohort %s, %s", current.pk, which.value)
    return current


def cohort_for_token(token: str) -> tuple[Cohort, Phase] | None:
    """The cohort and phase whose open link is `token`, or None (unknown, or closed)."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    for phase in Phase:
        cohort = Cohort.objects.select_related("jurisdiction").filter(**{_token_field(phase): token}).first()
        if cohort is not None and hmac.compare_digest(getattr(cohort, _token_field(phase)), token):
            return cohort, phase
    return None


def _record(
    cohort: Cohort,
    which: Phase,
    participant: Participant,
    raw: Mapping[str, object],
    *,
    channel: str,
    entered_by: User | None,
    token: str | None,
    now: dt.datetime,
) -> YouthSurveyResponse:
    with transaction.atomic():
        current = (
            Cohort.objects.select_for_update(of=("self",)).select_related("jurisdiction", "survey").get(pk=cohort.pk)
        )
        if token is not None and not (
            getattr(current, _token_field(which)) and hmac.compare_digest(getattr(current, _token_field(which)), token)
        ):
            raise ValidationError(_("This survey is closed."))
        person = Participant.objects.select_for_update().filter(pk=participant.pk, cohort=current).first()
        if person is None or person.anonymised_at is not None:
            raise ValidationError({"participant": [_("Choose a participant of this cohort.")]})
        if YouthSurveyResponse.objects.filter(participant=person, phase=which).exists():
            raise ValidationError(
                {"participant": [_("%(name)s has already answered this survey.") % {"name": person.display_name}]}
            )
        version = _pin(current, which)
        response = engine.record_response(version, raw, jurisdiction=current.jurisdiction, channel=channel, now=now)
        try:
            with transaction.atomic():
                link = YouthSurveyResponse.objects.create(
                    participant=person, phase=which, response=response, entered_by=entered_by
                )
        except IntegrityError as error:  # answered at the same moment on another device
            raise ValidationError(
                {"participant": [_("%(name)s has already answered this survey.") % {"name": person.display_name}]}
            ) from error
        youth.update_completion(person, now=now)
    logger.info("youth survey answered: cohort %s, %s, %s", current.pk, which.value, channel)
    return link


def record_on_link(
    token: str, participant: Participant, raw: Mapping[str, object], *, now: dt.datetime | None = None
) -> YouthSurveyResponse:
    """A participant answers on the phase's open link (channel "web")."""
    found = cohort_for_token(token)
    if found is None:
        raise ValidationError(_("This survey is closed."))
    cohort, which = found
    return _record(
        cohort, which, participant, raw, channel="web", entered_by=None, token=token, now=now or timezone.now()
    )


def record_paper(
    cohort: Cohort,
    phase: str,
    participant: Participant,
    raw: Mapping[str, object],
    *,
    actor: User | None,
    now: dt.datetime | None = None,
) -> YouthSurveyResponse:
    """Staff type one participant's paper form (channel "paper", `entered_by` them); open or closed."""
    _require_staff(actor, cohort)
    which = _phase(phase)
    return _record(
        cohort, which, participant, raw, channel="paper", entered_by=actor, token=None, now=now or timezone.now()
    )
