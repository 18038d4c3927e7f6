"""Damaged index files: a clear error naming the file and how to rebuild, never a traceback or a wrong quote."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from faultkit import Baseline, answers

from rag.engine import Engine
from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, RagError
from rag.search import dense, store
from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from rag.search.indexer import build_index
from rag.settings import Settings

pytestmark = pytest.mark.local_store  # the local store's files; Milvus's incomplete rows: tests/search/test_milvus.py

def _generation_files(settings: Settings) -> list[Path]:
    gen = store.current_generation(settings.index_dir)
    return sorted(p for p in gen.rglob("*") if p.is_file())


def _assert_refused(settings: Settings, embedder: Embedder, names: str) -> RagError:
    """Loading fails with a RagError that names the damaged file and says how to rebuild; ask() fails the same way."""
    with pytest.raises(RagError) as caught:
        LoadedIndex.load(settings.index_dir, settings.model)
    message = str(caught.value)
    assert names in message, message
    assert "rag index" in message, message
    with pytest.raises(RagError):
        Engine(settings, embedder).ask("Who is handling the Russian side of the negotiations?")
    return caught.value


def test_every_index_file_truncated_emptied_or_deleted_is_refused_by_name(work: Settings, embedder: Embedder) -> None:
    for path in [*_generation_files(work), work.index_dir / store.CURRENT]:
        original = path.read_bytes()
        damages = {"truncated": original[: len(original) // 2], "empty": b"", "deleted": None}
        for kind, content in damages.items():
            if content is None:
                path.unlink()
            else:
                path.write_bytes(content)
            err = _assert_refused(work, embedder, path.name)
            assert isinstance(err, (IndexCorruptError, IndexMissingError)), (path.name, kind, err)
            path.write_bytes(original)
    LoadedIndex.load(work.index_dir, work.model)  # restored byte for byte: loads again


def test_one_flipped_byte_anywhere_in_a_generation_is_refused_by_name(work: Settings, embedder: Embedder) -> None:
    rng = random.Random(2)
    for path in _generation_files(work):
        original = path.read_bytes()
        for offset in sorted({rng.randrange(len(original)) for _ in range(6)} | {0, len(original) - 1}):
            flipped = bytearray(original)
            flipped[offset] ^= 1 << rng.randrange(8)
            path.write_bytes(bytes(flipped))
            err = _assert_refused(work, embedder, path.name if path.name != store.MANIFEST else "manifest.json")
            assert isinstance(err, (IndexCorruptError, IndexMismatchError)), (path.name, offset, err)
        path.write_bytes(original)


def test_flipped_pointer_is_refused_or_still_names_the_same_generation(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    pointer = work.index_dir / store.CURRENT
    original = pointer.read_bytes()
    for offset in range(len(original)):
        for bit in range(8):
            flipped = bytearray(original)
            flipped[offset] ^= 1 << bit
            pointer.write_bytes(bytes(flipped))
            try:
                index = LoadedIndex.load(work.index_dir, work.model)
            except RagError as exc:
                assert "CURRENT" in str(exc) and "rag index" in str(exc), str(exc)
            else:  # only whitespace around the name changed
                assert index.generation == baseline.generation
    pointer.write_bytes(original)


def _reseal(gen: Path, manifest: dict[str, object]) -> None:
    """Rewrite a manifest consistently (file sizes and hashes, own checksum), as a buggy or foreign writer would."""
    manifest["files"] = store.describe_files(gen)
    store.write_manifest(gen, manifest)


def test_index_of_another_format_version_is_refused_with_both_versions(work: Settings, embedder: Embedder) -> None:
    gen = store.current_generation(work.index_dir)
    manifest = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    manifest["version"] = store.FORMAT_VERSION + 1
    _reseal(gen, manifest)
    err = _assert_refused(work, embedder, "manifest.json")
    assert isinstance(err, IndexMismatchError)
    assert f"version {store.FORMAT_VERSION + 1}" in str(err) and f"version {store.FORMAT_VERSION}" in str(err)


def test_faiss_holding_fewer_vectors_than_the_chunk_store_is_refused(work: Settings, embedder: Embedder) -> None:
    gen = store.current_generation(work.index_dir)
    vectors = np.load(gen / store.CHUNK_VECTORS)
    dense.save(dense.build(vectors[:-3], "flat"), gen / store.DENSE)
    _reseal(gen, json.loads((gen / store.MANIFEST).read_text(encoding="utf-8")))
    err = _assert_refused(work, embedder, store.DENSE)
    assert f"expected {len(vectors)}" in str(err)


def _edit_store_and_reseal(work: Settings, sql: str) -> None:
    """Change the chunk store behind the manifest's back, then fix the checksums so only the content disagrees."""
    gen = store.current_generation(work.index_dir)
    con = sqlite3.connect(gen / store.STORE)
    con.execute(sql)
    con.commit()
    con.close()
    _reseal(gen, json.loads((gen / store.MANIFEST).read_text(encoding="utf-8")))


def test_chunk_store_with_an_extra_chunk_is_refused(work: Settings, embedder: Embedder) -> None:
    _edit_store_and_reseal(
        work,
        "INSERT INTO chunks SELECT (SELECT MAX(id) + 1 FROM chunks), doc_id, start, end, first_sentence, last_sentence "
        "FROM chunks WHERE id = 0",
    )
    _assert_refused(work, embedder, store.STORE)


def test_chunk_offsets_outside_their_document_are_refused(work: Settings, embedder: Embedder) -> None:
    _edit_store_and_reseal(work, "UPDATE chunks SET end = end + 100000 WHERE id = 0")
    _assert_refused(work, embedder, store.STORE)


def test_bm25_over_other_chunks_than_the_store_is_refused(work: Settings, embedder: Embedder) -> None:
    from rag.search.lexical import Bm25

    gen = store.current_generation(work.index_dir)
    bm25_dir = gen / store.BM25_DIR
    for path in bm25_dir.iterdir():
        path.unlink()
    Bm25.build(["one lonely chunk", "and another"]).save(bm25_dir)
    _reseal(gen, json.loads((gen / store.MANIFEST).read_text(encoding="utf-8")))
    _assert_refused(work, embedder, store.BM25_DIR)


@pytest.mark.slow
def test_damaged_current_generation_is_rebuilt_by_the_next_build(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    gen = store.current_generation(work.index_dir)
    (gen / store.SENTENCE_VECTORS).write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(IndexCorruptError):
        LoadedIndex.load(work.index_dir, work.model)
    report = build_index(work, embedder)
    assert report.embedded_documents == report.documents  # nothing reused from the damaged generation
    assert answers(Engine(work, embedder)) == baseline.answers


def test_running_engine_keeps_serving_when_a_newer_generation_is_damaged(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    engine = Engine(work, embedder)
    assert answers(engine) == baseline.answers
    (work.docs_dir / "ledger-0001.txt").unlink()
    build_index(work, embedder)
    newest = store.current_generation(work.index_dir)
    (newest / store.STORE).write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(IndexCorruptError, match=r"store\.sqlite"):
        engine.reload()
    assert engine.index.generation == baseline.generation
    assert answers(engine) == baseline.answers
