"""Building the index: load, chunk, embed what changed, write a new generation, swap it in."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, StorageFullError
from rag.ingest.chunking import SPLITTER_VERSION
from rag.ingest.loaders import LoadResult, Skipped, load_folder
from rag.schema import Document
from rag.search import dense, failures, store
from rag.search.embedder import Embedder
from rag.search.lexical import Bm25, idf_table
from rag.search.onnx_embed import default_cache_dir
from rag.search.parts import DocParts, Progress, chunk_texts, embed_missing, old_parts, split_documents, texts_to_embed
from rag.settings import Settings


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    generation: str
    documents: int
    chunks: int
    sentences: int
    embedded_documents: int
    reused_documents: int
    skipped: tuple[Skipped, ...]
    seconds: float
    up_to_date: bool = False


def chunking_params(settings: Settings) -> dict[str, int]:
    """The settings that change how text is cut; a change means re-chunking everything."""
    return {"sentences": settings.chunk_sentences, "overlap": settings.chunk_overlap, "max_words": settings.chunk_max_words,
            "splitter": SPLITTER_VERSION}


def build_index(
    settings: Settings, embedder: Embedder, force: bool = False, log: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build or update the index of `settings.docs_dir` in `settings.index_dir`; only changed documents are re-embedded.

    `progress` is told how far the embedding is after each batch; it may raise BuildCancelledError to stop the
    build before anything is written (the previous generation serves on).
    """
    say = log or (lambda _msg: None)
    started = time.perf_counter()
    index_dir = settings.index_dir
    with store.build_lock(index_dir, wait_s=0.5):
        store.clean_leftovers(index_dir)
        previous = _previous(settings, index_dir, force)
        old = _old_store(previous[1], index_dir) if previous else None
        known = old[0] if old else {}  # unchanged files are not parsed again
        failed = failures.remembered(index_dir, settings)  # nor are files that failed to parse, until they change
        loaded = load_folder(settings.docs_dir, settings.max_file_bytes, settings.pdf_timeout_s, known, failed, ocr_folder(settings), log)
        failures.remember(index_dir, settings, loaded, failed)
        for skip in loaded.skipped:
            say(f"skipped {skip.path}: {skip.reason}")
        if previous is not None and _unchanged(previous[0], loaded, settings):
            manifest = previous[0]
            _publish_to_store(settings, previous[1])  # a publish to Milvus that failed before is done now
            return BuildReport(
                previous[1].name, len(loaded.documents), manifest["counts"]["chunks"], manifest["counts"]["sentences"],
                0, len(loaded.documents), loaded.skipped, time.perf_counter() - started, up_to_date=True,
            )
        parts, reused = split_documents(loaded, old_parts(old, previous[1]) if previous and old else {}, settings)
        embed_missing(parts, embedder, settings, progress)
        need = store.room_for_build(index_dir, previous[1] if previous else None)
        build = index_dir / f"{store.BUILD_PREFIX}{time.time_ns()}"
        try:
            build.mkdir(parents=True)
            counts = _write_generation(build, parts, settings, embedder.model_id, lambda: embedder.dimension, started)
            store.fsync_tree(build)
            final = store.publish(index_dir, build, store.next_generation(index_dir))
        except (OSError, sqlite3.OperationalError) as exc:
            shutil.rmtree(build, ignore_errors=True)  # the space it took goes back at once; the old generation serves on
            if not store.is_disk_full(exc):
                raise
            raise StorageFullError(store.disk_full_message(index_dir, need)) from exc
        store.clean_leftovers(index_dir)
        _publish_to_store(settings, final)
    say(f"indexed {counts['documents']} documents, {counts['chunks']} chunks ({len(parts) - reused} embedded, {reused} reused) in {final}")
    return BuildReport(
        final.name, counts["documents"], counts["chunks"], counts["sentences"], len(parts) - reused, reused,
        loaded.skipped, time.perf_counter() - started,
    )


def is_stale(settings: Settings) -> bool:
    """True when the index is missing, unreadable, or differs from the documents folder or settings."""
    try:
        gen = store.current_generation(settings.index_dir)
        manifest = store.read_manifest(gen, settings.index_dir)
        store.check_model(manifest, settings.model, settings.index_dir)
    except (IndexMissingError, IndexCorruptError, IndexMismatchError):
        return True
    if settings.store == "milvus":
        from rag.search import milvus

        if milvus.current(milvus.connect(settings)) != store.generation_number(gen.name):
            return True  # built here but not (yet) published to Milvus
    old = _old_store(gen, settings.index_dir) if manifest.get("chunking") == chunking_params(settings) else None
    failed = failures.remembered(settings.index_dir, settings)
    loaded = load_folder(settings.docs_dir, settings.max_file_bytes, settings.pdf_timeout_s, old[0] if old else {}, failed,
                         ocr_folder(settings))
    return not _unchanged(manifest, loaded, settings)


def _unchanged(manifest: dict[str, Any], loaded: LoadResult, settings: Settings) -> bool:
    docs = manifest.get("documents", {})
    return manifest.get("chunking") == chunking_params(settings) and docs.keys() == {d.doc_id for d in loaded.documents} and all(
        docs[d.doc_id]["sha256"] == d.sha256 for d in loaded.documents
    )


def _previous(settings: Settings, index_dir: Path, force: bool) -> tuple[dict[str, Any], Path] | None:
    """The current generation's manifest and folder, when it is sound and built the same way."""
    if force:
        return None
    try:
        gen = store.current_generation(index_dir)
        manifest = store.read_manifest(gen, index_dir)
        store.check_model(manifest, settings.model, index_dir)
    except (IndexMissingError, IndexCorruptError, IndexMismatchError):
        return None
    if manifest.get("chunking") != chunking_params(settings):
        return None
    return manifest, gen


def _old_store(gen: Path, index_dir: Path) -> tuple[dict[str, Document], store.Tables] | None:
    """The documents and tables of an existing generation (None when its store can't be read)."""
    try:
        return store.read_store(gen / store.STORE, index_dir)
    except (IndexCorruptError, OSError, ValueError):
        return None


def _publish_to_store(settings: Settings, gen: Path) -> None:
    """With the Milvus store, copy the generation built here into Milvus and serve it there (the local folder stays
    the build's staging area: unchanged documents' vectors are reused from it)."""
    if settings.store == "milvus":
        from rag.search import milvus

        milvus.publish(settings, gen)


def ocr_folder(settings: Settings) -> Path:
    """The cache folder where what OCR read of scanned PDFs is kept (with the model exports)."""
    return settings.cache_dir or default_cache_dir()


def embedding_work(settings: Settings) -> tuple[list[str], int, int, int]:
    """What a build from scratch embeds: (texts, documents, chunks, sentences). For benchmarks against the raw encode."""
    loaded = load_folder(settings.docs_dir, settings.max_file_bytes, settings.pdf_timeout_s, ocr_cache=ocr_folder(settings))
    parts, _ = split_documents(loaded, {}, settings)
    return texts_to_embed(parts), len(parts), sum(len(p.chunks) for p in parts), sum(len(p.sentences) for p in parts)


def _write_generation(
    build: Path, parts: list[DocParts], settings: Settings, model_id: str, dimension: Callable[[], int], started: float
) -> dict[str, int]:
    """Write store, vectors, FAISS and BM25 indexes and the manifest into a build folder."""
    sentences: list[tuple[str, int, int]] = []
    chunks: list[tuple[str, int, int, int, int]] = []
    for p in parts:
        base = len(sentences)
        sentences.extend((p.doc.doc_id, s, e) for s, e in p.sentences)
        chunks.extend((p.doc.doc_id, s, e, base + f, base + last) for s, e, f, last in p.chunks)
    dim = next((p.chunk_vectors.shape[1] for p in parts if p.chunk_vectors is not None and len(p.chunk_vectors)), 0) or dimension()
    chunk_vecs = _stack([p.chunk_vectors for p in parts], dim)
    sent_vecs = _stack([p.sentence_vectors for p in parts], dim)
    store.write_store(build / store.STORE, [p.doc for p in parts], sentences, chunks)
    store.save_vectors(build / store.CHUNK_VECTORS, chunk_vecs)
    store.save_vectors(build / store.SENTENCE_VECTORS, sent_vecs)
    kind = dense.choose_kind(len(chunks))
    dense.save(dense.build(chunk_vecs, kind), build / store.DENSE)
    bm25_texts = [text for p in parts for text in chunk_texts(p)]
    Bm25.build(bm25_texts).save(build / store.BM25_DIR)
    (build / store.IDF).write_text(json.dumps(idf_table(bm25_texts), ensure_ascii=False), encoding="utf-8")
    counts = {"documents": len(parts), "chunks": len(chunks), "sentences": len(sentences)}
    manifest = {
        "format": store.FORMAT,
        "version": store.FORMAT_VERSION,
        "model": model_id,
        "dimension": int(dim),
        "dense_index": kind,
        "chunking": chunking_params(settings),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "counts": counts,
        "documents": {
            p.doc.doc_id: {
                "sha256": p.doc.sha256, "title": p.doc.title, "size": p.doc.size, "chunks": len(p.chunks), "sentences": len(p.sentences)
            }
            for p in parts
        },
        "files": store.describe_files(build),
    }
    store.write_manifest(build, manifest)
    return counts


def _stack(arrays: list[np.ndarray | None], dim: int) -> np.ndarray:
    present = [a for a in arrays if a is not None and len(a)]
    return np.vstack(present).astype(np.float32) if present else np.zeros((0, dim), dtype=np.float32)
