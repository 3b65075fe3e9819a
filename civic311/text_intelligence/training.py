"""Training the city's service suggester: from its catalogue (names, keywords, descriptions, questions,
in every language it has), its knowledge base and its history of descriptions; evaluated on held-out
history; kept as a new `ServiceModel` version.

The model is a linear one over TF-IDF features of the folded text (`words.fold`): word 1-2-grams and
character 2-5-grams inside words (typos and Spanish endings still share most of their pieces), fitted by
stochastic gradient descent with a logistic loss. Its scores become probabilities through a softmax whose
temperature is fitted on the newest history it was not trained on, so that a "0.8" is right about 8 times
in 10 (the evaluation keeps the reliability table that shows it). A place prior (the service mix of the
H3 area a request was made in) nudges the words, never swamps them.

The artefact is a skops file of plain arrays, dicts and the two fitted vectorizers: it is loaded with an
explicit list of trusted types (`TRUSTED_TYPES`), never pickle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import h3
import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge.models import Article
from civic311.people import roles
from civic311.process_cache import ProcessCache
from civic311.service_requests.models import ServiceRequest

from .models import ServiceModel
from .words import fold

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

# scikit-learn, SciPy and skops are imported where a model is fitted, saved or loaded, not at the top: every
# process imports this module (through the pages that suggest), and those libraries cost seconds to import.

log = logging.getLogger(__name__)

ARTEFACT_FORMAT = 1
# History read: the newest descriptions, at most this many in all and per service (a city's 50,000 requests
# train in a few seconds; the newest say best how residents write now).
HISTORY_MAX = 30_000
HISTORY_PER_SERVICE_MAX = 4_000
# The newest share of history is held out to evaluate and calibrate; with fewer texts than this, no evaluation.
HELD_OUT_SHARE = 0.15
HELD_OUT_MIN = 40
# A description this many days old weighs half as much as today's (never less than half).
RECENCY_DAYS = 365.0
# Catalogue and article texts are few and written with care: each weighs this many history texts.
CATALOGUE_WEIGHT = 3.0
ARTICLE_WEIGHT = 1.5
# The place prior: H3 cells this coarse (about 5 km²), and how much the area's service mix may move the
# words' probabilities (a factor between 1/PLACE_MAX_FACTOR and PLACE_MAX_FACTOR before renormalising).
PLACE_RESOLUTION = 7
PLACE_WEIGHT = 0.5
PLACE_MAX_FACTOR = 2.0
PLACE_MIN_REQUESTS = 30
# The softmax temperatures tried when calibrating (a narrower range keeps a small held-out set from making
# it absurdly sure or unsure).
TEMPERATURE_RANGE = (0.5, 10.0)
# Reliability table bins for the evaluation.
CALIBRATION_BINS = 10

# Texts about no service at all (greetings, thanks, questions, spam), learnt as one more "class" that is
# never suggested: a text like them leaves every service's confidence low (unsure) instead of giving the
# whole probability to whichever service shares a few letters with it.
NO_SERVICE = "~no-service"
NO_SERVICE_WEIGHT = 2.0
NO_SERVICE_TEXTS = (
    "hi",
    "hello",
    "hey there",
    "good morning",
    "good afternoon",
    "ok",
    "okay",
    "thanks",
    "thank you",
    "thank you so much",
    "thanks for your help",
    "thank you for fixing it so fast",
    "great job",
    "great job guys",
    "you guys are awesome",
    "love this city",
    "i love philly",
    "have a nice day",
    "lol",
    "lmao",
    "haha",
    "omg",
    "yes",
    "no",
    "test",
    "testing",
    "asdf",
    "???",
    "wrong number sorry",
    "never mind",
    "nevermind, already fixed",
    "it's fixed now, thanks",
    "the crew came and fixed it, thank you",
    "what are your hours",
    "what time do you open",
    "when does city hall open",
    "how do i pay my water bill",
    "how do i pay a parking ticket",
    "where do i get a permit",
    "who do i call about my taxes",
    "can i speak to a person",
    "is anyone there",
    "what is the phone number for the police",
    "how do i apply for a job with the city",
    "where can i vote",
    "how do i get a copy of my birth certificate",
    "follow us for more",
    "click here to win",
    "buy cheap followers",
    "free crypto giveaway",
    "check out my page",
    "happy holidays everyone",
    "go birds",
    "go eagles",
    "nice weather today",
    "congrats to the team",
    "hola",
    "buenos dias",
    "buenas tardes",
    "gracias",
    "muchas gracias",
    "gracias por su ayuda",
    "muy buen trabajo",
    "excelente servicio",
    "ya lo arreglaron, gracias",
    "que tengan buen dia",
    "si",
    "vale",
    "cual es el horario",
    "a que hora abren",
    "como pago mi factura de agua",
    "donde pago una multa",
    "con quien hablo sobre mis impuestos",
    "hay alguien ahi",
    "numero equivocado, perdon",
    "como solicito un trabajo con la ciudad",
    "donde puedo votar",
    "feliz navidad a todos",
)

# Every type a saved model holds: skops loads nothing else (a tampered file fails instead of running code).
# The vectorizers are saved as their vocabularies and weights and rebuilt from `_vectorizers()` on load.
TRUSTED_TYPES = [
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.tuple",
    "numpy.dtype",
    "numpy.ndarray",
]


@dataclass(frozen=True)
class _Example:
    text: str  # folded
    code: str
    weight: float


@dataclass(frozen=True)
class _Past:
    text: str  # folded
    code: str
    at: dt.datetime
    lat: float | None
    long: float | None


# --- what it learns from ---------------------------------------------------------------------------------


def _texts_of(item: Any, fields: Sequence[str]) -> list[str]:
    """The item's `fields` in English and in every language of its translations."""
    found = [str(getattr(item, field, "") or "") for field in fields]
    translations = item.translations if isinstance(getattr(item, "translations", None), dict) else {}
    for texts in translations.values():
        if isinstance(texts, dict):
            found.extend(str(texts.get(field) or "") for field in fields)
    return [text for text in found if text.strip()]


def _keywords_of(service: Service) -> list[str]:
    """The service's keywords, English and any translated lists (`translations.<lang>.keywords`)."""
    found = service.keyword_list()
    translations = service.translations if isinstance(service.translations, dict) else {}
    for texts in translations.values():
        if isinstance(texts, dict) and isinstance(texts.get("keywords"), str):
            found.extend(word.strip() for word in texts["keywords"].split(",") if word.strip())
    return found


def catalogue_examples(services: Iterable[Service]) -> list[_Example]:
    """Each service's name, description, keywords (each one alone too) and questions, in every language."""
    services = list(services)
    examples: list[_Example] = []
    value_counts: Counter[str] = Counter()
    per_service_values: dict[str, list[str]] = {}
    for service in services:
        values: list[str] = []
        for attribute in service.attributes.all():
            for value in attribute.values.all():
                values.extend(fold(text) for text in _texts_of(value, ("name",)))
        per_service_values[service.code] = values
        value_counts.update(set(values))
    for service in services:
        names = [fold(text) for text in _texts_of(service, ("name",))]
        descriptions = [fold(text) for text in _texts_of(service, ("description",))]
        keywords = [fold(word) for word in _keywords_of(service)]
        for text in [*names, *keywords]:
            if text:
                examples.append(_Example(text, service.code, CATALOGUE_WEIGHT))
        for name, description in zip(names, descriptions, strict=False):
            examples.append(_Example(f"{name} {description}".strip(), service.code, CATALOGUE_WEIGHT))
        if keywords:
            examples.append(_Example(" ".join(keywords), service.code, CATALOGUE_WEIGHT))
        questions: list[str] = []
        for attribute in service.attributes.all():
            questions.extend(fold(text) for text in _texts_of(attribute, ("description",)))
        # A choice shared by several services ("yes", "other") says nothing about which one it is.
        own_values = [value for value in per_service_values[service.code] if value_counts[value] <= 2]
        attribute_text = " ".join([*questions, *own_values]).strip()
        if attribute_text:
            examples.append(_Example(attribute_text, service.code, CATALOGUE_WEIGHT / 2))
    return [example for example in examples if example.text]


def article_examples(jurisdiction: Jurisdiction) -> list[_Example]:
    """Each published article linked to exactly one or two services: its title and summary (every language)."""
    examples: list[_Example] = []
    articles = (
        Article.objects.filter(jurisdiction=jurisdiction, status=Article.Status.PUBLISHED)
        .prefetch_related("services", "translations")
        .order_by("pk")
    )
    for article in articles:
        codes = [service.code for service in article.services.all()]
        if not codes or len(codes) > 2:
            continue
        for translation in article.translations.all():
            text = fold(f"{translation.title} {translation.summary}")
            if text:
                examples.extend(_Example(text, code, ARTICLE_WEIGHT) for code in codes)
    return examples


def history(jurisdiction: Jurisdiction, codes: Iterable[str]) -> list[_Past]:
    """The newest non-empty descriptions of requests for `codes`, newest first, capped."""
    rows = (
        ServiceRequest.objects.filter(jurisdiction=jurisdiction, service__code__in=list(codes))
        .exclude(description="")
        .order_by("-requested_at", "-pk")
        .values_list("description", "service__code", "requested_at", "lat", "long")[: HISTORY_MAX * 2]
    )
    per_service: Counter[str] = Counter()
    found: list[_Past] = []
    for description, code, at, lat, long in rows.iterator(chunk_size=5000):
        if per_service[code] >= HISTORY_PER_SERVICE_MAX:
            continue
        text = fold(description)
        if not text:
            continue
        per_service[code] += 1
        found.append(_Past(text, code, at, lat, long))
        if len(found) >= HISTORY_MAX:
            break
    return found


# --- fitting ---------------------------------------------------------------------------------------------


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 -- a word pattern, not a password
        lowercase=False,
        sublinear_tf=True,
        min_df=1,
        max_features=40_000,
        dtype=np.float32,
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        lowercase=False,
        sublinear_tf=True,
        min_df=2,
        max_features=60_000,
        dtype=np.float32,
    )
    return word, char


@dataclass
class _Fitted:
    word: TfidfVectorizer
    char: TfidfVectorizer
    coef: np.ndarray  # classes x features
    intercept: np.ndarray
    classes: list[str]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        from scipy import sparse

        features = sparse.hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        return np.asarray(features @ self.coef.T) + self.intercept


def _merged(examples: Sequence[_Example]) -> list[_Example]:
    """Identical texts for the same service as one example: residents repeat themselves ("pothole"), and a
    text seen n times weighs sqrt(n) times its mean weight (often seen counts, without drowning the rest)."""
    totals: dict[tuple[str, str], list[float]] = {}
    for example in examples:
        totals.setdefault((example.text, example.code), []).append(example.weight)
    return [_Example(text, code, sum(weights) / math.sqrt(len(weights))) for (text, code), weights in totals.items()]


def _fit(examples: Sequence[_Example], *, seed: int = 311) -> _Fitted:
    from scipy import sparse
    from sklearn.linear_model import SGDClassifier

    examples = _merged(examples)
    word, char = _vectorizers()
    texts = [example.text for example in examples]
    features = sparse.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    labels = np.array([example.code for example in examples])
    weights = np.array([example.weight for example in examples], dtype=np.float64)
    classes = sorted(set(labels.tolist()))
    if len(classes) == 1:  # one service: nothing to tell apart; it is always the answer
        coef = np.zeros((1, features.shape[1]), dtype=np.float32)
        return _Fitted(word, char, coef, np.zeros(1, dtype=np.float32), classes)
    model = SGDClassifier(
        loss="log_loss", alpha=5e-5, max_iter=8, tol=None, random_state=seed, average=False, n_jobs=None
    )
    model.fit(features, labels, sample_weight=weights)
    coef = np.asarray(model.coef_, dtype=np.float32)
    intercept = np.asarray(model.intercept_, dtype=np.float32)
    if len(model.classes_) == 2:  # binary: one row of scores; make it two (the other class's is its negative)
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    return _Fitted(word, char, coef, intercept, [str(code) for code in model.classes_])


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    scaled = scores / max(temperature, 1e-3)
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def _shown(classes: Sequence[str]) -> np.ndarray:
    """1 for each service, 0 for the no-service class."""
    return np.array([0.0 if code == NO_SERVICE else 1.0 for code in classes])


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature that makes the held-out answers most likely (negative log-likelihood)."""
    best, best_loss = 1.0, math.inf
    for temperature in np.geomspace(TEMPERATURE_RANGE[0], TEMPERATURE_RANGE[1], 60):
        probabilities = softmax(scores, float(temperature))
        loss = -float(np.mean(np.log(probabilities[np.arange(len(truth)), truth] + 1e-12)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


# --- the place prior -------------------------------------------------------------------------------------


def _cell(lat: float | None, long: float | None, resolution: int = PLACE_RESOLUTION) -> str | None:
    if lat is None or long is None or not (-90 <= lat <= 90 and -180 <= long <= 180):
        return None
    return str(h3.latlng_to_cell(lat, long, resolution))


def place_prior(past: Sequence[_Past], classes: Sequence[str]) -> dict[str, Any]:
    """Per H3 cell with enough requests, the log of how much likelier each service is there than city-wide
    (smoothed, clipped, times PLACE_WEIGHT): added to the words' log-probabilities."""
    index = {code: position for position, code in enumerate(classes)}
    total = np.ones(len(classes), dtype=np.float64)  # add-one
    per_cell: dict[str, np.ndarray] = {}
    for item in past:
        position = index.get(item.code)
        cell = _cell(item.lat, item.long)
        if position is None:
            continue
        total[position] += 1
        if cell is not None:
            per_cell.setdefault(cell, np.zeros(len(classes), dtype=np.float64))[position] += 1
    share = total / total.sum()
    cells, rows = [], []
    smoothing = 20.0
    limit = math.log(PLACE_MAX_FACTOR)
    for cell, counts in sorted(per_cell.items()):
        if counts.sum() < PLACE_MIN_REQUESTS:
            continue
        local = (counts + smoothing * share) / (counts.sum() + smoothing)
        nudge = np.clip(np.log(local / share), -limit, limit) * PLACE_WEIGHT
        nudge[[position for code, position in index.items() if code == NO_SERVICE]] = 0.0  # never in history
        rows.append(nudge)
        cells.append(cell)
    table = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, len(classes)), dtype=np.float32)
    return {"resolution": PLACE_RESOLUTION, "cells": cells, "table": table}


def apply_place(probabilities: np.ndarray, prior: dict[str, Any], lat: float | None, long: float | None) -> np.ndarray:
    cell = _cell(lat, long, int(prior.get("resolution", PLACE_RESOLUTION)))
    cells: list[str] = prior.get("cells", [])
    if cell is None or cell not in cells:
        return probabilities
    row = prior["table"][cells.index(cell)]
    nudged = probabilities * np.exp(row)
    return nudged / nudged.sum(axis=1, keepdims=True)


# --- evaluating ------------------------------------------------------------------------------------------


def _calibration(confidences: np.ndarray, correct: np.ndarray) -> dict[str, Any]:
    """The reliability table (per confidence band: how many, mean confidence, how many right) and its ECE."""
    table = []
    ece = 0.0
    for band in range(CALIBRATION_BINS):
        low, high = band / CALIBRATION_BINS, (band + 1) / CALIBRATION_BINS
        inside = (confidences >= low) & ((confidences < high) if band < CALIBRATION_BINS - 1 else (confidences <= high))
        count = int(inside.sum())
        if not count:
            continue
        confidence = float(confidences[inside].mean())
        accuracy = float(correct[inside].mean())
        ece += count / len(confidences) * abs(confidence - accuracy)
        table.append(
            {
                "from": round(low, 2),
                "to": round(high, 2),
                "n": count,
                "confidence": round(confidence, 3),
                "accuracy": round(accuracy, 3),
            }
        )
    return {"ece": round(ece, 4), "bins": table}


def _macro_f1(truth: Sequence[int], predicted: Sequence[int]) -> float:
    labels = set(truth)
    scores = []
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def evaluate(probabilities: np.ndarray, truth: np.ndarray, floor: float) -> dict[str, Any]:
    order = np.argsort(-probabilities, axis=1)
    best = order[:, 0]
    confidences = probabilities[np.arange(len(truth)), best]
    correct = best == truth
    top3 = np.any(order[:, :3] == truth[:, None], axis=1)
    sure = confidences >= floor
    return {
        "held_out": len(truth),
        "top1": round(float(correct.mean()), 4),
        "top3": round(float(top3.mean()), 4),
        "macro_f1": round(_macro_f1(truth.tolist(), best.tolist()), 4),
        "unsure_share": round(float(1 - sure.mean()), 4),
        "sure_accuracy": round(float(correct[sure].mean()), 4) if sure.any() else None,
        "floor": floor,
        "calibration": _calibration(confidences, correct),
    }


# --- the models in use -----------------------------------------------------------------------------------

# The loaded models, kept per process by their file's hash (loading takes a fraction of a second): which
# version a city uses is read on every suggestion, so a newly chosen one is used at once everywhere.
loaded_models: ProcessCache[str, dict[str, Any]] = ProcessCache(24 * 3600, maxsize=16)


def forget_cached_model(jurisdiction_id: int | None = None) -> None:
    """Forget the models this process loaded (every city's: they are kept by their file's hash)."""
    loaded_models.forget()


# --- saving ----------------------------------------------------------------------------------------------


def _vectorizer_state(vectorizer: TfidfVectorizer) -> dict[str, Any]:
    vocabulary = vectorizer.vocabulary_
    # One array of strings (a list would be saved element by element).
    terms = np.array(sorted(vocabulary, key=vocabulary.__getitem__), dtype=str)
    return {"terms": terms, "idf": np.asarray(vectorizer.idf_)}


def vectorizer_from(state: dict[str, Any], vectorizer: TfidfVectorizer) -> TfidfVectorizer:
    """`vectorizer` (unfitted, from `_vectorizers()`) given a saved vocabulary and weights."""
    vectorizer.vocabulary_ = {str(term): position for position, term in enumerate(state["terms"])}
    vectorizer.idf_ = np.asarray(state["idf"], dtype=np.float32)
    return vectorizer


def vectorizers_from(state: dict[str, Any]) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    word, char = _vectorizers()
    return vectorizer_from(state["word"], word), vectorizer_from(state["char"], char)


def dumps(fitted: _Fitted, *, temperature: float, prior: dict[str, Any]) -> bytes:
    import skops.io as sio

    state = {
        "format": ARTEFACT_FORMAT,
        "classes": list(fitted.classes),
        "word": _vectorizer_state(fitted.word),
        "char": _vectorizer_state(fitted.char),
        "coef": fitted.coef,
        "intercept": fitted.intercept,
        "temperature": float(temperature),
        "place": prior,
    }
    return sio.dumps(state, compression=8)  # zipfile.ZIP_DEFLATED


def loads(data: bytes) -> dict[str, Any]:
    """A saved model's state; refuses any type not in TRUSTED_TYPES."""
    import skops.io as sio

    untrusted = [name for name in sio.get_untrusted_types(data=data) if name not in TRUSTED_TYPES]
    if untrusted:
        raise ValueError(f"model file holds types it may not: {', '.join(untrusted)}")
    state = sio.loads(data, trusted=TRUSTED_TYPES)
    # skops trusts scikit-learn's own types without being told; a model file here holds none of them.
    strange = _strange_types(state)
    if strange:
        raise ValueError(f"model file holds types it may not: {', '.join(sorted(strange))}")
    if not isinstance(state, dict) or state.get("format") != ARTEFACT_FORMAT:
        raise ValueError("model file of another format")
    return state


def _strange_types(value: object) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_strange_types(key) | _strange_types(item) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return set().union(*(_strange_types(item) for item in value))
    if isinstance(value, str | int | float | np.ndarray | np.generic) or value is None:
        return set()
    return {f"{type(value).__module__}.{type(value).__qualname__}"}


def _services(jurisdiction: Jurisdiction) -> list[Service]:
    return list(
        Service.objects.filter(jurisdiction=jurisdiction, is_active=True)
        .prefetch_related("attributes__values")
        .order_by("code")
    )


def train(
    jurisdiction: Jurisdiction,
    *,
    trigger: str = ServiceModel.Trigger.COMMAND,
    now: dt.datetime | None = None,
    activate: bool = True,
) -> ServiceModel:
    """Fit, evaluate and save a new version (made active when `activate`); older versions beyond the
    city's keep count are deleted, the active one never."""
    started = time.monotonic()
    now = now or timezone.now()
    floor = float(settings.CIVIC311_SUGGESTION_FLOOR)
    services = _services(jurisdiction)
    catalogue = catalogue_examples(services)
    articles = article_examples(jurisdiction)
    past = history(jurisdiction, [service.code for service in services])

    def weighted(items: Iterable[_Past]) -> list[_Example]:
        return [
            _Example(item.text, item.code, 0.5 + 0.5 * math.exp(-max((now - item.at).days, 0) / RECENCY_DAYS))
            for item in items
        ]

    if not catalogue and not articles and not past:
        raise ValueError("nothing to learn from: the city has no active services")
    base = catalogue + articles + [_Example(fold(text), NO_SERVICE, NO_SERVICE_WEIGHT) for text in NO_SERVICE_TEXTS]
    held_count = int(len(past) * HELD_OUT_SHARE)
    evaluation: dict[str, Any] = {}
    temperature = 1.0
    if held_count >= HELD_OUT_MIN:
        held, kept = past[:held_count], past[held_count:]  # newest first
        fitted = _fit(base + weighted(kept))
        index = {code: position for position, code in enumerate(fitted.classes)}
        held = [item for item in held if item.code in index]
        scores = fitted.scores([item.text for item in held])
        truth = np.array([index[item.code] for item in held])
        # Texts word for word like one it learnt from are easy (residents repeat "pothole"); calibrating on
        # them would make it sure of everything. Calibrate on one half of the others, measure on the rest
        # (interleaved: both span the period); with too few of them, the temperature stays at 1.
        seen = {item.text for item in kept} | {example.text for example in base}
        unseen = np.array([item.text not in seen for item in held])
        fresh_rows = np.flatnonzero(unseen)
        if len(fresh_rows) >= HELD_OUT_MIN:
            temperature = _fit_temperature(scores[fresh_rows[0::2]], truth[fresh_rows[0::2]])
        # As suggestions are made: the no-service share is never shown, it only lowers the others.
        raw = softmax(scores, temperature)
        probabilities = raw * _shown(fitted.classes)
        evaluation = evaluate(probabilities[1::2], truth[1::2], floor)
        evaluation["held_out"] = len(held)
        whole = evaluate(probabilities, truth, floor)
        evaluation.update({key: whole[key] for key in ("top1", "top3", "macro_f1", "unsure_share", "sure_accuracy")})
        if unseen.sum() >= 10:
            fresh = evaluate(probabilities[unseen], truth[unseen], floor)
            evaluation["unseen"] = {key: fresh[key] for key in ("held_out", "top1", "top3", "sure_accuracy")}
        prior = place_prior(kept, fitted.classes)
        placed = np.array([_cell(item.lat, item.long) is not None for item in held])
        if placed.any():
            nudged = np.vstack(
                [apply_place(raw[i : i + 1], prior, item.lat, item.long) for i, item in enumerate(held)]
            ) * _shown(fitted.classes)
            with_place = evaluate(nudged, truth, floor)
            evaluation["with_place"] = {key: with_place[key] for key in ("top1", "top3", "sure_accuracy")}
        evaluation["temperature"] = round(temperature, 3)
    fitted = _fit(base + weighted(past))
    prior = place_prior(past, fitted.classes)
    artefact = dumps(fitted, temperature=temperature, prior=prior)
    seconds = time.monotonic() - started
    evaluation["seconds"] = round(seconds, 2) if evaluation else None
    if evaluation.get("seconds") is None:
        evaluation.pop("seconds", None)
    trained_on = {
        "catalogue": len(catalogue),
        "articles": len(articles),
        "history": len(past),
        "services": len([code for code in fitted.classes if code != NO_SERVICE]),
        "seconds": round(seconds, 2),
        "features": int(fitted.coef.shape[1]),
    }
    with transaction.atomic():
        # Lock the city's row so two trainings don't take the same version number.
        Jurisdiction.objects.select_for_update().filter(pk=jurisdiction.pk).first()
        newest = ServiceModel.objects.filter(jurisdiction=jurisdiction).aggregate(Max("version"))["version__max"]
        version = (newest or 0) + 1
        model = ServiceModel.objects.create(
            jurisdiction=jurisdiction,
            version=version,
            trained_at=now,
            trigger=trigger,
            active=False,
            trained_on=trained_on,
            evaluation=evaluation,
            artefact=artefact,
            artefact_sha256=hashlib.sha256(artefact).hexdigest(),
        )
        if activate:
            activate_version(model)
        forget_old_versions(jurisdiction)
    log.info(
        "text model trained: jurisdiction=%s version=%s history=%s seconds=%.2f top1=%s",
        jurisdiction.pk,
        version,
        len(past),
        seconds,
        evaluation.get("top1"),
    )
    return model


def activate_version(model: ServiceModel) -> None:
    """Make `model` the one its city's suggestions use (the others stop being used)."""
    with transaction.atomic():
        ServiceModel.objects.filter(jurisdiction_id=model.jurisdiction_id, active=True).exclude(pk=model.pk).update(
            active=False
        )
        ServiceModel.objects.filter(pk=model.pk).update(active=True)
        model.active = True


def use_version(model: ServiceModel, user: Any) -> None:
    """An administrator's choice of the version a city uses (`roles.may_retrain_text_models`)."""
    if not roles.may_retrain_text_models(user):
        raise PermissionDenied(_("Only an administrator may choose the service model in use."))
    activate_version(model)
    log.info(
        "text model version chosen: jurisdiction=%s version=%s by user=%s",
        model.jurisdiction_id,
        model.version,
        getattr(user, "pk", None),
    )


def forget_old_versions(jurisdiction: Jurisdiction) -> int:
    """Delete all but the newest CIVIC311_TEXT_MODELS_KEPT versions; the active one is never deleted."""
    kept = max(1, int(settings.CIVIC311_TEXT_MODELS_KEPT))
    newest = list(
        ServiceModel.objects.filter(jurisdiction=jurisdiction).order_by("-version").values_list("pk", flat=True)[:kept]
    )
    deleted, _ = ServiceModel.objects.filter(jurisdiction=jurisdiction, active=False).exclude(pk__in=newest).delete()
    return deleted


def train_all(*, trigger: str = ServiceModel.Trigger.SCHEDULE) -> list[ServiceModel]:
    """A new version for every city that offers services (a city that fails is logged and skipped)."""
    trained = []
    for jurisdiction in Jurisdiction.objects.filter(services__is_active=True).distinct().order_by("pk"):
        try:
            trained.append(train(jurisdiction, trigger=trigger))
        except Exception:
            log.exception("text model training failed: jurisdiction=%s", jurisdiction.pk)
    return trained
