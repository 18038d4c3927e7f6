"""The composer's relevance test (the rest of the composer is exercised through `Engine.ask` in test_engine)."""

from __future__ import annotations

import numpy as np

from rag.answer.composer import QUESTION_FEATURES, UNSEEN_WORDS_RAISE, on_topic


def _question(max_cos: float, unknown_words: float) -> np.ndarray:
    vector = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
    vector[QUESTION_FEATURES.index("max_cos")] = max_cos
    vector[QUESTION_FEATURES.index("unknown_words")] = unknown_words
    return vector


def test_on_topic_needs_the_best_cosine_to_reach_the_floor() -> None:
    assert on_topic(_question(0.30, 0.5), 0.25)
    assert not on_topic(_question(0.20, 0.0), 0.25)


def test_on_topic_asks_more_of_a_question_none_of_whose_words_the_documents_use() -> None:
    between = 0.25 + UNSEEN_WORDS_RAISE / 2
    assert on_topic(_question(between, 0.75), 0.25)
    assert not on_topic(_question(between, 1.0), 0.25)
    assert on_topic(_question(0.25 + UNSEEN_WORDS_RAISE + 0.01, 1.0), 0.25)
