"""The shape of the text-intelligence benchmark's blind evaluation data (benchmarks/data): enough rows, both
languages, labels the demo catalogue knows, and nothing copied from the demo's own training descriptions.

Two sets of texts, checked alike: the development set (texts_eval.csv, whose first run informed the mood
reader's changes) and the holdout set (texts_eval_holdout.csv, written afterwards and never tuned on)."""

from __future__ import annotations

import csv
import math
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.words import fold

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
TEXTS = DATA / "texts_eval.csv"
HOLDOUT = DATA / "texts_eval_holdout.csv"
PAIRS = DATA / "duplicate_pairs.csv"
CATALOGUE = ROOT / "civic311" / "demo" / "data" / "philadelphia-catalogue.toml"

TEXT_COLUMNS = ["id", "channel", "language", "text", "service", "kind", "sentiment"]
PAIR_COLUMNS = [
    "id",
    "case",
    "existing_service",
    "existing_lat",
    "existing_long",
    "existing_days_ago",
    "existing_description",
    "new_service",
    "new_lat",
    "new_long",
    "new_description",
    "metres_apart",
    "is_duplicate",
]
# Philadelphia, generously: every point of the pairs must fall in the demo city.
PHILADELPHIA = (39.86, 40.14, -75.29, -74.95)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@dataclass(frozen=True)
class TextSet:
    """A file of evaluation texts and what it must hold."""

    path: Path
    id_prefix: str
    rows: int  # at least
    per_service: int  # texts at least for every reportable service
    spanish: float  # share at least
    no_problem: float  # share at least of texts with nothing to report


TEXT_SETS = [
    TextSet(TEXTS, "T", rows=300, per_service=10, spanish=0.30, no_problem=0.08),
    TextSet(HOLDOUT, "H", rows=160, per_service=5, spanish=0.35, no_problem=0.12),
]


@pytest.fixture(scope="module", params=TEXT_SETS, ids=lambda text_set: text_set.path.name)
def text_set(request) -> TextSet:
    return request.param


@pytest.fixture(scope="module")
def texts(text_set) -> list[dict[str, str]]:
    columns, rows = read_csv(text_set.path)
    assert columns == TEXT_COLUMNS
    return rows


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, str]]:
    columns, rows = read_csv(PAIRS)
    assert columns == PAIR_COLUMNS
    return rows


@pytest.fixture(scope="module")
def reportable_codes() -> set[str]:
    """The demo catalogue's services a resident can report (not the information-only ones)."""
    catalogue = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    return {service["code"] for service in catalogue["services"] if service.get("kind", "") != "information"}


def test_enough_texts_with_unique_ids(texts, text_set):
    assert len(texts) >= text_set.rows
    ids = [row["id"] for row in texts]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(rf"{text_set.id_prefix}\d{{3,}}", identifier) for identifier in ids)


def test_every_text_is_labelled_with_known_values(texts, reportable_codes):
    kinds = set(TextKind.values)
    sentiments = set(Sentiment.values)
    for row in texts:
        assert row["text"].strip(), row["id"]
        assert row["channel"] in {"post", "email", "sms"}, row["id"]
        assert row["language"] in {"en", "es"}, row["id"]
        assert row["kind"] in kinds, row["id"]
        assert row["sentiment"] in sentiments, row["id"]
        assert row["service"] == "" or row["service"] in reportable_codes, row["id"]


def test_both_languages_and_every_channel(texts, text_set):
    languages = Counter(row["language"] for row in texts)
    assert languages["es"] >= text_set.spanish * len(texts)
    assert languages["en"] >= 0.3 * len(texts)
    channels = Counter(row["channel"] for row in texts)
    assert set(channels) == {"post", "email", "sms"}
    assert min(channels.values()) >= 30


def test_every_reportable_service_has_enough_texts_in_both_languages(texts, text_set, reportable_codes):
    by_service = Counter(row["service"] for row in texts if row["service"])
    assert set(by_service) == reportable_codes
    assert min(by_service.values()) >= text_set.per_service
    spanish = Counter(row["service"] for row in texts if row["service"] and row["language"] == "es")
    assert set(spanish) == reportable_codes


def test_every_kind_and_sentiment_is_present(texts, text_set):
    assert set(Counter(row["kind"] for row in texts)) == set(TextKind.values)
    assert set(Counter(row["sentiment"] for row in texts)) == set(Sentiment.values)
    # Texts with no problem to report (questions, praise, spam) are there too, for the "unsure" answer.
    assert sum(1 for row in texts if not row["service"]) >= text_set.no_problem * len(texts)
    # A thank-you is never a problem to fix.
    assert all(not row["service"] for row in texts if row["kind"] == TextKind.PRAISE)


def test_no_two_texts_read_the_same(texts):
    folded = [fold(row["text"]) for row in texts if fold(row["text"])]
    duplicates = [text for text, count in Counter(folded).items() if count > 1]
    assert duplicates == []


def module_strings(module: ModuleType) -> set[str]:
    """Every string a module holds at its top level, however nested in lists, tuples, sets and dicts."""
    found: set[str] = set()
    stack: list[object] = [value for name, value in vars(module).items() if not name.startswith("__")]
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend(value)
    return found


def test_no_text_is_a_demo_training_description(texts):
    """Blind: the evaluation set is not the demo generator's output (nor any of its phrases). A one- or
    two-word text ("hi", "hola") may well be a word the demo lists: only sentences are compared."""
    from civic311.demo import texts as demo_texts

    demo = {fold(text) for text in module_strings(demo_texts)}
    demo.discard("")
    assert len(demo) > 20  # the demo does hold descriptions: the check compares against something
    sentences = [(row["id"], fold(row["text"])) for row in texts if len(fold(row["text"]).split()) >= 3]
    assert len(sentences) >= 0.9 * len(texts)
    copied = [identifier for identifier, text in sentences if text in demo]
    assert copied == []


def test_the_holdout_set_repeats_no_development_text():
    """The holdout set is new texts, not the development set's again (nor its ids). A one- or two-word text
    ("hi", "gracias") may well occur in both: only sentences are compared."""
    _columns, development = read_csv(TEXTS)
    _columns, holdout = read_csv(HOLDOUT)
    assert not {row["id"] for row in development} & {row["id"] for row in holdout}
    seen = {fold(row["text"]) for row in development}
    sentences = [row for row in holdout if len(fold(row["text"]).split()) >= 3]
    assert len(sentences) >= 0.9 * len(holdout)
    assert [row["id"] for row in sentences if fold(row["text"]) in seen] == []


def test_enough_labelled_duplicate_pairs(pairs, reportable_codes):
    assert len(pairs) >= 100
    assert len({row["id"] for row in pairs}) == len(pairs)
    labels = Counter(row["is_duplicate"] for row in pairs)
    assert set(labels) == {"yes", "no"}
    assert min(labels.values()) >= 30
    for row in pairs:
        assert row["existing_service"] in reportable_codes, row["id"]
        assert row["new_service"] in reportable_codes, row["id"]
        assert row["existing_description"].strip() and row["new_description"].strip(), row["id"]
        assert int(row["existing_days_ago"]) >= 0, row["id"]
        assert row["case"], row["id"]


def metres_between(lat1: float, long1: float, lat2: float, long2: float) -> float:
    earth = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(long2 - long1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * earth * math.asin(math.sqrt(a))


def test_pairs_lie_in_the_city_as_far_apart_as_labelled(pairs):
    south, north, west, east = PHILADELPHIA
    for row in pairs:
        old = float(row["existing_lat"]), float(row["existing_long"])
        new = float(row["new_lat"]), float(row["new_long"])
        for lat, long in (old, new):
            assert south < lat < north and west < long < east, row["id"]
        assert metres_between(*old, *new) == pytest.approx(float(row["metres_apart"]), rel=0.05, abs=2), row["id"]


def test_pairs_cover_the_hard_cases(pairs):
    cases = Counter(row["case"] for row in pairs)
    for case in ("same_problem", "same_block_other_problem", "far_away", "old_recurring", "related_service"):
        assert cases[case] >= 5, case
    # A new report far from the existing one, or another problem on the block, is not a duplicate.
    assert all(row["is_duplicate"] == "no" for row in pairs if row["case"] in {"far_away", "same_block_other_problem"})
