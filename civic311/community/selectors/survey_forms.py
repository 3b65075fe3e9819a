"""Reads of the community programs' survey instruments: which instruments are the programs' (a cohort's
survey, a pilot's feedback form, the city's default youth survey), their versions, their draft, and a
pilot form's dimensions (a rating `<code>` with its comment `<code>_comment`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from civic311.jurisdictions.models import Jurisdiction
from civic311.surveys.models import Instrument, InstrumentVersion

from ..instruments import (
    COMMENT_SUFFIX,
    YOUTH_SURVEY_SLUG,
    community_instruments,
    dimension_codes,
    draft_of,
    is_pilot_form,
    is_youth_instrument,
    latest_published,
    pilot_form_ids,
    youth_instrument_ids,
)
from ..models import Cohort, Phase, PilotAssessment

# The instruments' own reads (`community.instruments`, which the services use too) are read from here as well.
__all__ = [
    "COMMENT_SUFFIX",
    "YOUTH_SURVEY_SLUG",
    "InstrumentRow",
    "VersionUse",
    "community_instruments",
    "dimension_codes",
    "draft_of",
    "instrument_rows",
    "is_pilot_form",
    "is_youth_instrument",
    "latest_published",
    "pilot_form_ids",
    "version_uses",
    "youth_instrument_ids",
]


@dataclass(frozen=True)
class InstrumentRow:
    instrument: Instrument
    is_youth: bool
    is_pilot: bool
    published: InstrumentVersion | None
    draft: InstrumentVersion | None
    used_by: list[str]  # the cohorts and pilots that ask it


def instrument_rows(jurisdiction: Jurisdiction) -> list[InstrumentRow]:
    youth = youth_instrument_ids(jurisdiction.pk)
    pilots = pilot_form_ids(jurisdiction.pk)
    rows = []
    for instrument in community_instruments(jurisdiction):
        used_by = [
            *Cohort.objects.filter(survey=instrument).order_by("-starts_on").values_list("name", flat=True),
            *PilotAssessment.objects.filter(form=instrument).order_by("-starts_on").values_list("name", flat=True),
        ]
        rows.append(
            InstrumentRow(
                instrument=instrument,
                is_youth=instrument.pk in youth,
                is_pilot=instrument.pk in pilots,
                published=latest_published(instrument),
                draft=draft_of(instrument),
                used_by=used_by,
            )
        )
    return rows


@dataclass(frozen=True)
class VersionUse:
    version: InstrumentVersion
    responses: int
    pinned_by: list[tuple[str, str]]  # (a cohort's or pilot's name, the phase pinned to this version)


def version_uses(instrument: Instrument) -> list[VersionUse]:
    """Each version, newest first, with how many answers it holds and which phases are pinned to it."""
    rows = []
    for version in instrument.versions.order_by("-number"):
        pinned: list[tuple[str, str]] = []
        for model in (Cohort, PilotAssessment):
            for name, before, after in model.objects.filter(
                Q(before_version=version) | Q(after_version=version)
            ).values_list("name", "before_version_id", "after_version_id"):
                if before == version.pk:
                    pinned.append((name, str(Phase.BEFORE.label)))
                if after == version.pk:
                    pinned.append((name, str(Phase.AFTER.label)))
        rows.append(VersionUse(version=version, responses=version.responses.count(), pinned_by=pinned))
    return rows
