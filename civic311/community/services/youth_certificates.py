"""The Youth Engagement Program's certificates of achievement: issued to a cohort's participants who
completed the program, each with a random verification code that the public page
(`youth_certificate_check`) confirms.

A code is ten characters of an alphabet without the look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V), kept
without separators and printed in two groups of five (``K7MQA-X3TRD``); typed back in any case, with spaces
or dashes, it is found all the same (`normalise_code`). Issuing is idempotent: a participant who has a
certificate keeps its code and date. Refused: a participant who has not completed, or who was anonymised
(their certificate would print "Participant 12"), and a cohort with no signatory.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.people import roles
from civic311.people.models import User

from .. import youth_certificate_codes as codes
from ..models import Cohort, Participant
from ..youth_certificate_codes import ALPHABET, CODE_LENGTH, format_code, normalise_code

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "format_code",
    "issue_certificate",
    "issue_certificates",
    "new_code",
    "normalise_code",
    "refusal",
]

_ATTEMPTS = 8


def new_code() -> str:
    """A new random code (`youth_certificate_codes.new_code`; a seam for the tests to force a collision)."""
    return codes.new_code()


def _require_staff(actor: User | None, cohort: Cohort) -> None:
    roles.require(
        roles.may_run_community_programmes_in(actor, cohort.jurisdiction_id),
        _("Only community staff issue the program's certificates."),
    )


def refusal(participant: Participant, cohort: Cohort) -> str:
    """Why this participant may not have a certificate now ("" when they may)."""
    if participant.anonymised_at is not None or cohort.anonymised_at is not None:
        return _("This participant's details were anonymized: no certificate can be issued any more.")
    if participant.completed_at is None:
        return _("Only a participant who completed the program receives a certificate.")
    if not cohort.signatory_name.strip():
        return _("Name who signs the cohort's certificates first (the cohort's settings).")
    return ""


def _issue_locked(participant: Participant, cohort: Cohort, now: dt.datetime) -> Participant:
    """Give the (locked, current) participant a code and a date, unless they already have one."""
    if participant.certificate_code:
        return participant
    problem = refusal(participant, cohort)
    if problem:
        field = "signatory_name" if participant.completed_at is not None and not cohort.signatory_name.strip() else None
        raise ValidationError({field: problem} if field else problem)
    for _attempt in range(_ATTEMPTS):
        code = new_code()
        if Participant.objects.filter(certificate_code=code).exists():
            continue
        try:
            with transaction.atomic():
                Participant.objects.filter(pk=participant.pk).update(certificate_code=code, certificate_issued_at=now)
        except IntegrityError:  # the same code drawn at the same moment elsewhere: draw again
            continue
        participant.certificate_code, participant.certificate_issued_at = code, now
        return participant
    raise RuntimeError("no unused certificate code was found")  # 23**10 codes: never in practice


def issue_certificate(participant: Participant, actor: User | None, *, now: dt.datetime | None = None) -> Participant:
    """Issue the participant's certificate (idempotent: an issued one is returned unchanged)."""
    cohort = participant.cohort
    _require_staff(actor, cohort)
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        issued = _issue_locked(current, Cohort.objects.get(pk=cohort.pk), now)
    participant.certificate_code, participant.certificate_issued_at = (
        issued.certificate_code,
        issued.certificate_issued_at,
    )
    return participant


def issue_certificates(cohort: Cohort, actor: User | None, *, now: dt.datetime | None = None) -> list[Participant]:
    """Issue certificates to every completed participant of the cohort who has none yet (anonymised ones are
    left out); returns the participants newly given one. Refused as a whole when the cohort has no signatory."""
    _require_staff(actor, cohort)
    now = now or timezone.now()
    current_cohort = Cohort.objects.get(pk=cohort.pk)
    if current_cohort.anonymised_at is not None:
        raise ValidationError(_("This cohort's participants were anonymized: no certificate can be issued any more."))
    if not current_cohort.signatory_name.strip():
        raise ValidationError(
            {"signatory_name": _("Name who signs the cohort's certificates first (the cohort's settings).")}
        )
    issued: list[Participant] = []
    with transaction.atomic():
        waiting = (
            Participant.objects.select_for_update()
            .filter(cohort=cohort, completed_at__isnull=False, anonymised_at__isnull=True)
            .filter(certificate_code__isnull=True)
            .order_by("pk")
        )
        for participant in waiting:
            issued.append(_issue_locked(participant, current_cohort, now))
    return issued
