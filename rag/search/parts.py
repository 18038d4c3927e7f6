"""One document's sentences, chunks and vectors on their way into an index: split, reused from the previous
generation, embedded."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptError
from rag.ingest.chunking import chunk_sentences, split_sentences
from rag.ingest.lines import is_heading
from rag.ingest.loaders import LoadResult
from rag.ingest.tables import header_row, is_table_row
from rag.schema import Document
from rag.search import store
from rag.search.embedder import Embedder
from rag.settings import Settings

Progress = Callable[[int, int], None]  # (texts embedded so far, texts to embed); raising BuildCancelledError stops the build


@dataclass
class DocParts:
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


def split_documents(loaded: LoadResult, old: dict[str, DocParts], settings: Settings) -> tuple[list[DocParts], int]:
    """Sentences and chunks of every document, with vectors copied from the previous generation's parts `old` where
    unchanged."""
    parts, reused = [], 0
    for doc in loaded.documents:
        hit = old.get(doc.doc_id)
        if hit is not None and hit.doc.sha256 == doc.sha256:
            parts.append(DocParts(doc, hit.sentences, hit.chunks, hit.chunk_vectors, hit.sentence_vectors))
            reused += 1
            continue
        sents = split_sentences(doc.text)
        chunks = chunk_sentences(sents, doc.text, settings.chunk_sentences, settings.chunk_overlap, settings.chunk_max_words)
        parts.append(DocParts(doc, [(s.start, s.end) for s in sents], [(c.start, c.end, c.first, c.last) for c in chunks]))
    return parts, reused


def old_parts(old: tuple[dict[str, Document], store.Tables], gen: Path) -> dict[str, DocParts]:
    """Per-document parts of an existing generation (its store `old`, read once), vectors included."""
    docs, tables = old
    try:
        chunk_vecs = np.load(gen / store.CHUNK_VECTORS, mmap_mode="r", allow_pickle=False)
        sent_vecs = np.load(gen / store.SENTENCE_VECTORS, mmap_mode="r", allow_pickle=False)
    except (IndexCorruptError, OSError, ValueError):
        return {}
    out: dict[str, DocParts] = {}
    for i, doc_id in enumerate(tables.doc_ids):
        s_rows = np.flatnonzero(tables.sent_doc == i)
        c_rows = np.flatnonzero(tables.chunk_doc == i)
        base = int(s_rows[0]) if len(s_rows) else 0
        out[doc_id] = DocParts(
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


def texts_to_embed(parts: list[DocParts]) -> list[str]:
    """The texts to embed for these documents: every chunk, then every sentence, document by document."""
    texts: list[str] = []
    for p in parts:
        texts.extend(chunk_texts(p))
        texts.extend(_with_header(p, p.row_headers.get(i), s, e) for i, (s, e) in enumerate(p.sentences))
    return texts


def chunk_texts(p: DocParts) -> list[str]:
    """Each chunk's text, for the vectors and the keyword index: a chunk opening inside a table that doesn't name
    its columns carries the table's header row first, so "| London | 151 | 148 |" is found as water use in 2024."""
    return [_with_header(p, p.row_headers.get(first), s, e) for s, e, first, _ in p.chunks]


def _with_header(p: DocParts, header: int | None, start: int, end: int) -> str:
    """The text from `start` to `end`, after the header row `header` when it is given and not inside it."""
    text = p.doc.text[start:end]
    if header is None or p.sentences[header][0] >= start:
        return text
    s, e = p.sentences[header]
    return f"{p.doc.text[s:e]}\n{text}"


def embed_missing(parts: list[DocParts], embedder: Embedder, settings: Settings, progress: Progress | None = None) -> None:
    """Embed the chunks and sentences of documents that have no vectors yet, in one batched pass."""
    todo = [p for p in parts if p.chunk_vectors is None]
    texts = texts_to_embed(todo)
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
