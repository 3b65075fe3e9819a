"""The trained half of the mood reader: fitting and reading on small data the tests make, the corpus it ships
with (and that it never holds a text of a blind evaluation set), and how read_mood uses it."""

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import hstack

from civic311.text_intelligence import mood, mood_model
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.mood_model import (
    Features,
    LabelledText,
    MoodModels,
    TextClassifier,
    corpus,
    corpus_digest,
    joint,
)
from civic311.text_intelligence.words import fold

BENCHMARK_DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"

SMALL = [
    ("the pothole on main street is huge", "neutral"),
    ("street light out at 5th and pine", "neutral"),
    ("trash was not picked up on tasker", "neutral"),
    ("graffiti on the school wall", "neutral"),
    ("i am furious, third time reporting this pothole", "negative"),
    ("disgusting, rats everywhere and nobody cares", "negative"),
    ("this is ridiculous, waited weeks for a light", "negative"),
    ("so angry, the trash sat for a week", "negative"),
    ("thank you so much for fixing the light", "positive"),
    ("great job on the pothole, thanks", "positive"),
    ("love the new park, wonderful work", "positive"),
    ("the crew was amazing, thank you", "positive"),
]


def _featured(text: str) -> tuple[str, str, tuple[float, ...]]:
    return fold(text), text.lower(), (0.0,)  # no rule findings: the words alone must decide


def _small_model() -> tuple[Features, TextClassifier]:
    features = Features()
    matrix = features.fit_matrix([_featured(text) for text, _s in SMALL])
    return features, TextClassifier(features, c=10.0).fit(matrix, [sentiment for _t, sentiment in SMALL])


def test_it_learns_from_small_data_and_gives_probabilities():
    features, model = _small_model()
    found = model.probabilities(
        features.matrix([_featured("furious about the rats"), _featured("thank you, great work")])
    )
    assert max(found[0], key=found[0].__getitem__) == "negative"
    assert max(found[1], key=found[1].__getitem__) == "positive"
    for probabilities in found:
        assert set(probabilities) == {"negative", "neutral", "positive"}
        assert sum(probabilities.values()) == pytest.approx(1.0)


def test_its_probabilities_are_scikit_learns():
    features, model = _small_model()
    texts = [_featured("furious about the rats"), _featured("pothole on pine"), _featured("zzz")]
    ours = model.probabilities(features.matrix(texts))
    theirs = model.classifier.predict_proba(
        hstack(
            [
                features.words.transform([one[0] for one in texts]),
                features.characters.transform([one[1] for one in texts]),
                np.array([list(one[2]) for one in texts]) * features.rule_weight,
            ]
        ).tocsr()
    )
    for row, expected in zip(ours, theirs, strict=True):
        assert [row[label] for label in model.classifier.classes_] == pytest.approx(list(expected))


def test_its_features_are_the_vectorizers_own():
    features, _model = _small_model()
    texts = [_featured("Furious!! about the RATS rats"), _featured("ñandú, café?"), _featured("")]
    ours = features.matrix(texts).toarray()
    words = features.words.transform([one[0] for one in texts]).toarray()
    characters = features.characters.transform([one[1] for one in texts]).toarray()
    assert ours[:, : words.shape[1]] == pytest.approx(words)
    assert ours[:, words.shape[1] : words.shape[1] + characters.shape[1]] == pytest.approx(characters)


def test_it_names_the_words_that_decided_and_never_a_character_piece():
    features, model = _small_model()
    row = features.matrix([_featured("furious about the pothole")])
    words = model.words_for(row, "negative")
    assert "furious" in words
    assert set(words) <= set(features.word_names)
    assert model.words_for(row, "no such sentiment") == []


def test_the_corpus_reads_every_csv_and_skips_bad_rows(tmp_path):
    (tmp_path / "a.csv").write_text(
        "id,channel,language,text,kind,sentiment\n"
        "1,sms,en,pothole on main,request,neutral\n"
        "2,sms,en,   ,request,neutral\n"
        "3,sms,en,thanks,praise,glad\n",
        encoding="utf-8",
    )
    (tmp_path / "b.csv").write_text(
        "id,channel,language,text,kind,sentiment\n4,post,es,gracias por todo,praise,positive\n", encoding="utf-8"
    )
    (tmp_path / "notes.md").write_text("not a corpus file", encoding="utf-8")
    assert corpus(tmp_path) == [
        LabelledText("pothole on main", "en", "request", "neutral"),
        LabelledText("gracias por todo", "es", "praise", "positive"),
    ]
    before = corpus_digest(tmp_path)
    (tmp_path / "b.csv").write_text("id,channel,language,text,kind,sentiment\n", encoding="utf-8")
    assert corpus_digest(tmp_path) != before


def test_the_shipped_corpus_covers_both_languages_and_every_sentiment():
    texts = corpus()
    assert len(texts) >= 1000
    assert {one.language for one in texts} == {"en", "es"}
    for language in ("en", "es"):
        sentiments = {one.sentiment for one in texts if one.language == language}
        assert sentiments == {"negative", "neutral", "positive"}
    assert {one.kind for one in texts} <= {kind.value for kind in TextKind}


@pytest.mark.parametrize("name", ["texts_eval_holdout.csv", "texts_eval_blind3.csv"])
def test_no_text_of_a_blind_evaluation_set_is_in_the_corpus(name):
    # The targets are judged on these sets: a text of theirs in the training corpus would make the figures lie.
    with (BENCHMARK_DATA / name).open(encoding="utf-8", newline="") as handle:
        blind = {fold(row["text"]) for row in csv.DictReader(handle)} - {""}  # emoji alone fold to nothing
    assert blind
    assert not blind & {fold(one.text) for one in corpus()}


def test_read_mood_takes_the_models_reading_and_says_why(monkeypatch):
    # Models that have learnt (from data made for this test) that a pothole is a misery and a complaint:
    # read_mood must follow them, against the rules, and name the words that decided instead of the rules' cues.
    data = [
        ("pothole", "complaint", "negative"),
        ("pothole again", "complaint", "negative"),
        ("big pothole", "complaint", "negative"),
        ("light out", "request", "neutral"),
        ("trash missed", "request", "neutral"),
        ("tree down", "request", "neutral"),
        ("thanks", "praise", "positive"),
        ("great work", "praise", "positive"),
        ("thank you", "praise", "positive"),
    ]
    features = Features(rule_weight=0.0)
    matrix = features.fit_matrix([mood._featurise(text, "en") for text, _k, _s in data])
    taught = MoodModels(
        features,
        kind=TextClassifier(features, c=100.0).fit(matrix, [kind for _t, kind, _s in data]),
        sentiment=TextClassifier(features, c=100.0).fit(matrix, [sentiment for _t, _k, sentiment in data]),
    )
    monkeypatch.setattr(mood_model, "trained", lambda featurise: taught)

    by_rules = mood.read_by_rules("There is a pothole on Market St")
    assert (by_rules.kind, by_rules.sentiment) == (TextKind.REQUEST, Sentiment.NEUTRAL)
    found = mood.read_mood("There is a pothole on Market St")
    assert (found.kind, found.sentiment) == (TextKind.COMPLAINT, Sentiment.NEGATIVE)
    assert "pothole" in found.cues
    assert -1.0 <= found.score < 0


def test_a_complaint_is_always_negative_and_praise_always_positive():
    # The guide labels them so; the pair chosen is the likeliest allowed one, not each reading's own best.
    assert joint({"complaint": 0.6, "request": 0.4}, {"neutral": 0.7, "negative": 0.3}) == ("request", "neutral")
    assert joint({"complaint": 0.9, "request": 0.1}, {"neutral": 0.6, "negative": 0.4}) == ("complaint", "negative")
    assert joint({"praise": 0.8, "other": 0.2}, {"neutral": 0.9, "positive": 0.1}) == ("other", "neutral")
    assert joint({"question": 1.0}, {"positive": 0.5, "neutral": 0.3, "negative": 0.2}) == ("question", "positive")


def test_the_score_is_the_difference_of_the_probabilities():
    text = "Thank you so much for fixing the street light so fast, amazing crew!"
    found = mood.read_mood(text)
    assert (found.kind, found.sentiment) == (TextKind.PRAISE, Sentiment.POSITIVE)
    assert 0 < found.score <= 1
    decision = mood_model.trained(mood._featurise).decide(mood._featurise(text, None))
    probabilities = decision.sentiments
    assert found.score == pytest.approx(probabilities["positive"] - probabilities["negative"], abs=1e-3)


@pytest.mark.parametrize("text", ["", "   ", "!!!", "http://example.org"])
def test_nothing_to_read_never_reaches_the_models(text, monkeypatch):
    def refuse(featurise):
        raise AssertionError("the models were asked about an empty text")

    monkeypatch.setattr(mood_model, "trained", refuse)
    assert mood.read_mood(text) == mood.read_by_rules(text)


def test_cross_validation_counts_right_answers_over_every_text():
    texts = [LabelledText(text, "en", "praise" if s == "positive" else "request", s) for text, s in SMALL * 3]
    kind, sentiment = mood_model.cross_validate(lambda text, language: _featured(text), texts, folds=3)
    assert 0.5 <= kind <= 1.0
    assert 0.5 <= sentiment <= 1.0
