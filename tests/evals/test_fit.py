"""The composer's ranking weights are fitted pairwise and kept at zero or above."""

from __future__ import annotations

import numpy as np

from evals.fit import Row, fit_ranker
from rag.answer.composer import FEATURES, Candidate


def _row(features: list[list[float]], labels: list[bool]) -> Row:
    ranked = [Candidate(i, 0, np.array(f, dtype=np.float32), 0.0) for i, f in enumerate(features)]
    return Row("0:a", "answerable", 1.0, True, ranked, None, None, np.array(labels), np.zeros(len(features)))  # type: ignore[arg-type]


def test_fitted_ranking_weights_rank_answers_first_and_never_turn_a_feature_against_them() -> None:
    rng = np.random.default_rng(0)
    n = len(FEATURES)
    rows = []
    for _ in range(200):
        feats = rng.random((6, n))
        feats[0, 0] += 1.0  # the answer is more similar (feature 0)...
        feats[0, 1] -= 0.5  # ...and shares fewer words (feature 1): a quirk of this data
        rows.append(_row(feats.tolist(), [True] + [False] * 5))
    w = fit_ranker(rows)
    assert w.shape == (n,) and (w >= 0).all()
    assert w[0] > 0 and w[1] == 0.0  # the quirk gets no weight rather than a negative one
    hits = [int(np.argmax(np.array([c.features for c in r.ranked]) @ w)) == 0 for r in rows]
    assert np.mean(hits) > 0.9
