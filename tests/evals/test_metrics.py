"""The metric functions against small examples worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from evals import metrics as m


def test_contains_answer_ignores_case_spacing_and_curly_quotes() -> None:
    assert m.contains_answer("The crown prince’s  KEY\nrole [1].", ["crown prince's key role"])
    assert m.contains_answer("Mike Waltz, Marco Rubio", ["Steve Witkoff", "marco rubio"])
    assert not m.contains_answer("Mike Waltz", ["Marco Rubio"])
    assert not m.contains_answer("anything", [])


def test_first_relevant_rank_is_one_based_and_none_when_absent() -> None:
    passages = ["Talks in Riyadh.", "Kellogg spoke in Munich.", "Munich again."]
    assert m.first_relevant_rank(passages, ["munich"]) == 2
    assert m.first_relevant_rank(passages, ["Minsk"]) is None


def test_recall_at_k_and_mrr_on_four_questions() -> None:
    ranks = [1, 2, None, 4]
    assert [m.recall_at_k(ranks, k) for k in (1, 3, 5, 10)] == [0.25, 0.5, 0.75, 0.75]
    assert m.mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 2 + 0 + 1 / 4) / 4)
    assert m.recall_at_k([], 5) is None
    assert m.mean_reciprocal_rank([]) is None


def test_token_f1_drops_articles_punctuation_and_citation_markers() -> None:
    # prediction tokens: minsk, ii, agreement; gold: minsk, ii -> precision 2/3, recall 1, F1 0.8
    assert m.token_f1("The Minsk II agreement [1].", "Minsk II") == pytest.approx(0.8)
    assert m.token_f1("Saudi Arabia", "saudi arabia") == 1.0
    assert m.token_f1("Israel", "Saudi Arabia") == 0.0
    assert m.best_f1("in Saudi Arabia", ["Riyadh", "Saudi Arabia"]) == pytest.approx(0.8)
    assert m.best_f1("anything", []) == 0.0


def test_word_count_skips_citation_markers_and_bare_punctuation() -> None:
    assert m.word_count("Mike Waltz will attend [1]. Rubio too [2] .") == 6
    assert m.word_count("") == 0


def test_percentile_matches_numpy_linear_interpolation() -> None:
    values = [12.0, 3.5, 40.0, 7.25, 19.0, 19.0, 100.0]
    for q in (0, 10, 50, 95, 100):
        assert m.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert m.percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert m.percentile([], 50) is None


def test_abstention_precision_recall_and_false_rate() -> None:
    answerable = [True, True, True, False, False]
    abstained = [False, True, False, True, False]
    stats = m.abstention(answerable, abstained)
    assert (stats.precision, stats.recall, stats.false_abstention_rate) == (0.5, 0.5, pytest.approx(1 / 3))
    assert m.abstention([True], [False]).precision is None  # nothing abstained: no precision to speak of


def test_abstention_curve_sweeps_every_confidence() -> None:
    confidences, answerable, hits = [0.9, 0.6, 0.3, 0.2], [True, True, False, False], [True, False, False, False]
    points = {round(p.threshold, 6): p for p in m.abstention_curve(confidences, answerable, hits)}
    assert sorted(points) == [0.0, 0.2, 0.3, 0.6, 0.9, 0.900001]
    none = points[0.0]
    assert (none.false_abstention_rate, none.abstention_recall, none.abstention_precision, none.hit_rate) == (0.0, 0.0, None, 0.5)
    p = points[0.3]  # abstains on 0.2 only
    assert (p.false_abstention_rate, p.abstention_recall, p.abstention_precision, p.hit_rate) == (0.0, 0.5, 1.0, 0.5)
    p = points[0.9]  # abstains on 0.6, 0.3, 0.2: loses the answerable miss, keeps the hit
    assert (p.false_abstention_rate, p.abstention_recall, p.abstention_precision, p.hit_rate) == (0.5, 1.0, pytest.approx(2 / 3), 0.5)
    everything = points[0.900001]
    assert (everything.false_abstention_rate, everything.abstention_recall, everything.hit_rate) == (1.0, 1.0, 0.0)


def test_abstention_auc_is_the_area_under_the_curve() -> None:
    assert m.abstention_auc([0.9, 0.8, 0.2, 0.1], [True, True, False, False]) == 1.0
    assert m.abstention_auc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert m.abstention_auc([0.5, 0.5], [True, False]) == 0.5
    assert m.abstention_auc([0.5], [True]) is None
    rng = np.random.default_rng(7)
    confidences = [float(c) for c in rng.random(40).round(2)]  # rounded: ties happen
    answerable = [bool(a) for a in rng.random(40) < 0.5]
    curve = sorted(m.abstention_curve(confidences, answerable, [False] * 40), key=lambda p: p.threshold)
    xs = [p.false_abstention_rate or 0.0 for p in curve]
    ys = [p.abstention_recall or 0.0 for p in curve]
    trapezoid = sum((x1 - x0) * (y0 + y1) / 2 for x0, x1, y0, y1 in zip(xs, xs[1:], ys, ys[1:], strict=False))
    assert m.abstention_auc(confidences, answerable) == pytest.approx(trapezoid)


def test_calibrate_threshold_takes_the_highest_within_the_budget() -> None:
    confidences = [0.2, 0.5, 0.8, 0.9, 0.1, 0.4]
    answerable = [True, True, True, True, False, False]
    assert m.calibrate_threshold(confidences, answerable, 0.25) == 0.5  # one of four answerable may fall below
    assert m.calibrate_threshold(confidences, answerable, 0.0) == 0.2
    assert m.calibrate_threshold(confidences, answerable, 0.1) == 0.2  # 10% of 4 is 0.4: no answerable one may fall
    assert m.calibrate_threshold(confidences, answerable, 1.0) > 0.9
    assert m.calibrate_threshold([0.3], [False], 0.1) is None
    t = m.calibrate_threshold(confidences, answerable, 0.25)
    assert t is not None
    assert m.abstention(answerable, [c < t for c in confidences]).false_abstention_rate == 0.25
