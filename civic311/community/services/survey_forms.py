"""The community programs' survey instruments: the city's default youth survey (made once, version 1
published), and the editor's rules for any community instrument (a cohort's survey, a pilot's feedback
form): open a draft (a copy of the latest version), add, change, remove and reorder questions of the six
kinds with their English text and Spanish translation, publish it (then it is frozen).

A youth survey never asks for contact details (its participants are minors). A pilot form's dimensions
are pairs: a rating `<code>` (scale of 1 to 5) and its comment `<code>_comment` (free text), added and
removed together. Who may: `roles.may_run_community_programmes`, for their own city.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User
from civic311.surveys import services as engine
from civic311.surveys.models import Instrument, InstrumentVersion, Question

from .. import instruments as forms_selectors
from ..instruments import COMMENT_SUFFIX, YOUTH_SURVEY_SLUG

TEXT_MAX = 500
CHOICE_MAX = 200
CHOICES_MAX = 20
CODE_MAX = 40
DIMENSION_CODE_MAX = CODE_MAX - len(COMMENT_SUFFIX)
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# (key, English, Spanish) of a choice; a question is (code, kind, required, English, Spanish, choices).
Choice = tuple[str, str, str]


def _line_name(jurisdiction: Jurisdiction) -> str:
    # The city's own name for its line only where it is its name (Philly311); elsewhere the neutral "311".
    return "Philly311" if jurisdiction.name.strip().lower() == "philadelphia" else "311"


def _youth_questions(jurisdiction: Jurisdiction) -> list[tuple[str, str, bool, str, str, list[Choice]]]:
    line = _line_name(jurisdiction)
    return [
        ("knows_311", Question.Kind.YES_NO, True, f"Do you know what {line} is?", f"¿Sabes qué es {line}?", []),
        (
            "knows_jbc",
            Question.Kind.YES_NO,
            True,
            "Do you know about the Junior Block Captains?",
            "¿Conoces a los Junior Block Captains (capitanes de cuadra juveniles)?",
            [],
        ),
        (
            "wants_jbc",
            Question.Kind.YES_NO,
            True,
            "Are you interested in becoming a Junior Block Captain?",
            "¿Te interesa ser Junior Block Captain?",
            [],
        ),
        (
            "app_comfort",
            Question.Kind.SCALE_1_5,
            True,
            f"How comfortable are you reporting a problem with the {line} app? (1 = not at all, 5 = very)",
            f"¿Qué tan cómodo te sientes al reportar un problema con la aplicación de {line}? (1 = nada, 5 = mucho)",
            [],
        ),
        (
            "city_does",
            Question.Kind.MULTIPLE_CHOICE,
            False,
            "What does city government do? Choose all that apply.",
            "¿Qué hace el gobierno de la ciudad? Elige todas las que correspondan.",
            [
                ("trash", "Trash collection", "Recolección de basura"),
                ("snow", "Snow removal", "Remoción de nieve"),
                ("schools", "Schools", "Escuelas"),
                ("police", "Police", "Policía"),
                ("parks", "Parks", "Parques"),
                ("dont_know", "I don't know", "No sé"),
            ],
        ),
        (
            "want_to_learn",
            Question.Kind.FREE_TEXT,
            False,
            "What would you like to learn?",
            "¿Qué te gustaría aprender?",
            [],
        ),
    ]


def _require_staff(actor: User | None, jurisdiction_id: int) -> None:
    roles.require(
        roles.may_run_community_programmes_in(actor, jurisdiction_id),
        _("Only community staff edit the community programs' surveys."),
    )


def _require_community(instrument: Instrument) -> None:
    if instrument.pk not in {
        *forms_selectors.youth_instrument_ids(instrument.jurisdiction_id),
        *forms_selectors.pilot_form_ids(instrument.jurisdiction_id),
    }:
        raise ValidationError(_("This survey is not one of the community programs' surveys."))


def _draft(instrument: Instrument) -> InstrumentVersion:
    draft = forms_selectors.draft_of(instrument)
    if draft is None:
        raise ValidationError(_("Open a draft first: published versions never change."))
    return draft


# The default youth survey in the residents' other languages (drafts, like the catalogues: docs/languages.md).
YOUTH_SURVEY_TRANSLATIONS = Path(__file__).resolve().parent.parent / "data" / "youth_survey_translations.json"


def _youth_survey_languages() -> dict[str, dict[str, Any]]:
    """{language: {question code: {"text", "choices"}}} from the data file (none when it is missing)."""
    try:
        languages: dict[str, dict[str, Any]] = json.loads(YOUTH_SURVEY_TRANSLATIONS.read_text(encoding="utf-8"))[
            "languages"
        ]
        return languages
    except FileNotFoundError:
        return {}


def _youth_translations(languages: dict[str, dict[str, Any]], code: str, line: str) -> dict[str, dict[str, object]]:
    """A default youth question's texts in the languages beyond Spanish, with the city's line named."""
    found: dict[str, dict[str, object]] = {}
    for language, questions in languages.items():
        texts = questions.get(code) or {}
        if texts.get("text"):
            found[language] = {"text": texts["text"].replace("{line}", line)}
            if texts.get("choices"):
                found[language]["choices"] = dict(texts["choices"])
    return found


def _translations(text_es: str, choices: Sequence[Choice]) -> dict[str, dict[str, object]]:
    spanish: dict[str, object] = {}
    if text_es:
        spanish["text"] = text_es
    labels = {key: es for key, _en, es in choices if es}
    if labels:
        spanish["choices"] = labels
    return {"es": spanish} if spanish else {}


def _check_texts(text: str, text_es: str, errors: dict[str, list[str]]) -> tuple[str, str]:
    text, text_es = " ".join((text or "").split()), " ".join((text_es or "").split())
    if not text:
        errors.setdefault("text", []).append(_("Write the question in English."))
    elif len(text) > TEXT_MAX:
        errors.setdefault("text", []).append(_("Keep the question under %(max)s characters.") % {"max": TEXT_MAX})
    if len(text_es) > TEXT_MAX:
        errors.setdefault("text_es", []).append(_("Keep the question under %(max)s characters.") % {"max": TEXT_MAX})
    return text, text_es


def _check_choices(kind: str, choices: Sequence[Choice], errors: dict[str, list[str]]) -> list[Choice]:
    if kind not in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE):
        if choices:
            errors.setdefault("choices", []).append(_("Only a choice question has choices."))
        return []
    cleaned = [(key.strip(), " ".join(en.split()), " ".join(es.split())) for key, en, es in choices]
    if len(cleaned) < 2:
        errors.setdefault("choices", []).append(_("A choice question needs at least two choices."))
    elif len(cleaned) > CHOICES_MAX:
        errors.setdefault("choices", []).append(_("Offer at most %(max)s choices.") % {"max": CHOICES_MAX})
    keys = [key for key, _en, _es in cleaned]
    if any(not CODE_PATTERN.match(key) or len(key) > CODE_MAX for key in keys):
        errors.setdefault("choices", []).append(
            _("A choice's key is lower-case letters, digits and underscores, starting with a letter.")
        )
    if len(set(keys)) != len(keys):
        errors.setdefault("choices", []).append(_("Each choice needs its own key."))
    if any(not en or len(en) > CHOICE_MAX or len(es) > CHOICE_MAX for _key, en, es in cleaned):
        errors.setdefault("choices", []).append(
            _("Each choice needs an English label under %(max)s characters.") % {"max": CHOICE_MAX}
        )
    return cleaned


def _check_code(draft: InstrumentVersion, code: str, errors: dict[str, list[str]], *, limit: int = CODE_MAX) -> str:
    code = (code or "").strip()
    if not CODE_PATTERN.match(code) or len(code) > limit:
        errors.setdefault("code", []).append(
            _("Use up to %(max)s lower-case letters, digits and underscores, starting with a letter.") % {"max": limit}
        )
    elif draft.questions.filter(code=code).exists():
        errors.setdefault("code", []).append(_("Another question of this survey has this code."))
    return code


def _check_same_kind_as_before(instrument: Instrument, code: str, kind: str, errors: dict[str, list[str]]) -> None:
    """A code keeps its kind across versions: the reports compare a question's answers by code, and a yes
    or no compared with a rating means nothing."""
    earlier = (
        Question.objects.filter(version__instrument=instrument, code=code)
        .exclude(kind=kind)
        .values_list("kind", flat=True)
        .first()
    )
    if earlier is not None:
        errors.setdefault("code", []).append(
            _("An earlier version asks “%(code)s” as “%(kind)s”; give this question another code.")
            % {"code": code, "kind": Question.Kind(earlier).label}
        )


def _next_order(draft: InstrumentVersion) -> int:
    last = draft.questions.order_by("-order").values_list("order", flat=True).first()
    return (last or 0) + 1


# --- the default youth survey and which survey a cohort asks ---------------------------------------------


def ensure_youth_survey(jurisdiction: Jurisdiction, *, now: dt.datetime | None = None) -> Instrument:
    """The city's default youth survey (the six questions of the program's own before-and-after survey,
    English and Spanish), made once with version 1 published; later calls return it as it is."""
    with transaction.atomic():
        instrument, created = Instrument.objects.get_or_create(
            jurisdiction=jurisdiction,
            slug=YOUTH_SURVEY_SLUG,
            defaults={
                "name": "Youth Engagement Program survey",
                "purpose": "Asked of each cohort's participants before the program and after it.",
            },
        )
        if created:
            version = InstrumentVersion.objects.create(instrument=instrument, number=1)
            line = _line_name(jurisdiction)
            languages = _youth_survey_languages()  # read once for the six questions
            for order, (code, kind, required, english, spanish, choices) in enumerate(
                _youth_questions(jurisdiction), start=1
            ):
                engine.add_question(
                    version,
                    code=code,
                    kind=kind,
                    text=english,
                    order=order,
                    choices=[{"key": key, "label": en} for key, en, _es in choices],
                    translations={**_youth_translations(languages, code, line), **_translations(spanish, choices)},
                    required=required,
                )
            engine.publish_version(version, now=now)
    return instrument


# --- the editor --------------------------------------------------------------------------------------------


def open_draft(instrument: Instrument, *, actor: User | None) -> InstrumentVersion:
    """A draft of the next version, a copy of the latest (refused while a draft exists)."""
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    return engine.new_draft_version(instrument)


def add_question(
    instrument: Instrument,
    *,
    actor: User | None,
    code: str,
    kind: str,
    text: str,
    text_es: str = "",
    choices: Sequence[Choice] = (),
    required: bool = False,
) -> Question:
    """Add a question at the end of the draft. A youth survey refuses contact details (minors)."""
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    draft = _draft(instrument)
    errors: dict[str, list[str]] = {}
    code = _check_code(draft, code, errors)
    if kind not in Question.Kind.values:
        errors.setdefault("kind", []).append(_("Choose a known kind of question."))
    elif kind == Question.Kind.CONTACT_DETAILS and forms_selectors.is_youth_instrument(instrument):
        errors.setdefault("kind", []).append(
            _("A youth survey never asks for contact details: its participants are minors.")
        )
    if kind in Question.Kind.values and "code" not in errors:
        _check_same_kind_as_before(instrument, code, kind, errors)
    text, text_es = _check_texts(text, text_es, errors)
    cleaned = _check_choices(kind, choices, errors)
    if errors:
        raise ValidationError(errors)
    return engine.add_question(
        draft,
        code=code,
        kind=kind,
        text=text,
        order=_next_order(draft),
        choices=[{"key": key, "label": en} for key, en, _es in cleaned],
        translations=_translations(text_es, cleaned),
        required=required,
    )


def change_question(
    question: Question,
    *,
    actor: User | None,
    text: str,
    text_es: str = "",
    choices: Sequence[Choice] = (),
    required: bool = False,
) -> Question:
    """Change a draft's question: its English text, Spanish translation, choices, whether required (its
    code and kind stay: the before-and-after comparison matches questions by code)."""
    instrument = question.version.instrument
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    errors: dict[str, list[str]] = {}
    text, text_es = _check_texts(text, text_es, errors)
    cleaned = _check_choices(question.kind, choices, errors)
    if errors:
        raise ValidationError(errors)
    # The editor writes English and Spanish. The other languages' texts stay while the English they translate
    # stays; a new English text drops them (they would ask the old question), and the English shows instead.
    others = (
        {
            language: texts
            for language, texts in (question.translations or {}).items()
            if language not in ("en", "es") and isinstance(texts, dict)
        }
        if text == question.text
        else {}
    )
    return engine.change_question(
        question,
        text=text,
        translations={**others, **_translations(text_es, cleaned)},
        choices=[{"key": key, "label": en} for key, en, _es in cleaned],
        required=required,
    )


def _pair_of(question: Question) -> Question | None:
    """The other half of a pilot form's dimension (its rating or its comment), if `question` is one."""
    if not forms_selectors.is_pilot_form(question.version.instrument):
        return None
    if question.kind == Question.Kind.SCALE_1_5:
        return question.version.questions.filter(
            code=question.code + COMMENT_SUFFIX, kind=Question.Kind.FREE_TEXT
        ).first()
    if question.kind == Question.Kind.FREE_TEXT and question.code.endswith(COMMENT_SUFFIX):
        return question.version.questions.filter(
            code=question.code[: -len(COMMENT_SUFFIX)], kind=Question.Kind.SCALE_1_5
        ).first()
    return None


def remove_question(question: Question, *, actor: User | None) -> None:
    """Remove a draft's question (a pilot dimension's rating and comment go together)."""
    instrument = question.version.instrument
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    pair = _pair_of(question)
    with transaction.atomic():
        engine.remove_question(question)
        if pair is not None:
            engine.remove_question(pair)
        _renumber(question.version)


def _renumber(draft: InstrumentVersion) -> None:
    for order, question in enumerate(draft.questions.order_by("order", "pk"), start=1):
        if question.order != order:
            engine.change_question(question, order=order)


def move_question(question: Question, *, actor: User | None, up: bool) -> Question:
    """Move a draft's question one place up or down (a pilot dimension moves with its comment)."""
    instrument = question.version.instrument
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    draft = question.version
    if draft.is_published:
        raise ValidationError(_("This version is published and can no longer change; make a new version."))
    with transaction.atomic():
        ordered = list(draft.questions.order_by("order", "pk"))
        # Blocks: a dimension's rating and comment travel as one.
        blocks: list[list[Question]] = []
        paired = {q.pk: _pair_of(q) for q in ordered}
        placed: set[int] = set()
        for item in ordered:
            if item.pk in placed:
                continue
            partner = paired[item.pk]
            block = [item] + ([partner] if partner is not None and partner.pk not in placed else [])
            block.sort(key=lambda q: q.kind != Question.Kind.SCALE_1_5)
            placed.update(q.pk for q in block)
            blocks.append(block)
        index = next(i for i, block in enumerate(blocks) if question.pk in {q.pk for q in block})
        other = index - 1 if up else index + 1
        if 0 <= other < len(blocks):
            blocks[index], blocks[other] = blocks[other], blocks[index]
        for order, item in enumerate((q for block in blocks for q in block), start=1):
            if item.order != order:
                engine.change_question(item, order=order)
    question.refresh_from_db()
    return question


def add_dimension(
    instrument: Instrument,
    *,
    actor: User | None,
    code: str,
    text: str,
    text_es: str = "",
    comment_text: str = "",
    comment_text_es: str = "",
) -> tuple[Question, Question]:
    """A pilot form's dimension: a rating `<code>` (scale of 1 to 5) and its comment `<code>_comment`."""
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    if not forms_selectors.is_pilot_form(instrument):
        raise ValidationError(_("Only a pilot's feedback form has dimensions."))
    draft = _draft(instrument)
    errors: dict[str, list[str]] = {}
    code = _check_code(draft, code, errors, limit=DIMENSION_CODE_MAX)
    if "code" not in errors and draft.questions.filter(code=code + COMMENT_SUFFIX).exists():
        errors.setdefault("code", []).append(_("Another question of this survey has this code."))
    if "code" not in errors:
        _check_same_kind_as_before(instrument, code, Question.Kind.SCALE_1_5, errors)
    if "code" not in errors:
        _check_same_kind_as_before(instrument, code + COMMENT_SUFFIX, Question.Kind.FREE_TEXT, errors)
    text, text_es = _check_texts(text, text_es, errors)
    comment_text = " ".join((comment_text or "").split()) or "Any comment?"
    comment_text_es = " ".join((comment_text_es or "").split()) or ("¿Algún comentario?" if text_es else "")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        order = _next_order(draft)
        rating = engine.add_question(
            draft,
            code=code,
            kind=Question.Kind.SCALE_1_5,
            text=text,
            order=order,
            translations=_translations(text_es, ()),
            required=True,
        )
        comment = engine.add_question(
            draft,
            code=code + COMMENT_SUFFIX,
            kind=Question.Kind.FREE_TEXT,
            text=comment_text[:TEXT_MAX],
            order=order + 1,
            translations=_translations(comment_text_es[:TEXT_MAX], ()),
        )
    return rating, comment


def remove_dimension(instrument: Instrument, code: str, *, actor: User | None) -> None:
    """Remove a pilot form's dimension: its rating and its comment together."""
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    draft = _draft(instrument)
    rating = draft.questions.filter(code=code, kind=Question.Kind.SCALE_1_5).first()
    if rating is None or _pair_of(rating) is None:
        raise ValidationError(_("This form has no such dimension."))
    remove_question(rating, actor=actor)


def publish(instrument: Instrument, *, actor: User | None, now: dt.datetime | None = None) -> InstrumentVersion:
    """Publish the draft: from now on it is frozen; phases opened later ask it."""
    _require_staff(actor, instrument.jurisdiction_id)
    _require_community(instrument)
    draft = _draft(instrument)
    if (
        forms_selectors.is_youth_instrument(instrument)
        and draft.questions.filter(kind=Question.Kind.CONTACT_DETAILS).exists()
    ):
        raise ValidationError(_("A youth survey never asks for contact details: its participants are minors."))
    return engine.publish_version(draft, now=now)
