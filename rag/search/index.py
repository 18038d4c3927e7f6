"""A loaded, read-only index generation: everything one answer needs (in memory, or read per question from Milvus)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.errors import IndexCorruptError, IndexMissingError
from rag.ingest.lines import is_heading
from rag.ingest.titles import is_opening_heading
from rag.schema import Chunk, Document
from rag.search import dense, store
from rag.search.lexical import Bm25
from rag.settings import Settings

_RETRIES = 3


class ChunkSearch(Protocol):
    """The seam between retrieval and a store: dense and BM25 search of one generation's chunks."""

    def dense(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k chunks nearest the query vector: (cosines, ids), best first."""
        ...

    def lexical(self, query: str, k: int, among: Sequence[int] = ()) -> np.ndarray:
        """BM25 scores of the query for every chunk: at least the top k and the chunks `among` (zero elsewhere, and
        when no query word is indexed)."""
        ...

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The chunks' dense vectors, by id (one missing when the store can't give it back)."""
        ...


class Vectors(Protocol):
    """Sentence vectors by id, as a numpy array indexes them: the local store's array, or Milvus's reader."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, key: Any) -> Any: ...


class LocalSearch:
    """The local store's search: FAISS over the chunk vectors and bm25s over their words, in memory."""

    def __init__(self, dense_index: Any, bm25: Bm25) -> None:
        self.dense_index, self.bm25 = dense_index, bm25

    def dense(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k chunks nearest the query vector: (cosines, ids), best first."""
        return dense.search(self.dense_index, query, k)

    def lexical(self, query: str, k: int, among: Sequence[int] = ()) -> np.ndarray:
        """BM25 scores of the query for every chunk."""
        return self.bm25.scores(query)

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The chunks' vectors, rebuilt from FAISS."""
        out = {}
        for i in chunk_ids:
            try:
                out[int(i)] = np.asarray(self.dense_index.reconstruct(int(i)))
            except RuntimeError:
                continue
        return out


@dataclass(frozen=True)
class LoadedIndex:
    """One generation of the index; never mutated, so readers can share it while a new one is built."""

    index_dir: Path
    generation: str
    manifest: dict[str, Any]
    documents: dict[str, Document]
    tables: store.Tables
    sentence_vectors: Vectors  # in memory (local), or read by id per question (Milvus)
    search: ChunkSearch
    idf: dict[str, float]

    @classmethod
    def load(cls, index_dir: Path, model: str) -> LoadedIndex:
        """Load the current generation, checking the manifest, every file's checksum, and the model.

        A build may publish a newer generation (and remove old ones) while this reads; if the generation being read
        fails and CURRENT has moved on meanwhile, the newer one is read instead.
        """
        for _ in range(_RETRIES):
            gen = store.current_generation(index_dir)
            try:
                return cls._load_generation(index_dir, gen, model)
            except (IndexCorruptError, IndexMissingError):
                if store.current_generation(index_dir) == gen:
                    raise
        return cls._load_generation(index_dir, store.current_generation(index_dir), model)

    @classmethod
    def _load_generation(cls, index_dir: Path, gen: Path, model: str) -> LoadedIndex:
        """Load one generation folder, checking everything against its manifest."""
        manifest = store.read_manifest(gen, index_dir)
        store.check_model(manifest, model, index_dir)
        hint = store.rebuild_hint(index_dir)
        documents, tables = store.read_store(gen / store.STORE, index_dir)
        counts = manifest.get("counts", {})
        n_chunks, n_sents = len(tables.chunk_start), len(tables.sent_start)
        if counts.get("chunks") != n_chunks or counts.get("sentences") != n_sents or counts.get("documents") != len(documents):
            raise IndexCorruptError(f"{gen / store.STORE} disagrees with {gen / store.MANIFEST} on counts; {hint}")
        _check_offsets(documents, tables, gen / store.STORE, hint)
        dim = int(manifest.get("dimension", 0))
        sentence_vectors = store.load_vectors(gen / store.SENTENCE_VECTORS, index_dir)
        if sentence_vectors.shape != (n_sents, dim):
            raise IndexCorruptError(f"{gen / store.SENTENCE_VECTORS} has shape {sentence_vectors.shape}, expected {(n_sents, dim)}; {hint}")
        dense_index = dense.load(gen / store.DENSE, n_chunks, dim, hint)
        try:
            bm25 = Bm25.load(gen / store.BM25_DIR)
            idf = json.loads((gen / store.IDF).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorruptError(f"{gen / store.BM25_DIR} is damaged ({type(exc).__name__}); {hint}") from exc
        if len(bm25.scores("")) != n_chunks:  # a BM25 row per chunk, or a hit would cite the wrong chunk
            raise IndexCorruptError(f"{gen / store.BM25_DIR} does not hold {n_chunks} chunks; {hint}")
        return cls(index_dir, gen.name, manifest, documents, tables, sentence_vectors, LocalSearch(dense_index, bm25), idf)

    @classmethod
    def open(cls, settings: Settings) -> LoadedIndex:
        """The current generation of the configured store: the local folder's, or Milvus's (`settings.store`)."""
        if settings.store != "milvus":
            return cls.load(settings.index_dir, settings.model)
        from rag.search import milvus, milvus_search

        number, manifest, documents, tables, idf = milvus.read(settings)
        store.check_model(manifest, settings.model, settings.index_dir)
        _check_offsets(documents, tables, Path(milvus.uri(settings)), "rebuild it: rag index --store milvus --force")
        search = milvus_search.MilvusSearch(settings, number, len(tables.chunk_start), idf)
        vectors = milvus_search.SentenceVectors(settings, number, len(tables.sent_start), int(manifest.get("dimension", 0)))
        return cls(settings.index_dir, store.generation_name(number), manifest, documents, tables, vectors, search, idf)

    @property
    def chunk_count(self) -> int:
        """Number of chunks in this generation."""
        return len(self.tables.chunk_start)

    def chunk(self, chunk_id: int) -> Chunk:
        """A chunk's record: its document, offsets and sentence range."""
        t = self.tables
        return Chunk(
            chunk_id, t.doc_ids[t.chunk_doc[chunk_id]], int(t.chunk_start[chunk_id]), int(t.chunk_end[chunk_id]),
            int(t.chunk_first[chunk_id]), int(t.chunk_last[chunk_id]),
        )

    def chunk_doc(self, chunk_id: int) -> Document:
        """The document a chunk belongs to."""
        return self.documents[self.tables.doc_ids[self.tables.chunk_doc[chunk_id]]]

    def chunk_text(self, chunk_id: int) -> str:
        """The exact text of a chunk."""
        t = self.tables
        return self.chunk_doc(chunk_id).text[t.chunk_start[chunk_id] : t.chunk_end[chunk_id]]

    def sentence_doc(self, sentence_id: int) -> Document:
        """The document a sentence belongs to."""
        return self.documents[self.tables.doc_ids[self.tables.sent_doc[sentence_id]]]

    def sentence_text(self, sentence_id: int) -> str:
        """The exact text of a sentence."""
        t = self.tables
        return self.sentence_doc(sentence_id).text[t.sent_start[sentence_id] : t.sent_end[sentence_id]]

    def is_heading(self, sentence_id: int) -> bool:
        """True for a heading (`lines.is_heading`), or the document's title as its first line: context for the
        sentence under it, never an answer ("AquaPure 3000 Countertop Water Filter - User Manual")."""
        t = self.tables
        start, end = int(t.sent_start[sentence_id]), int(t.sent_end[sentence_id])
        return self.is_title(sentence_id) or is_heading(self.sentence_doc(sentence_id).text, start, end)

    def is_title(self, sentence_id: int) -> bool:
        """True for a document's first sentence when it is the document's title (a wrapped one too), or, in a PDF,
        a heading of its own over more text: its first line can differ from the title in its metadata."""
        t = self.tables
        first = sentence_id == 0 or t.sent_doc[sentence_id - 1] != t.sent_doc[sentence_id]
        if not first:
            return False
        text, doc = self.sentence_text(sentence_id), self.sentence_doc(sentence_id)
        if " ".join(text.split()) == doc.title:
            return True
        more = sentence_id + 1 < len(t.sent_doc) and t.sent_doc[sentence_id + 1] == t.sent_doc[sentence_id]
        return doc.doc_id.lower().endswith(".pdf") and more and is_opening_heading(text)


def _check_offsets(documents: dict[str, Document], tables: store.Tables, path: Path, hint: str) -> None:
    """Every chunk and sentence must lie inside its document, so a quote is always the document's own text."""
    lengths = np.array([len(documents[d].text) for d in tables.doc_ids], dtype=np.int64)
    n_sents = len(tables.sent_start)
    spans = ((tables.chunk_doc, tables.chunk_start, tables.chunk_end), (tables.sent_doc, tables.sent_start, tables.sent_end))
    for doc, start, end in spans:
        if len(start) and ((start < 0).any() or (end <= start).any() or (end > lengths[doc]).any()):
            raise IndexCorruptError(f"{path} has offsets outside their documents; {hint}")
    if len(tables.chunk_first) and ((tables.chunk_first < 0).any() or (tables.chunk_last > n_sents).any()):
        raise IndexCorruptError(f"{path} has chunks naming unknown sentences; {hint}")
