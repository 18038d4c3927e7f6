"""Building the index: load, chunk, embed what changed, write a new generation, swap it in."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, StorageFullError
from rag.ingest import ocr
from rag.ingest.chunking import SPLITTER_VERSION, chunk_sentences, split_sentences
from rag.ingest.lines import is_heading
from rag.ingest.loaders import LoadResult, Skipped, load_folder
from rag.ingest.tables import header_row, is_table_row
from rag.schema import Document
from rag.search import dense, store
from rag.search.embedder import Embedder
from rag.search.lexical import Bm25, idf_table
from rag.search.onnx_embed import default_cache_dir
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


@dataclass
class _DocParts:
    """One document's sentences, chunks and vectors, ready to be laid end to end."""

    doc: Document
    sentences: list[tuple[int, int]]
    chunks: list[tuple[int, int, int, int]]  # start, end, first, last (local sentence numbers)
    chunk_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None

    @cached_property
    def row_headers(self) -> dict[int, int]:
        """The header row of each table row that doesn't name its columns (`tables.header_row`), by sentence number:
        found once, for the vectors and for the keyword index."""
        texts = [self.doc.text[s:e] for s, e in self.sentences]
        if not any(is_table_row(t) for t in texts):
            return {}

        def heading(i: int) -> bool:
            return is_heading(self.doc.text, *self.sentences[i])

        found = {i: header_row(texts, heading, i) for i, t in enumerate(texts) if is_table_row(t)}
        return {i: h for i, h in found.items() if h is not None}


def chunking_params(settings: Settings) -> dict[str, int]:
    """The settings that change how text is cut; a change means re-chunking everything."""
    return {"sentences": settings.chunk_sentences, "overlap": settings.chunk_overlap, "max_words": settings.chunk_max_words,
            "splitter": SPLITTER_VERSION}


Progress = Callable[[int, int], None]  # (texts embedded so far, texts to embed); raising BuildCancelledError stops the build


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
        failed = _failures(index_dir, settings)  # nor are files that failed to parse, until they change
        loaded = load_folder(settings.docs_dir, settings.max_file_bytes, settings.pdf_timeout_s, known, failed, ocr_folder(settings), log)
        _remember_failures(index_dir, settings, loaded, failed)
        for skip in loaded.skipped:
            say(f"skipped {skip.path}: {skip.reason}")
        if previous is not None and _unchanged(previous[0], loaded, settings):
            manifest = previous[0]
            _publish_to_store(settings, previous[1])  # a publish to Milvus that failed before is done now
            return BuildReport(
                previous[1].name, len(loaded.documents), manifest["counts"]["chunks"], manifest["counts"]["sentences"],
                0, len(loaded.documents), loaded.skipped, time.perf_counter() - started, up_to_date=True,
            )
        parts, reused = _split_documents(loaded, _old_parts(old, previous[1]) if previous and old else {}, settings)
        _embed_missing(parts, embedder, settings, progress)
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
    failed = _failures(settings.index_dir, settings)
    loaded = load_folder(settings.docs_dir, settings.max_file_bytes, settings.pdf_timeout_s, old[0] if old else {}, failed,
                         ocr_folder(settings))
    return not _unchanged(manifest, loaded, settings)


FAILURES = "failed.json"  # beside the generations: the sha256 of files that failed to parse, with the reason


def _failure_key(settings: Settings) -> str:
    """What a remembered failure depends on: the reader's version, the limits it ran under and whether OCR could read
    scans (a scan refused for want of Tesseract is read again once it is installed)."""
    return f"splitter {SPLITTER_VERSION}; max {settings.max_file_bytes}; timeout {settings.pdf_timeout_s}; ocr {ocr.available()}"


def _failures(index_dir: Path, settings: Settings) -> dict[str, str]:
    """Files that failed to parse under these settings (sha256 -> reason); {} when none are remembered."""
    try:
        data = json.loads((index_dir / FAILURES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("key") == _failure_key(settings) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _remember_failures(index_dir: Path, settings: Settings, loaded: LoadResult, before: dict[str, str]) -> None:
    """Write the failures of this load (a cache: a write that fails only costs a parse next time)."""
    now = {s.sha256: s.reason for s in loaded.skipped if s.sha256}
    if now == before:
        return
    tmp = index_dir / f".{FAILURES}.tmp-{time.time_ns()}"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"key": _failure_key(settings), "files": now}, indent=1), encoding="utf-8")
        tmp.replace(index_dir / FAILURES)
    except OSError:
        tmp.unlink(missing_ok=True)


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


def _split_documents(loaded: LoadResult, old: dict[str, _DocParts], settings: Settings) -> tuple[list[_DocParts], int]:
    """Sentences and chunks of every document, with vectors copied from the previous generation's parts `old` where
    unchanged."""
    parts, reused = [], 0
    for doc in loaded.documents:
        hit = old.get(doc.doc_id)
        if hit is not None and hit.doc.sha256 == doc.sha256:
            parts.append(_DocParts(doc, hit.sentences, hit.chunks, hit.chunk_vectors, hit.sentence_vectors))
            reused += 1
            continue
        sents = split_sentences(doc.text)
        chunks = chunk_sentences(sents, doc.text, settings.chunk_sentences, settings.chunk_overlap, settings.chunk_max_words)
        parts.append(_DocParts(doc, [(s.start, s.end) for s in sents], [(c.start, c.end, c.first, c.last) for c in chunks]))
    return parts, reused


def _old_store(gen: Path, index_dir: Path) -> tuple[dict[str, Document], store.Tables] | None:
    """The documents and tables of an existing generation (None when its store can't be read)."""
    try:
        return store.read_store(gen / store.STORE, index_dir)
    except (IndexCorruptError, OSError, ValueError):
        return None


def _old_parts(old: tuple[dict[str, Document], store.Tables], gen: Path) -> dict[str, _DocParts]:
    """Per-document parts of an existing generation (its store `old`, read once), vectors included."""
    docs, tables = old
    try:
        chunk_vecs = np.load(gen / store.CHUNK_VECTORS, mmap_mode="r", allow_pickle=False)
        sent_vecs = np.load(gen / store.SENTENCE_VECTORS, mmap_mode="r", allow_pickle=False)
    except (IndexCorruptError, OSError, ValueError):
        return {}
    out: dict[str, _DocParts] = {}
    for i, doc_id in enumerate(tables.doc_ids):
        s_rows = np.flatnonzero(tables.sent_doc == i)
        c_rows = np.flatnonzero(tables.chunk_doc == i)
        base = int(s_rows[0]) if len(s_rows) else 0
        out[doc_id] = _DocParts(
            docs[doc_id],
            [(int(tables.sent_start[r]), int(tables.sent_end[r])) for r in s_rows],
            [
                (int(tables.chunk_start[r]), int(tables.chunk_end[r]), int(tables.chunk_first[r]) - base, int(tables.chunk_last[r]) - base)
                for r in c_rows
            ],
            np.asarray(chunk_vecs[c_rows], dtype=np.float32),
            np.asarray(sent_vecs[s_rows], dtype=np.float32),
        )
    return out


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
    parts, _ = _split_documents(loaded, {}, settings)
    return _texts(parts), len(parts), sum(len(p.chunks) for p in parts), sum(len(p.sentences) for p in parts)


def _texts(parts: list[_DocParts]) -> list[str]:
    """The texts to embed for these documents: every chunk, then every sentence, document by document."""
    texts: list[str] = []
    for p in parts:
        texts.extend(_chunk_texts(p))
        texts.extend(_with_header(p, p.row_headers.get(i), s, e) for i, (s, e) in enumerate(p.sentences))
    return texts


def _chunk_texts(p: _DocParts) -> list[str]:
    """Each chunk's text, for the vectors and the keyword index: a chunk opening inside a table that doesn't name
    its columns carries the table's header row first, so "| London | 151 | 148 |" is found as water use in 2024."""
    return [_with_header(p, p.row_headers.get(first), s, e) for s, e, first, _ in p.chunks]


def _with_header(p: _DocParts, header: int | None, start: int, end: int) -> str:
    """The text from `start` to `end`, after the header row `header` when it is given and not inside it."""
    text = p.doc.text[start:end]
    if header is None or p.sentences[header][0] >= start:
        return text
    s, e = p.sentences[header]
    return f"{p.doc.text[s:e]}\n{text}"


def _embed_missing(parts: list[_DocParts], embedder: Embedder, settings: Settings, progress: Progress | None = None) -> None:
    """Embed the chunks and sentences of documents that have no vectors yet, in one batched pass."""
    todo = [p for p in parts if p.chunk_vectors is None]
    texts = _texts(todo)
    if not texts:
        return
    bar = _progress_bar(len(texts), settings.progress)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if bar:
            bar.update(n)
        if progress is not None:
            progress(done, len(texts))

    if progress is not None:
        progress(0, len(texts))  # a cancel asked for before the first batch stops it before any work
    try:
        if settings.ray:
            from rag.search import ray_embed

            vectors = ray_embed.encode(texts, settings, progress=tick)
        else:
            vectors = embedder.encode(texts, progress=tick)
    finally:
        if bar:
            bar.close()
    pos = 0
    for p in todo:
        p.chunk_vectors = vectors[pos : pos + len(p.chunks)]
        pos += len(p.chunks)
        p.sentence_vectors = vectors[pos : pos + len(p.sentences)]
        pos += len(p.sentences)


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="text", file=sys.stderr, dynamic_ncols=True)


def _write_generation(
    build: Path, parts: list[_DocParts], settings: Settings, model_id: str, dimension: Callable[[], int], started: float
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
    chunk_texts = [text for p in parts for text in _chunk_texts(p)]
    Bm25.build(chunk_texts).save(build / store.BM25_DIR)
    (build / store.IDF).write_text(json.dumps(idf_table(chunk_texts), ensure_ascii=False), encoding="utf-8")
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
