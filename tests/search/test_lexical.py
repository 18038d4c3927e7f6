"""Tokenising, BM25 and IDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.search.lexical import Bm25, idf_table, tokens, words


def test_tokens_stem_drop_stopwords_and_unify_acronyms() -> None:
    assert tokens("The U.S. negotiators were negotiating") == ["us", "negoti", "negoti"]
    assert words("Russia-Ukraine, 2025!") == ["russia-ukraine", "2025"]
    assert tokens("Russia-Ukraine") == ["russia", "ukrain"]


def test_bm25_ranks_matching_chunk_first_and_survives_save_load(tmp_path: Path) -> None:
    bm25 = Bm25.build(["cats chase mice", "dogs chase cats", "the stock market fell"])
    scores = bm25.scores("market crash")
    assert int(np.argmax(scores)) == 2 and scores[0] == 0
    bm25.save(tmp_path / "bm25")
    assert np.allclose(Bm25.load(tmp_path / "bm25").scores("market crash"), scores)


def test_bm25_gives_zeros_for_unknown_words() -> None:
    assert not Bm25.build(["alpha beta"]).scores("zeta omega").any()


def test_idf_is_higher_for_rarer_words() -> None:
    idf = idf_table(["common rare", "common", "common"])
    assert idf["rare"] > idf["common"] > 0


def test_a_plural_acronym_is_its_acronym() -> None:
    assert tokens("DVDs and CDs") == tokens("DVD and CD")
    assert tokens("Mrs Jones") == ["mrs", "jone"]  # only capitals before the "s" make an acronym
