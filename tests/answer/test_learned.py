"""The learned answer scorer: its input, its arithmetic, its checked loading, and its answers on the seed."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.answer.learned import AnswerScorer, Scores, candidate_text, default_dir
from rag.engine import Engine
from rag.errors import ConfigError
from rag.search.embedder import Embedder
from rag.search.store import file_sha256
from rag.settings import Settings


def test_candidate_text_is_the_sentence_then_the_end_of_the_one_before() -> None:
    before = " ".join(f"w{i}" for i in range(30))
    text = candidate_text("Kellogg will not take part.", before)
    assert text.startswith("Kellogg will not take part. | ") and text.endswith("w29") and "w9 " not in text
    assert candidate_text("Alone.", "") == "Alone."


def test_answerable_is_one_minus_the_softmax_share_of_none() -> None:
    scores = Scores(np.array([2.0, 0.0], dtype=np.float32), none=1.0)
    some = math.exp(2.0) + math.exp(0.0)
    assert scores.answerable() == pytest.approx(some / (some + math.exp(1.0)))
    assert Scores(np.zeros(0, dtype=np.float32), none=0.0).answerable() == 0.0


def test_the_shipped_model_matches_the_sha256_of_its_manifest() -> None:
    manifest = json.loads((default_dir() / "manifest.json").read_text(encoding="utf-8"))
    assert file_sha256(default_dir() / manifest["file"]) == manifest["sha256"]
    assert 0.0 < manifest["threshold"] < 1.0 and manifest["validation"]["false_abstention"] <= 0.05


def test_a_damaged_model_file_is_refused_with_how_to_rebuild_it(tmp_path: Path) -> None:
    copy = tmp_path / "scorer"
    shutil.copytree(default_dir(), copy)
    data = bytearray((copy / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=r"damaged.*make train"):
        AnswerScorer(copy).warm_up()


def test_a_missing_model_is_refused_with_how_to_rebuild_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.*make train"):
        AnswerScorer(tmp_path).warm_up()


@pytest.fixture(scope="module")
def learned(seed_engine: Engine, seed_settings: Settings, embedder: Embedder) -> Engine:
    """An engine with the learned scorer over the seed index the session built."""
    assert seed_engine.index.documents
    return Engine(replace(seed_settings, answer_scorer="learned"), embedder)


@pytest.mark.slow
def test_the_learned_scorer_answers_the_seed_and_abstains_off_topic(learned: Engine) -> None:
    assert learned.scorer is not None and learned.abstain_threshold == pytest.approx(learned.scorer.manifest["threshold"])
    answer = learned.ask("Where did Rubio arrive on Saturday?")
    assert not answer.abstained and "Israel" in answer.citations[0].quote
    assert learned.ask("What is the best recipe for banana bread?").abstained


@pytest.mark.slow
def test_the_first_quote_is_the_models_best_sentence_and_the_confidence_its_answerability(learned: Engine) -> None:
    question = "Where did Rubio arrive on Saturday?"
    answer = learned.ask(question)
    index, scorer = learned.index, learned.scorer
    assert scorer is not None and answer.citations
    first = answer.citations[0]
    assert index.documents[first.doc_id].text[first.start : first.end] == first.quote
    assert first.score == pytest.approx(max(c.score for c in answer.citations), abs=1e-3) or len(answer.citations) == 1
    assert 0.0 <= answer.confidence <= 1.0 and answer.confidence >= learned.abstain_threshold


@pytest.mark.slow
def test_the_composer_is_the_default_while_it_measures_better(seed_engine: Engine) -> None:
    assert seed_engine.settings.answer_scorer == "composer" and seed_engine.scorer is None
    assert seed_engine.abstain_threshold == pytest.approx(0.54)
    assert "Israel" in seed_engine.ask("Where did Rubio arrive on Saturday?").answer


@pytest.mark.slow
def test_the_hybrid_ranks_with_the_model_and_abstains_as_the_composer_does(
    seed_engine: Engine, seed_settings: Settings, embedder: Embedder
) -> None:
    hybrid = Engine(replace(seed_settings, answer_scorer="hybrid"), embedder)
    assert hybrid.scorer is not None and hybrid.abstain_threshold == pytest.approx(seed_engine.abstain_threshold)
    assert hybrid.second_quote_margin == pytest.approx(seed_engine.second_quote_margin)  # composer units plus a weighted logit
    for question in ("Where did Rubio arrive on Saturday?", "What is the best recipe for banana bread?"):
        mine, composers = hybrid.ask(question), seed_engine.ask(question)
        assert (mine.confidence, mine.abstained) == (composers.confidence, composers.abstained)
    answer, composers = hybrid.ask("Where did Rubio arrive on Saturday?"), seed_engine.ask("Where did Rubio arrive on Saturday?")
    assert "Israel" in answer.citations[0].quote and answer.citations[0].score != composers.citations[0].score
