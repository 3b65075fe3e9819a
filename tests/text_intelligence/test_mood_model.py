"""The trained half of the mood reader: fitting and reading on small data the tests make (read with numpy,
held equal to scikit-learn), the file it ships with (never stale), the corpus (which never holds a text of a
blind evaluation set), and how read_mood uses the models."""

import csv
import logging
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from civic311.text_intelligence import mood, mood_model
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.mood_model import (
    LabelledText,
    MoodModels,
    character_terms,
    corpus,
    corpus_digest,
    fit,
    joint,
    load,
    word_terms,
)
from civic311.text_intelligence.words import fold

BENCHMARK_DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"

SMALL = [
    ("the pothole on main street is huge", "request", "neutral"),
    ("street light out at 5th and pine", "request", "neutral"),
    ("trash was not picked up on tasker", "request", "neutral"),
    ("graffiti on the school wall", "request", "neutral"),
    ("i am furious, third time reporting this pothole", "complaint", "negative"),
    ("disgusting, rats everywhere and nobody cares", "complaint", "negative"),
    ("this is ridiculous, waited weeks for a light", "complaint", "negative"),
    ("so angry, the trash sat for a week", "complaint", "negative"),
    ("thank you so much for fixing the light", "praise", "positive"),
    ("great job on the pothole, thanks", "praise", "positive"),
    ("love the new park, wonderful work", "praise", "positive"),
    ("the crew was amazing, thank you", "praise", "positive"),
]
# Texts that try the n-grams' edges: one-letter and short words, several spaces, marks, emoji, accents.
ODD = ["a", "q y", "  furious   about\tthe  RATS rats!! ", "ñandú, café? 😡", "", "x" * 60, "ok 👍 gracias"]


def _featured(text: str) -> tuple[str, str, tuple[float, ...]]:
    return fold(text), text.lower(), (0.0, float("!" in text))


def _small_models(rule_weight: float = 1.0) -> MoodModels:
    texts = [LabelledText(text, "en", kind, sentiment) for text, kind, sentiment in SMALL]
    return fit(lambda text, _language: _featured(text), texts, rule_weight=rule_weight, kind_c=10.0, sentiment_c=10.0)


def test_it_learns_from_small_data_and_gives_probabilities():
    models = _small_models()
    for text, expected in (("furious about the rats", "negative"), ("thank you, great work", "positive")):
        found = models.probabilities(models.sentiment, models.row(_featured(text)))
        assert max(found, key=found.__getitem__) == expected
        assert set(found) == {"negative", "neutral", "positive"}
        assert sum(found.values()) == pytest.approx(1.0)
    decision = models.decide(_featured("so furious, rats everywhere"))
    assert (decision.kind, decision.sentiment) == ("complaint", "negative")


@pytest.mark.parametrize("text", [text for text, _k, _s in SMALL] + ODD)
def test_its_terms_are_scikit_learns(text):
    words = TfidfVectorizer(ngram_range=(1, 2), tokenizer=str.split, token_pattern=None).build_analyzer()
    characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    assert word_terms(fold(text)) == words(fold(text))
    assert character_terms(text.lower()) == characters(text.lower())


def test_its_features_and_probabilities_are_scikit_learns():
    # The reference is built here with scikit-learn alone, on the same texts and settings as `fit`.
    featured = [_featured(text) for text, _k, _s in SMALL]
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, tokenizer=str.split, token_pattern=None)
    characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    rules = csr_matrix(np.array([list(one[2]) for one in featured]) * 2.0)
    matrix = hstack(
        [
            words.fit_transform([one[0] for one in featured]),
            characters.fit_transform([one[1] for one in featured]),
            rules,
        ]
    ).tocsr()
    reference = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced").fit(
        matrix, [sentiment for _t, _k, sentiment in SMALL]
    )
    models = _small_models(rule_weight=2.0)

    tried = [_featured(text) for text in ["furious about the rats!", "pothole on pine", "zzz", *ODD]]
    expected = hstack(
        [
            words.transform([one[0] for one in tried]),
            characters.transform([one[1] for one in tried]),
            csr_matrix(np.array([list(one[2]) for one in tried]) * 2.0),
        ]
    ).toarray()
    for one, row, probabilities in zip(tried, expected, reference.predict_proba(expected), strict=True):
        indices, values = models.row(one)
        ours = np.zeros(len(row))
        ours[indices] = values
        assert ours == pytest.approx(row)
        found = models.probabilities(models.sentiment, (indices, values))
        assert [found[label] for label in reference.classes_] == pytest.approx(list(probabilities))


def test_it_names_the_words_that_decided_and_never_a_character_piece():
    models = _small_models()
    row = models.row(_featured("furious about the pothole"))
    words = models.words_for(models.sentiment, row, "negative")
    assert "furious" in words
    assert set(words) <= set(models.word_index)
    assert models.words_for(models.sentiment, row, "no such sentiment") == []


def test_it_is_saved_and_loaded_as_plain_arrays(tmp_path):
    models = _small_models()
    path = tmp_path / "models.npz"
    models.save(path)
    assert [one.name for one in tmp_path.iterdir()] == ["models.npz"]  # no temporary file left
    with np.load(path, allow_pickle=False) as arrays:  # nothing in it needs pickle
        assert all(arrays[name].dtype != object for name in arrays.files)
    again = load(path)
    for text in ["furious about the rats", "thank you", "pothole", *ODD]:
        assert again.decide(_featured(text)) == models.decide(_featured(text))


def test_a_file_of_another_format_is_refused(tmp_path):
    path = tmp_path / "models.npz"
    _small_models().save(path)
    with np.load(path) as arrays:
        contents = {name: arrays[name] for name in arrays.files}
    np.savez(path, **{**contents, "format": np.array(99)})
    with pytest.raises(ValueError, match="format 99"):
        load(path)


def test_the_shipped_file_is_the_corpus_fitted_now():
    # `manage.py fit_mood_models` writes it; a change to the corpus or to the rule reader without running it
    # fails here, so the file is never stale.
    shipped = load(mood_model.MODELS_FILE)
    assert shipped.digest == corpus_digest()
    fresh = mood_model.fit_corpus(mood.featurise)
    assert shipped.word_index == fresh.word_index
    assert shipped.character_index == fresh.character_index
    for name in ("kind", "sentiment"):
        ours, theirs = getattr(shipped, name), getattr(fresh, name)
        assert ours.classes == theirs.classes
        assert np.allclose(ours.coefficients, theirs.coefficients, atol=1e-4)


def test_without_a_current_file_the_models_are_fitted_in_memory(monkeypatch, tmp_path, caplog):
    fitted = _small_models()
    monkeypatch.setattr(mood_model, "fit_corpus", lambda featurise: fitted)
    mood_model.trained.cache_clear()
    try:
        monkeypatch.setattr(mood_model, "MODELS_FILE", tmp_path / "missing.npz")
        with caplog.at_level(logging.WARNING, logger="civic311.text_intelligence.mood_model"):
            assert mood_model.trained(mood.featurise) is fitted
        assert "no mood models file" in caplog.text

        stale = tmp_path / "stale.npz"
        fitted.save(stale)  # its digest is not the corpus's
        monkeypatch.setattr(mood_model, "MODELS_FILE", stale)
        mood_model.trained.cache_clear()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="civic311.text_intelligence.mood_model"):
            assert mood_model.trained(mood.featurise) is fitted
        assert "older than the corpus" in caplog.text
    finally:
        mood_model.trained.cache_clear()


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
    taught = fit(
        mood.featurise,
        [LabelledText(text, "en", kind, sentiment) for text, kind, sentiment in data],
        rule_weight=0.0,
        kind_c=100.0,
        sentiment_c=100.0,
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
    probabilities = mood_model.trained(mood.featurise).decide(mood.featurise(text, None)).sentiments
    assert found.score == pytest.approx(probabilities["positive"] - probabilities["negative"], abs=1e-3)


@pytest.mark.parametrize("text", ["", "   ", "!!!", "http://example.org"])
def test_nothing_to_read_never_reaches_the_models(text, monkeypatch):
    def refuse(featurise):
        raise AssertionError("the models were asked about an empty text")

    monkeypatch.setattr(mood_model, "trained", refuse)
    assert mood.read_mood(text) == mood.read_by_rules(text)


def test_cross_validation_counts_right_answers_over_every_text():
    texts = [LabelledText(text, "en", kind, sentiment) for text, kind, sentiment in SMALL * 3]
    kind, sentiment = mood_model.cross_validate(lambda text, language: _featured(text), texts, folds=3)
    assert 0.5 <= kind <= 1.0
    assert 0.5 <= sentiment <= 1.0
