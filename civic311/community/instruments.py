"""Which of a city's survey instruments are the community programs' (read by both the community's services
and its selectors, so it lives beside them rather than in either: services never import selectors here).

A youth survey is the city's default one or any a cohort asks; a pilot form is any instrument a pilot
assessment references; a pilot form's dimension is a rating `<code>` with its comment `<code>_comment`."""

from __future__ import annotations

from django.db.models import QuerySet

from civic311.jurisdictions.models import Jurisdiction
from civic311.surveys.models import Instrument, InstrumentVersion, Question

from .models import Cohort, PilotAssessment

YOUTH_SURVEY_SLUG = "youth-survey"
COMMENT_SUFFIX = "_comment"


def youth_instrument_ids(jurisdiction_id: int) -> set[int]:
    """The city's youth surveys: the default one and any a cohort asks."""
    asked = Cohort.objects.filter(jurisdiction_id=jurisdiction_id, survey__isnull=False).values_list(
        "survey_id", flat=True
    )
    default = Instrument.objects.filter(jurisdiction_id=jurisdiction_id, slug=YOUTH_SURVEY_SLUG).values_list(
        "pk", flat=True
    )
    return {pk for pk in [*asked, *default] if pk is not None}


def pilot_form_ids(jurisdiction_id: int) -> set[int]:
    """The city's pilot feedback forms: any instrument a pilot assessment references."""
    return {
        pk
        for pk in PilotAssessment.objects.filter(jurisdiction_id=jurisdiction_id, form__isnull=False).values_list(
            "form_id", flat=True
        )
        if pk is not None
    }


def is_youth_instrument(instrument: Instrument) -> bool:
    return instrument.pk in youth_instrument_ids(instrument.jurisdiction_id)


def is_pilot_form(instrument: Instrument) -> bool:
    return instrument.pk in pilot_form_ids(instrument.jurisdiction_id)


def community_instruments(jurisdiction: Jurisdiction) -> QuerySet[Instrument]:
    """The instruments the community programs' editor may change (never the satisfaction survey)."""
    ids = youth_instrument_ids(jurisdiction.pk) | pilot_form_ids(jurisdiction.pk)
    return Instrument.objects.filter(jurisdiction=jurisdiction, pk__in=ids).order_by("name", "pk")


def draft_of(instrument: Instrument) -> InstrumentVersion | None:
    return instrument.versions.filter(published_at__isnull=True).order_by("-number").first()


def latest_published(instrument: Instrument) -> InstrumentVersion | None:
    return instrument.versions.filter(published_at__isnull=False).order_by("-number").first()


def dimension_codes(version: InstrumentVersion) -> list[str]:
    """The codes of a pilot form's dimensions: a scale `<code>` whose free-text comment `<code>_comment`
    is in the same version, in the order asked."""
    questions = list(version.questions.all())
    comments = {q.code for q in questions if q.kind == Question.Kind.FREE_TEXT and q.code.endswith(COMMENT_SUFFIX)}
    return [q.code for q in questions if q.kind == Question.Kind.SCALE_1_5 and q.code + COMMENT_SUFFIX in comments]
