"""The before-and-after comparison both the youth impact report and the pilot report read, against figures
worked out by hand."""

from __future__ import annotations

import pytest

from civic311.community.models import Phase
from civic311.community.selectors import pre_post
from civic311.surveys import services as surveys
from civic311.surveys.models import Instrument, InstrumentVersion, Response

B, A = Phase.BEFORE, Phase.AFTER


@pytest.fixture
def version(jurisdiction):
    instrument = Instrument.objects.create(jurisdiction=jurisdiction, slug="yep", name="YEP survey")
    version = InstrumentVersion.objects.create(instrument=instrument, number=1)
    surveys.add_question(version, code="knows_311", kind="yes_no", text="Do you know Philly311?", order=1)
    surveys.add_question(version, code="comfort", kind="scale_1_5", text="How comfortable?", order=2)
    surveys.add_question(
        version,
        code="learn",
        kind="multiple_choice",
        text="What do you want to learn?",
        order=3,
        choices=[{"key": "app", "label": "The app"}, {"key": "jobs", "label": "City jobs"}],
    )
    surveys.add_question(version, code="why", kind="free_text", text="Why?", order=4)
    surveys.add_question(version, code="reach", kind="contact_details", text="Reach you?", order=5)
    return version


def test_yes_no_shares_and_pairs(version):
    answers: pre_post.Answers = {
        1: {B: {"knows_311": False}, A: {"knows_311": True}},
        2: {B: {"knows_311": False}, A: {"knows_311": True}},
        3: {B: {"knows_311": True}, A: {"knows_311": False}},
        4: {B: {"knows_311": True}, A: {"knows_311": True}},
        5: {B: {"knows_311": False}},  # answered before only
        6: {A: {"knows_311": True}},  # after only
    }
    [row] = [
        r for r in pre_post.compare(version.questions.all(), version.questions.all(), answers) if r.code == "knows_311"
    ]
    # Before: 2 yes of 5 = 40 %; after: 4 yes of 5 = 80 %; +40 points. Pairs: 1-4: two no→yes, one yes→no, one stayed.
    assert row.yes_before is not None and row.yes_after is not None
    assert (row.yes_before.count, row.yes_before.total, row.yes_before.percent) == (2, 5, 40.0)
    assert (row.yes_after.count, row.yes_after.total, row.yes_after.percent) == (4, 5, 80.0)
    assert row.change_in_points == pytest.approx(40.0)
    assert (row.paired.pairs, row.paired.improved, row.paired.worse, row.paired.unchanged) == (4, 2, 1, 1)
    assert row.paired.improved_percent == 50.0


def test_scale_means_difference_and_spread(version):
    answers: pre_post.Answers = {
        1: {B: {"comfort": 1}, A: {"comfort": 4}},  # +3
        2: {B: {"comfort": 2}, A: {"comfort": 3}},  # +1
        3: {B: {"comfort": 4}, A: {"comfort": 4}},  # 0
        4: {B: {"comfort": 5}, A: {"comfort": 3}},  # -2
        5: {B: {"comfort": 3}},
    }
    [row] = [r for r in pre_post.compare([], version.questions.all(), answers) if r.code == "comfort"]
    assert row.mean_before == pytest.approx(15 / 5)  # 1+2+4+5+3
    assert row.mean_after == pytest.approx(14 / 4)
    # Differences 3, 1, 0, -2: mean 0.5; sample variance ((2.5)²+(0.5)²+(0.5)²+(2.5)²)/3 = 13/3.
    assert row.paired.mean_difference == pytest.approx(0.5)
    assert row.paired.spread == pytest.approx((13 / 3) ** 0.5)
    assert (row.paired.improved, row.paired.unchanged, row.paired.worse) == (2, 1, 1)


def test_one_pair_has_no_spread(version):
    [row] = [
        r
        for r in pre_post.compare([], version.questions.all(), {1: {B: {"comfort": 2}, A: {"comfort": 5}}})
        if r.code == "comfort"
    ]
    assert row.paired.mean_difference == 3 and row.paired.spread is None


def test_choices_shares_comments_and_no_contact_details(version):
    answers: pre_post.Answers = {
        1: {B: {"learn": ["app"], "why": "curious"}, A: {"learn": ["app", "jobs"], "why": "  "}},
        2: {B: {"learn": ["jobs"]}, A: {"learn": ["jobs"], "why": "fun", "reach": {"name": "x"}}},
    }
    rows = {r.code: r for r in pre_post.compare(version.questions.all(), version.questions.all(), answers)}
    assert "reach" not in rows
    learn = {c.key: c for c in rows["learn"].choices}
    assert (learn["app"].before.count, learn["app"].after.count, learn["jobs"].after.percent) == (1, 1, 100.0)
    assert learn["app"].label == "The app"
    assert (rows["learn"].paired.pairs, rows["learn"].paired.unchanged) == (2, 1)
    assert rows["why"].comments_before == ["curious"] and rows["why"].comments_after == ["fun"]


def test_questions_in_one_phase_only_and_the_newer_wording(jurisdiction, version):
    newer = InstrumentVersion.objects.create(instrument=version.instrument, number=2)
    surveys.add_question(newer, code="knows_311", kind="yes_no", text="Have you heard of Philly311?", order=1)
    surveys.add_question(newer, code="jbc", kind="yes_no", text="Junior Block Captains?", order=2)
    rows = pre_post.compare(version.questions.all(), newer.questions.all(), {1: {A: {"jbc": True}}})
    assert [r.code for r in rows] == ["knows_311", "jbc", "comfort", "learn", "why"]
    assert rows[0].text == "Have you heard of Philly311?"
    assert rows[1].yes_before is not None
    assert rows[1].yes_before.total == 0 and rows[1].yes_before.percent is None and rows[1].change_in_points is None


def test_answers_of_reads_stored_answers(jurisdiction, version):
    questions = {q.code: q for q in version.questions.all()}
    triples = []
    for subject, phase, value in [(10, B, False), (10, A, True), (11, B, True)]:
        response = Response.objects.create(jurisdiction=jurisdiction, version=version, outcome="completed")
        response.answers.create(question=questions["knows_311"], value=value)
        triples.append((subject, phase, response.pk))
    assert pre_post.answers_of(triples) == {
        10: {B: {"knows_311": False}, A: {"knows_311": True}},
        11: {B: {"knows_311": True}},
    }
    assert pre_post.answers_of([]) == {}
