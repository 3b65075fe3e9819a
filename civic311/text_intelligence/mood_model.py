"""The trained half of the mood reader: two small linear models that decide a text's kind and its sentiment
from its words and from what the rule reader (`mood.read_by_rules`) found in it.

Why models on top of the rules: the rules name their cues well, but they weigh them by hand, and on text
nobody tuned them on they misread the boundary that matters most in 311 — a plain report of a hazard (neutral)
against a worried one (negative), a report that waits (a complaint) against a first one. The models learn those
weights from labelled texts, and the rules' findings (their score, sentiment and kind, and which groups of
cues fired) are among their features, so they start from everything the rules know.

What they learn from: the corpus in `corpus/` (about 1,550 texts in English and Spanish, labelled by the guide
in `benchmarks/data/LABELLING.md`; none of them is in a blind evaluation set, which a test checks). They are
the same for every city: how residents write their feelings does not depend on the catalogue. They are fitted
the first time a process reads a mood (a few seconds, once) and kept for the life of the process; nothing is
saved or downloaded.

The two are decided together, as the guide labels them: a complaint is always negative and praise always
positive, so the pair (kind, sentiment) chosen is the likeliest of the pairs the guide allows.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

# scikit-learn and SciPy are imported where a model is fitted or used, not at the top: every process imports
# this module, and those libraries cost seconds to import.

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
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
    """A short fingerprint of the corpus the models were fitted on (the benchmark prints it)."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.csv")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# What a text is, for the models: its folded words, its lower-case characters with marks and emoji kept, and
# the rule reader's findings as numbers. `mood` supplies it, so this module never imports the rules.
Featured = tuple[str, str, Sequence[float]]
Featurise = Callable[[str, str | None], Featured]


class Features:
    """What the models see of a text: TF-IDF of its words (1-2-grams) and of its characters (2-5-grams inside
    words), and the rules' findings. Fitted once on the corpus and shared by both models, so a text is turned
    into numbers once for both."""

    def __init__(self, *, rule_weight: float = RULE_WEIGHT) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.rule_weight = rule_weight
        # The words are folded already (`words.fold`): split on spaces, one-letter words like "q" and "y" kept.
        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, tokenizer=str.split, token_pattern=None)
        # Typos and Spanish endings still share most of their pieces; "!!", "?" and emoji are in this text.
        self.characters = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=60_000
        )
        self.word_names: np.ndarray = np.array([])
        self.word_analyzer: Callable[[str], list[str]] = str.split
        self.character_analyzer: Callable[[str], list[str]] = str.split

    def fit_matrix(self, featured: Sequence[Featured]) -> csr_matrix:
        from scipy.sparse import hstack

        matrix = hstack(
            [
                self.words.fit_transform([one[0] for one in featured]),
                self.characters.fit_transform([one[1] for one in featured]),
                self._rules(featured),
            ]
        ).tocsr()
        self.word_names = self.words.get_feature_names_out()
        self.word_analyzer = self.words.build_analyzer()
        self.character_analyzer = self.characters.build_analyzer()
        return matrix

    def matrix(self, featured: Sequence[Featured]) -> csr_matrix:
        """The same numbers as the vectorizers' `transform` (a test holds them equal), worked out directly: for
        one short text, scikit-learn's input checks cost several times the work itself."""
        from scipy.sparse import csr_matrix

        width = len(self.words.vocabulary_) + len(self.characters.vocabulary_) + len(featured[0][2])
        indices: list[int] = []
        values: list[float] = []
        starts = [0]
        for words, marked, findings in featured:
            for offset, vectorizer, analyzer, text in (
                (0, self.words, self.word_analyzer, words),
                (len(self.words.vocabulary_), self.characters, self.character_analyzer, marked),
            ):
                found, weights = _tfidf(vectorizer, analyzer, text)
                indices.extend(offset + index for index in found)
                values.extend(weights)
            rules_at = len(self.words.vocabulary_) + len(self.characters.vocabulary_)
            for position, value in enumerate(findings):
                if value:
                    indices.append(rules_at + position)
                    values.append(float(value) * self.rule_weight)
            starts.append(len(indices))
        return csr_matrix((values, indices, starts), shape=(len(featured), width))

    def _rules(self, featured: Sequence[Featured]) -> csr_matrix:
        from scipy.sparse import csr_matrix

        return csr_matrix(np.array([list(one[2]) for one in featured], dtype=float) * self.rule_weight)


def _tfidf(
    vectorizer: TfidfVectorizer, analyzer: Callable[[str], list[str]], text: str
) -> tuple[list[int], list[float]]:
    """One text's TF-IDF row as the fitted `vectorizer` computes it (sublinear term frequency, l2 norm)."""
    counts: dict[int, int] = {}
    vocabulary = vectorizer.vocabulary_
    for term in analyzer(text):
        index = vocabulary.get(term)
        if index is not None:
            counts[index] = counts.get(index, 0) + 1
    if not counts:
        return [], []
    found = sorted(counts)
    weights = np.array([(1.0 + np.log(counts[index])) * vectorizer.idf_[index] for index in found])
    weights /= np.sqrt((weights**2).sum())
    return found, weights.tolist()


class TextClassifier:
    """A logistic regression with balanced classes over the shared features."""

    def __init__(self, features: Features, *, c: float) -> None:
        from sklearn.linear_model import LogisticRegression

        self.features = features
        self.classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        self.classes: list[str] = []

    def fit(self, matrix: csr_matrix, labels: Sequence[str]) -> TextClassifier:
        self.classifier.fit(matrix, list(labels))
        self.classes = [str(label) for label in self.classifier.classes_]
        return self

    def probabilities(self, matrix: csr_matrix) -> list[dict[str, float]]:
        """Per row, each label's probability: the softmax of the linear scores, which is what scikit-learn's
        `predict_proba` computes for a multinomial model, without its input checks (half the time of a text)."""
        scores = np.asarray(matrix @ self.classifier.coef_.T) + self.classifier.intercept_
        if len(self.classes) == 2:  # a binary model keeps one row of coefficients: the second class's
            scores = np.hstack([np.zeros_like(scores), scores])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        rows = exp / exp.sum(axis=1, keepdims=True)
        return [dict(zip(self.classes, (float(p) for p in row), strict=True)) for row in rows]

    def words_for(self, matrix_row: csr_matrix, label: str, limit: int = 3) -> list[str]:
        """The words of the text (one row of the matrix) that pushed most towards `label` (not the character
        pieces, which say nothing to a reader), strongest first."""
        if label not in self.classes or len(self.classes) < 3:
            return []
        coefficients = self.classifier.coef_[self.classes.index(label)]
        names = self.features.word_names
        pushed = sorted(
            (
                (float(value * coefficients[index]), str(names[index]))
                for index, value in zip(matrix_row.indices, matrix_row.data, strict=True)
                if index < len(names)
            ),
            reverse=True,
        )
        return [name for weight, name in pushed[:limit] if weight >= CUE_MIN_WEIGHT]


@dataclass(frozen=True)
class Decision:
    kind: str
    sentiment: str
    sentiments: dict[str, float]  # each sentiment's probability
    kind_words: tuple[str, ...]  # the words that pushed towards the kind, and the sentiment, chosen
    sentiment_words: tuple[str, ...]


@dataclass(frozen=True)
class MoodModels:
    features: Features
    kind: TextClassifier
    sentiment: TextClassifier

    def decide(self, featured: Featured) -> Decision:
        """The likeliest (kind, sentiment) pair the guide allows, with the words behind each."""
        row = self.features.matrix([featured])
        kinds = self.kind.probabilities(row)[0]
        sentiments = self.sentiment.probabilities(row)[0]
        kind, sentiment = joint(kinds, sentiments)
        return Decision(
            kind,
            sentiment,
            sentiments,
            tuple(self.kind.words_for(row, kind, limit=2)),
            tuple(self.sentiment.words_for(row, sentiment)),
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


def fit(featurise: Featurise, texts: Sequence[LabelledText]) -> MoodModels:
    features = Features()
    matrix = features.fit_matrix([featurise(one.text, one.language) for one in texts])
    return MoodModels(
        features,
        kind=TextClassifier(features, c=KIND_C).fit(matrix, [one.kind for one in texts]),
        sentiment=TextClassifier(features, c=SENTIMENT_C).fit(matrix, [one.sentiment for one in texts]),
    )


@cache
def trained(featurise: Featurise) -> MoodModels:
    """The models fitted on the corpus, once per process."""
    return fit(featurise, corpus())


def cross_validate(featurise: Featurise, texts: Sequence[LabelledText], *, folds: int = 5) -> tuple[float, float]:
    """Kind and sentiment accuracy over `folds` stratified folds of `texts` (how the constants were chosen)."""
    from sklearn.model_selection import StratifiedKFold

    featured = [featurise(one.text, one.language) for one in texts]
    pairs = np.array([f"{one.kind}/{one.sentiment}" for one in texts])
    kinds = sentiments = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(featured, pairs):
        models = fit(lambda text, language: featured[int(text)], [_by_position(str(i), texts[i]) for i in train])
        for index in test:
            decision = models.decide(featured[index])
            kinds += decision.kind == texts[index].kind
            sentiments += decision.sentiment == texts[index].sentiment
    return kinds / len(texts), sentiments / len(texts)


def _by_position(position: str, text: LabelledText) -> LabelledText:
    """`text` standing by its position, so a fold is fitted on features worked out once for all folds."""
    return LabelledText(position, text.language, text.kind, text.sentiment)
