"""`rag index --ray` on a local Ray: the same chunks, vectors and answers as the single-process build."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evals.gold import load_gold
from rag.cli import main
from rag.engine import Engine
from rag.search import store
from rag.search.embedder import Embedder
from rag.settings import Settings
from tests.seed import copy_seed

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_a_ray_build_gives_the_same_chunks_vectors_and_answers_as_one_process(tmp_path: Path, embedder: Embedder) -> None:
    docs = copy_seed(tmp_path / "docs")
    (docs / "harbour.md").write_text("# Harbour\n\nThe harbour of Brenzo counted 1,888 barrels of tar in 1888.\n", encoding="utf-8")
    assert main(["index", "--docs", str(docs), "--index", str(tmp_path / "ray"), "--ray"]) == 0
    one = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "one", progress=False), embedder)
    one.build()
    spread = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "ray", progress=False), embedder)
    a_gen, b_gen = store.current_generation(tmp_path / "one"), store.current_generation(tmp_path / "ray")
    for name in (store.CHUNK_VECTORS, store.SENTENCE_VECTORS):
        a, b = np.load(a_gen / name), np.load(b_gen / name)
        assert a.shape == b.shape and np.allclose(a, b, atol=1e-5), name
    assert (one.index.tables.chunk_start == spread.index.tables.chunk_start).all()
    for q in load_gold(ROOT / "evals" / "gold.jsonl"):
        a_answer, b_answer = one.ask(q.question, list(q.history)), spread.ask(q.question, list(q.history))
        assert (b_answer.answer, b_answer.abstained) == (a_answer.answer, a_answer.abstained), q.question
