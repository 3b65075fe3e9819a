"""The likely services for a resident's words (and a place, when known), with a calibrated confidence.

The city's active `ServiceModel` answers (method "model"); a city with no trained model yet gets the
keyword baseline (`knowledge.suggestions`, method "keywords"); a text with no words that say anything
(empty, only emoji, only "the of and") gets nothing (method "none"). A person always decides: below the
city's floor (`CIVIC311_SUGGESTION_FLOOR`) the answer is "unsure" and nothing is pre-selected.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

from civic311.catalogue.models import Service
from civic311.catalogue.selectors import service_for_report
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge.suggestions import LITTLE_WORDS, suggest_services

from . import training
from .models import ServiceModel
from .words import fold

log = logging.getLogger(__name__)

# The keyword baseline knows no probabilities: its one answer is shown with this confidence (over the
# default floor: it is the best guess there is, but not calibrated).
KEYWORD_CONFIDENCE = 0.5
# At most this many words are named in an explanation.
WORDS_SHOWN = 3
# How many of the model's ranked services are looked at to find `limit` reportable ones.
RANKED_LOOKED_AT = 12


@dataclass(frozen=True)
class ServiceSuggestion:
    service: Service
    confidence: float  # 0 … 1, calibrated: of suggestions made at 0.8, about 8 in 10 are right
    # Why, for the person who sees it: the words that pointed to it ("pothole", "bache"), translatable
    # sentences built by `explain` in the caller's language.
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestions:
    """The likely services, most likely first (at most `limit`), whether the suggester is unsure (the best
    one's confidence is under the city's floor, or the text says nothing), and which method answered."""

    services: tuple[ServiceSuggestion, ...]
    unsure: bool
    method: str  # "model" (a trained ServiceModel), "keywords" (the baseline: no model yet) or "none" (no words)
    model_version: int | None = None

    @property
    def best(self) -> Service | None:
        """The service to pre-select, or None when unsure: a person picks then."""
        if self.unsure or not self.services:
            return None
        return self.services[0].service


NOTHING = Suggestions(services=(), unsure=True, method="none")


# A "word" longer than this is a run of keys or a link's remains, never a reason to show.
WORD_MAX_CHARS = 30


def content_words(folded: str) -> list[str]:
    """The folded words that may say what a text is about: 2 to 30 letters, not a little word, not a number."""
    return [
        word
        for word in folded.split()
        if 2 <= len(word) <= WORD_MAX_CHARS
        and word not in LITTLE_WORDS
        and not word.isdigit()
        and any(c.isalpha() for c in word)
    ]


class _Block:
    """One TF-IDF feature block (word n-grams or character n-grams) read without scikit-learn's per-call
    checks: the same numbers as its `transform` (sublinear tf, idf, l2 norm), a few microseconds a text."""

    def __init__(self, vectorizer: Any, offset: int) -> None:
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.offset = offset

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for gram in self.analyze(text):
            position = vocabulary.get(gram)
            if position is not None:
                counts[position] = counts.get(position, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        positions = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[positions]
        return positions + self.offset, values / np.linalg.norm(values)


@dataclass(frozen=True)
class _Loaded:
    version: int
    blocks: tuple[_Block, ...]
    weights: np.ndarray  # features x classes
    distinct: np.ndarray  # each class's weights minus the mean of all: what sets it apart
    intercept: np.ndarray
    classes: tuple[str, ...]
    temperature: float
    place: dict[str, Any]

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [block.features(text) for block in self.blocks]
        return np.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])

    def scores(self, text: str) -> np.ndarray:
        positions, values = self.features(text)
        return values @ self.weights[positions] + self.intercept

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        scores = np.vstack([self.scores(text) for text in texts])
        return training.softmax(scores, self.temperature)

    def why(self, words: Sequence[str], position: int) -> tuple[str, ...]:
        """The words that pushed class `position` most (each word read alone, times what sets it apart)."""
        pushes = []
        for word in words:
            positions, values = self.features(word)
            pushes.append(float(values @ self.distinct[positions, position]) if len(positions) else 0.0)
        ranked = sorted(range(len(words)), key=lambda i: -pushes[i])
        return tuple(words[i] for i in ranked[:WORDS_SHOWN] if pushes[i] > 0)


def _load(model_id: int, version: int, sha256: str) -> _Loaded:
    data = bytes(ServiceModel.objects.values_list("artefact", flat=True).get(pk=model_id))
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError("model file does not match its hash")
    state = training.loads(data)
    weights = np.ascontiguousarray(np.asarray(state["coef"], dtype=np.float64).T)
    word, char = training.vectorizers_from(state)
    return _Loaded(
        version=version,
        blocks=(_Block(word, 0), _Block(char, len(word.vocabulary_))),
        weights=weights,
        distinct=np.ascontiguousarray(weights - weights.mean(axis=1, keepdims=True)),
        intercept=np.asarray(state["intercept"], dtype=np.float64),
        classes=tuple(str(code) for code in state["classes"]),
        temperature=float(state["temperature"]),
        place=state.get("place") or {},
    )


def active_model(jurisdiction: Jurisdiction) -> _Loaded | None:
    """The city's model in use, loaded once per process per version; None without one (or an unreadable one)."""
    # One indexed read per call (a fraction of a millisecond): every process sees a newly chosen version at once.
    active = (
        ServiceModel.objects.filter(jurisdiction_id=jurisdiction.pk, active=True)
        .values_list("pk", "version", "artefact_sha256")
        .first()
    )
    if active is None:
        return None
    model_id, version, sha256 = active
    try:
        # Kept by the file's hash: the same file is the same model, whichever row (or test database) holds it.
        state = training.loaded_models.get(sha256, lambda: {"model": _load(model_id, version, sha256)})
    except (ValueError, OSError, KeyError, ServiceModel.DoesNotExist):
        log.exception("text model unreadable: jurisdiction=%s version=%s", jurisdiction.pk, version)
        return None
    loaded: _Loaded = state["model"]
    return loaded


def _services_by_code(jurisdiction: Jurisdiction, codes: Sequence[str], *, only_reportable: bool) -> dict[str, Service]:
    """The services of `codes` that may be suggested: from the catalogue every process keeps for reports
    (forgotten whenever the catalogue changes) when only reportable ones are asked for, else from the database."""
    if not only_reportable:
        return {
            service.code: service
            for service in Service.objects.filter(jurisdiction=jurisdiction, code__in=list(codes), is_active=True)
        }
    found = {}
    for code in codes:
        try:
            found[code] = service_for_report(jurisdiction, code)
        except ValidationError:
            continue  # no longer offered, or information only
    return found


def _by_model(
    jurisdiction: Jurisdiction,
    loaded: _Loaded,
    folded: Sequence[str],
    *,
    lat: float | None,
    long: float | None,
    limit: int,
    only_reportable: bool,
) -> list[Suggestions]:
    probabilities = loaded.probabilities(folded)
    if lat is not None and long is not None and loaded.place:
        probabilities = training.apply_place(probabilities, loaded.place, lat, long)
    order = np.argsort(-probabilities, axis=1)[:, :RANKED_LOOKED_AT]
    codes = sorted({loaded.classes[position] for row in order for position in row})
    services = _services_by_code(jurisdiction, codes, only_reportable=only_reportable)
    floor = float(settings.CIVIC311_SUGGESTION_FLOOR)
    answers = []
    for row, text in enumerate(folded):
        chosen = []
        for position in order[row]:
            service = services.get(loaded.classes[position])
            if service is None:
                continue
            chosen.append((int(position), service))
            if len(chosen) >= limit:
                break
        if not chosen:
            answers.append(Suggestions((), True, "model", loaded.version))
            continue
        words = list(dict.fromkeys(content_words(text)))
        found = tuple(
            ServiceSuggestion(
                service=service,
                confidence=round(float(probabilities[row, position]), 4),
                words=loaded.why(words, position),
            )
            for position, service in chosen
        )
        answers.append(Suggestions(found, found[0].confidence < floor, "model", loaded.version))
    return answers


def _by_keywords(
    jurisdiction: Jurisdiction, folded: Sequence[str], *, language: str | None, only_reportable: bool
) -> list[Suggestions]:
    answers = []
    for text, service in zip(folded, suggest_services(jurisdiction, folded, language=language), strict=True):
        if service is None or (only_reportable and not service.accepts_requests):
            answers.append(Suggestions((), True, "keywords"))
            continue
        described = set(fold(" ".join([service.name, service.keywords, str(service.translations or "")])).split())
        words = tuple(word for word in dict.fromkeys(content_words(text)) if word in described)[:WORDS_SHOWN]
        unsure = float(settings.CIVIC311_SUGGESTION_FLOOR) > KEYWORD_CONFIDENCE
        answers.append(Suggestions((ServiceSuggestion(service, KEYWORD_CONFIDENCE, words),), unsure, "keywords"))
    return answers


def suggest(
    jurisdiction: Jurisdiction,
    text: str,
    *,
    lat: float | None = None,
    long: float | None = None,
    language: str | None = None,
    limit: int = 3,
    only_reportable: bool = True,
) -> Suggestions:
    """The likely services for `text`. Never raises on any text (empty, 10,000 characters, only emoji,
    another language): it answers unsure then."""
    return suggest_many(
        jurisdiction, [text], lat=lat, long=long, language=language, limit=limit, only_reportable=only_reportable
    )[0]


def suggest_many(
    jurisdiction: Jurisdiction,
    texts: Sequence[str],
    *,
    lat: float | None = None,
    long: float | None = None,
    language: str | None = None,
    limit: int = 3,
    only_reportable: bool = True,
) -> list[Suggestions]:
    """`suggest` for several texts at once (one place for all, when given): faster than one at a time."""
    limit = max(1, int(limit))
    folded = [fold(text if isinstance(text, str) else "") for text in texts]
    answers: list[Suggestions | None] = [None if content_words(text) else NOTHING for text in folded]
    asked = [i for i, answer in enumerate(answers) if answer is None]
    if asked:
        loaded = active_model(jurisdiction)
        if loaded is not None:
            found = _by_model(
                jurisdiction,
                loaded,
                [folded[i] for i in asked],
                lat=lat,
                long=long,
                limit=limit,
                only_reportable=only_reportable,
            )
        else:
            found = _by_keywords(
                jurisdiction, [folded[i] for i in asked], language=language, only_reportable=only_reportable
            )
        for i, answer in zip(asked, found, strict=True):
            answers[i] = answer
    return [answer or NOTHING for answer in answers]


def percent_sure(confidence: float) -> int:
    """A confidence as people read it: a whole percent, never 0 (it was suggested) nor 100 (a suggestion is
    never certain, and a person decides)."""
    return min(99, max(1, round(confidence * 100)))


def explain(suggestion: ServiceSuggestion) -> str:
    """One translatable sentence for the person who sees it: "Suggested because of the words “pothole”,
    “lane” (84 % sure)."""
    percent = percent_sure(suggestion.confidence)
    if not suggestion.words:
        return gettext("Suggested from reports like this one (%(percent)s %% sure).") % {"percent": percent}
    quoted = ", ".join(f"“{word}”" for word in suggestion.words)
    return ngettext(
        "Suggested because of the word %(words)s (%(percent)s %% sure).",
        "Suggested because of the words %(words)s (%(percent)s %% sure).",
        len(suggestion.words),
    ) % {"words": quoted, "percent": percent}
