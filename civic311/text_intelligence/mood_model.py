"""The trained half of the mood reader: two small linear models that decide a text's kind and its sentiment
from its words and from what the rule reader (`mood.read_by_rules`) found in it.

Why models on top of the rules: the rules name their cues well, but they weigh them by hand, and on text
nobody tuned them on they misread the boundary that matters most in 311 — a plain report of a hazard (neutral)
against a worried one (negative), a report that waits (a complaint) against a first one. The models learn those
weights from labelled texts, and the rules' findings (their score, sentiment and kind, and which groups of
cues fired) are among their features, so they start from everything the rules know.

What they learn from: the corpus in `corpus/` (1,545 texts in English and Spanish, labelled by the guide in
`benchmarks/data/LABELLING.md`; none of them is in a blind evaluation set, which a test checks). They are the
same for every city: how residents write their feelings does not depend on the catalogue.

Fitted with scikit-learn by `manage.py fit_mood_models`, which writes the file `mood_models.npz` beside this
module (plain arrays: the vocabularies, their IDF weights, the coefficients; loaded without pickle), and read
with numpy alone: a web process never imports scikit-learn for a mood, and the first reading costs a file
load, not a fit. A test fits again and holds the file equal to the result, so it never goes stale; should it
be missing or older than the corpus anyway, the models are fitted in memory once per process (slow: seconds).

The two are decided together, as the guide labels them: a complaint is always negative and praise always
positive, so the pair (kind, sentiment) chosen is the likeliest of the pairs the guide allows.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
MODELS_FILE = Path(__file__).resolve().parent / "mood_models.npz"
FILE_FORMAT = 1
SENTIMENTS = ("negative", "neutral", "positive")
KINDS = ("request", "complaint", "question", "praise", "other")
# The only sentiment a kind may have, where the guide fixes it.
KIND_SENTIMENT = {"complaint": "negative", "praise": "positive"}
# Regularisation of each logistic regression (larger: trusts the corpus more), chosen by 5-fold
# cross-validation on the corpus alone, each model on its own: sentiment 85.2 % at 3 (at 1 and 10: 83.7 and
# 85.4 %), kind 84.8 % at 10 (at 1 and 3: 81.7 and 83.4 %). Decided together (`cross_validate`, 1,545 texts):
# kind 84.2 %, sentiment 84.1 %; the rules alone on the same texts: 77.3 % and 77.5 %.
SENTIMENT_C = 3.0
KIND_C = 10.0
# The rule reader's findings weigh this much against the TF-IDF features (1 did better than 3 in the same runs).
RULE_WEIGHT = 1.0
# Words in 1-2-grams; characters in 2-5-grams inside words (typos and Spanish endings share their pieces).
WORD_NGRAMS = (1, 2)
CHARACTER_NGRAMS = (2, 5)
CHARACTER_FEATURES_MAX = 60_000
# A word that moved the decision this much (its TF-IDF weight times its coefficient) may be named as a cue.
CUE_MIN_WEIGHT = 0.15


@dataclass(frozen=True)
class LabelledText:
    text: str
    language: str
    kind: str
    sentiment: str


def corpus(directory: Path = CORPUS_DIR) -> list[LabelledText]:
    """Every labelled text of the corpus files (`*.csv` with text, language, kind and sentiment columns)."""
    texts = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["sentiment"] in SENTIMENTS and row["kind"] in KINDS and row["text"].strip():
                    texts.append(LabelledText(row["text"], row["language"], row["kind"], row["sentiment"]))
    return texts


def corpus_digest(directory: Path = CORPUS_DIR) -> str:
    """A short fingerprint of the corpus (kept in the models file, to know it is the corpus's)."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.csv")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# What a text is, for the models: its folded words, its lower-case characters with marks and emoji kept, and
# the rule reader's findings as numbers. `mood` supplies it, so this module never imports the rules.
Featured = tuple[str, str, Sequence[float]]
Featurise = Callable[[str, str | None], Featured]

# The terms scikit-learn's TfidfVectorizer makes of a text with our settings, written out here so that reading
# needs no scikit-learn (seconds to import in every process); `test_mood_model` holds them equal to its own.
_SPACES = re.compile(r"\s\s+")


def word_terms(folded: str) -> list[str]:
    """Unigrams and bigrams of the (already folded, lower-case) words."""
    words = folded.lower().split()
    low, high = WORD_NGRAMS
    terms = list(words) if low == 1 else []
    for n in range(max(low, 2), min(high, len(words)) + 1):
        terms.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return terms


def character_terms(marked: str) -> list[str]:
    """Character n-grams inside each word, padded with a space at its edges ("char_wb")."""
    low, high = CHARACTER_NGRAMS
    terms = []
    for word in _SPACES.sub(" ", marked.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:
                terms.append(padded)  # a short word counts once, whole
                break
            terms.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return terms


@dataclass(frozen=True)
class Reading:
    """One fitted logistic regression: its labels, and a row of coefficients and an intercept for each."""

    classes: tuple[str, ...]
    coefficients: np.ndarray  # a row per class, a column per feature
    intercepts: np.ndarray


@dataclass(frozen=True)
class Decision:
    kind: str
    sentiment: str
    sentiments: dict[str, float]  # each sentiment's probability
    kind_words: tuple[str, ...]  # the words that pushed most towards the kind, and the sentiment, chosen
    sentiment_words: tuple[str, ...]


@dataclass(frozen=True)
class MoodModels:
    """The two fitted models as plain arrays, and how to read a text with them (numpy only)."""

    word_index: dict[str, int]
    word_idf: np.ndarray
    character_index: dict[str, int]
    character_idf: np.ndarray
    rule_weight: float
    kind: Reading
    sentiment: Reading
    digest: str

    @cached_property
    def word_names(self) -> list[str]:
        names = [""] * len(self.word_index)
        for term, index in self.word_index.items():
            names[index] = term
        return names

    def row(self, featured: Featured) -> tuple[np.ndarray, np.ndarray]:
        """The text's features, sparse: (indices, values), as scikit-learn's vectorizers would make them
        (sublinear term frequency times IDF, each part normalised to length 1), then the rules' findings."""
        words, marked, findings = featured
        indices: list[int] = []
        values: list[float] = []
        offset = 0
        for index, idf, terms in (
            (self.word_index, self.word_idf, word_terms(words)),
            (self.character_index, self.character_idf, character_terms(marked)),
        ):
            counts: dict[int, int] = {}
            for term in terms:
                found = index.get(term)
                if found is not None:
                    counts[found] = counts.get(found, 0) + 1
            if counts:
                at = sorted(counts)
                weights = np.array([(1.0 + math.log(counts[i])) * idf[i] for i in at])
                weights /= math.sqrt(float((weights**2).sum()))
                indices.extend(offset + i for i in at)
                values.extend(weights.tolist())
            offset += len(index)
        for position, value in enumerate(findings):
            if value:
                indices.append(offset + position)
                values.append(float(value) * self.rule_weight)
        return np.array(indices, dtype=np.int64), np.array(values, dtype=float)

    @staticmethod
    def probabilities(reading: Reading, row: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
        """Each label's probability: the softmax of the linear scores (scikit-learn's `predict_proba`)."""
        indices, values = row
        scores = reading.coefficients[:, indices] @ values + reading.intercepts
        scores -= scores.max()
        exp = np.exp(scores)
        return dict(zip(reading.classes, (float(p) for p in exp / exp.sum()), strict=True))

    def words_for(self, reading: Reading, row: tuple[np.ndarray, np.ndarray], label: str, limit: int = 3) -> list[str]:
        """The words of the text that pushed most towards `label` (not the character pieces, which say nothing
        to a reader), strongest first."""
        if label not in reading.classes:
            return []
        coefficients = reading.coefficients[reading.classes.index(label)]
        names = self.word_names
        indices, values = row
        pushed = sorted(
            (
                (float(value * coefficients[index]), names[index])
                for index, value in zip(indices, values, strict=True)
                if index < len(names)
            ),
            reverse=True,
        )
        return [name for weight, name in pushed[:limit] if weight >= CUE_MIN_WEIGHT]

    def decide(self, featured: Featured) -> Decision:
        """The likeliest (kind, sentiment) pair the guide allows, with the words behind each."""
        row = self.row(featured)
        kinds = self.probabilities(self.kind, row)
        sentiments = self.probabilities(self.sentiment, row)
        kind, sentiment = joint(kinds, sentiments)
        return Decision(
            kind,
            sentiment,
            sentiments,
            tuple(self.words_for(self.kind, row, kind, limit=2)),
            tuple(self.words_for(self.sentiment, row, sentiment)),
        )

    def save(self, path: Path = MODELS_FILE) -> None:
        arrays: dict[str, Any] = {
            "format": np.array(FILE_FORMAT),
            "digest": np.array(self.digest),
            "rule_weight": np.array(self.rule_weight),
            "word_terms": np.array(sorted(self.word_index, key=self.word_index.__getitem__)),
            "word_idf": self.word_idf,
            "character_terms": np.array(sorted(self.character_index, key=self.character_index.__getitem__)),
            "character_idf": self.character_idf,
        }
        for name, reading in (("kind", self.kind), ("sentiment", self.sentiment)):
            arrays[f"{name}_classes"] = np.array(reading.classes)
            arrays[f"{name}_coefficients"] = reading.coefficients
            arrays[f"{name}_intercepts"] = reading.intercepts
        temporary = path.with_suffix(".tmp.npz")
        np.savez_compressed(temporary, **arrays)
        temporary.replace(path)  # whole or not at all: a reader never sees half a file


def load(path: Path = MODELS_FILE) -> MoodModels:
    with np.load(path, allow_pickle=False) as arrays:
        if int(arrays["format"]) != FILE_FORMAT:
            raise ValueError(f"{path.name}: format {int(arrays['format'])}, expected {FILE_FORMAT}")

        def reading(name: str) -> Reading:
            return Reading(
                tuple(str(label) for label in arrays[f"{name}_classes"]),
                np.array(arrays[f"{name}_coefficients"], dtype=float),
                np.array(arrays[f"{name}_intercepts"], dtype=float),
            )

        return MoodModels(
            word_index={str(term): i for i, term in enumerate(arrays["word_terms"])},
            word_idf=np.array(arrays["word_idf"], dtype=float),
            character_index={str(term): i for i, term in enumerate(arrays["character_terms"])},
            character_idf=np.array(arrays["character_idf"], dtype=float),
            rule_weight=float(arrays["rule_weight"]),
            kind=reading("kind"),
            sentiment=reading("sentiment"),
            digest=str(arrays["digest"]),
        )


def joint(kinds: dict[str, float], sentiments: dict[str, float]) -> tuple[str, str]:
    pairs = [
        (kinds.get(kind, 0.0) * sentiments.get(sentiment, 0.0), kind, sentiment)
        for kind in KINDS
        for sentiment in SENTIMENTS
        if KIND_SENTIMENT.get(kind, sentiment) == sentiment
    ]
    _p, kind, sentiment = max(pairs)
    return kind, sentiment


def fit(
    featurise: Featurise,
    texts: Sequence[LabelledText],
    *,
    rule_weight: float = RULE_WEIGHT,
    kind_c: float = KIND_C,
    sentiment_c: float = SENTIMENT_C,
    digest: str = "",
) -> MoodModels:
    """Fit both models on `texts` with scikit-learn and keep them as plain arrays."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    featured = [featurise(one.text, one.language) for one in texts]
    words = TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True, tokenizer=str.split, token_pattern=None)
    characters = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=CHARACTER_NGRAMS,
        min_df=2,
        sublinear_tf=True,
        max_features=CHARACTER_FEATURES_MAX,
    )
    rules = csr_matrix(np.array([list(one[2]) for one in featured], dtype=float) * rule_weight)
    matrix = hstack(
        [
            words.fit_transform([one[0] for one in featured]),
            characters.fit_transform([one[1] for one in featured]),
            rules,
        ]
    ).tocsr()

    def reading(labels: list[str], c: float) -> Reading:
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(matrix, labels)
        coefficients, intercepts = np.array(model.coef_), np.array(model.intercept_)
        if len(model.classes_) == 2:  # a binary model keeps one row, for its second class: the first scores 0
            coefficients = np.vstack([np.zeros_like(coefficients), coefficients])
            intercepts = np.concatenate([[0.0], intercepts])
        return Reading(tuple(str(label) for label in model.classes_), coefficients, intercepts)

    return MoodModels(
        word_index={str(term): int(i) for term, i in words.vocabulary_.items()},
        word_idf=np.array(words.idf_),
        character_index={str(term): int(i) for term, i in characters.vocabulary_.items()},
        character_idf=np.array(characters.idf_),
        rule_weight=rule_weight,
        kind=reading([one.kind for one in texts], kind_c),
        sentiment=reading([one.sentiment for one in texts], sentiment_c),
        digest=digest,
    )


def fit_corpus(featurise: Featurise) -> MoodModels:
    return fit(featurise, corpus(), digest=corpus_digest())


@cache
def trained(featurise: Featurise) -> MoodModels:
    """The models of the current corpus, once per process: from the file, else fitted here."""
    if MODELS_FILE.exists():
        try:
            models = load(MODELS_FILE)
        except (OSError, ValueError, KeyError) as error:
            log.warning("the mood models file could not be read (%s); fitting in memory", error)
        else:
            if models.digest == corpus_digest():
                return models
            log.warning("the mood models file is older than the corpus; fitting in memory (manage.py fit_mood_models)")
    else:
        log.warning("no mood models file; fitting in memory (manage.py fit_mood_models writes it)")
    return fit_corpus(featurise)


def cross_validate(featurise: Featurise, texts: Sequence[LabelledText], *, folds: int = 5) -> tuple[float, float]:
    """Kind and sentiment accuracy over `folds` stratified folds of `texts` (how the constants were chosen)."""
    from sklearn.model_selection import StratifiedKFold

    featured = [featurise(one.text, one.language) for one in texts]
    pairs = np.array([f"{one.kind}/{one.sentiment}" for one in texts])
    kinds = sentiments = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(featured, pairs):
        # Each text stands by its position, so a fold is fitted on features worked out once for all folds.
        by_position = [LabelledText(str(i), texts[i].language, texts[i].kind, texts[i].sentiment) for i in train]
        models = fit(lambda position, _language: featured[int(position)], by_position)
        for index in test:
            decision = models.decide(featured[index])
            kinds += decision.kind == texts[index].kind
            sentiments += decision.sentiment == texts[index].sentiment
    return kinds / len(texts), sentiments / len(texts)
