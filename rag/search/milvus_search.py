"""Reading one generation of the Milvus store per question: dense and BM25 search of its chunks, and its sentences'
vectors fetched by id, so a serving process holds neither the chunk indexes nor the sentence vectors in memory.

`MilvusSearch` is the `rag.search.index.ChunkSearch` seam over Milvus; `SentenceVectors` stands in for the local
store's in-memory array of sentence vectors (`vectors[ids]`), reading the few a question needs in one query and
keeping the most recently read ones.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.errors import StoreUnavailableError
from rag.search import milvus
from rag.search.lexical import related_tokens, tokens
from rag.settings import Settings

VECTOR_CACHE = 50_000  # sentence vectors kept between questions (75 MB at 384 dimensions)


class MilvusSearch:
    """Dense and BM25 search of one generation's chunks in Milvus (the seam `rag.search.index.ChunkSearch`)."""

    def __init__(self, settings: Settings, generation: int, chunk_count: int, vocabulary: dict[str, float]) -> None:
        self.settings, self.generation, self.chunk_count = settings, generation, chunk_count
        self._vocab = vocabulary  # the chunks' words (the IDF table's keys): a query word also finds its longer forms
        self._sorted = sorted(vocabulary)
        self._client: Any = None
        self._index: str | None = None  # the chunk vectors' index type, read once

    def _db(self) -> Any:
        if self._client is None:
            self._client = milvus.connect(self.settings)
        return self._client

    def dense(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k chunks nearest the query vector: (cosines, ids), best first."""
        hits = self._search([np.asarray(query, dtype=np.float32).tolist()], "dense", "IP", k, params=self._dense_params(k))
        return np.array([h["distance"] for h in hits], dtype=np.float32), np.array([h["entity"]["id"] for h in hits], dtype=np.int64)

    def lexical(self, query: str, k: int, among: Sequence[int] = ()) -> np.ndarray:
        """BM25 scores of the query's words (each with its related forms, as the local BM25 takes them): of the top
        k chunks as Milvus ranks them and of the chunks `among`, zero elsewhere."""
        scores = np.zeros(self.chunk_count, dtype=np.float32)
        words = " ".join(sorted({t for w in tokens(query) for t in related_tokens(w, self._vocab, self._sorted) if t in self._vocab}))
        if not words or not self.chunk_count:
            return scores
        for h in self._search([words], "sparse", "BM25", k):
            scores[int(h["entity"]["id"])] = abs(float(h["distance"]))
        rest = [int(i) for i in among if scores[int(i)] == 0]
        if rest:  # the dense candidates' own BM25 scores, which the fusion reads
            for h in self._search([words], "sparse", "BM25", len(rest), f" and {milvus.by_keys(self.generation, rest)}"):
                scores[int(h["entity"]["id"])] = abs(float(h["distance"]))
        return scores

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The chunks' dense vectors, by id, in one query."""
        ids = [int(i) for i in chunk_ids]
        try:
            rows = self._db().query(milvus.CHUNKS, filter=milvus.by_keys(self.generation, ids), output_fields=["id", "dense"])
        except Exception as exc:
            raise StoreUnavailableError(f"the Milvus store at {milvus.uri(self.settings)} failed to read: {milvus.said(exc)}") from exc
        return {int(r["id"]): np.asarray(r["dense"], dtype=np.float32) for r in rows}

    def _dense_params(self, k: int) -> dict[str, int]:
        """Search parameters of the chunk vectors' index as it was made (HNSW's ef at least k)."""
        if self._index is None:
            try:
                self._index = str(self._db().describe_index(milvus.CHUNKS, "dense").get("index_type", "FLAT"))
            except Exception as exc:
                raise StoreUnavailableError(f"the Milvus store at {milvus.uri(self.settings)} failed to read: {milvus.said(exc)}") from exc
        params = dict(milvus.SEARCH_PARAMS.get(self._index, {}))
        if "ef" in params:
            params["ef"] = max(params["ef"], k)
        return params

    def _search(
        self, data: list[Any], field: str, metric: str, k: int, more: str = "", params: dict[str, int] | None = None
    ) -> list[dict[str, Any]]:
        try:
            found = self._db().search(milvus.CHUNKS, data=data, anns_field=field, limit=max(1, min(k, 16_384)),
                                      filter=f"gen == {self.generation}{more}",
                                      search_params={"metric_type": metric, "params": params or {}}, output_fields=["id"])
        except Exception as exc:
            raise StoreUnavailableError(f"the Milvus store at {milvus.uri(self.settings)} failed to search: {milvus.said(exc)}") from exc
        return list(found[0]) if found else []


class SentenceVectors:
    """A generation's sentence vectors in Milvus, indexed like a numpy array: `vectors[ids]` or `vectors[i]`.

    >>> SentenceVectors(Settings(), generation=1, count=0, dim=384).shape
    (0, 384)
    """

    def __init__(self, settings: Settings, generation: int, count: int, dim: int, cache: int = VECTOR_CACHE) -> None:
        self.settings, self.generation, self.shape = settings, generation, (count, dim)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._limit = cache

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: int | Sequence[int] | np.ndarray) -> np.ndarray:
        one = np.ndim(key) == 0
        ids = [int(i) for i in np.atleast_1d(np.asarray(key))]
        if any(not 0 <= i < self.shape[0] for i in ids):
            raise IndexError(f"sentence ids out of range 0..{self.shape[0] - 1}")
        missing = sorted({i for i in ids if i not in self._cache})
        if missing:
            self._read(missing)
        for i in ids:
            self._cache.move_to_end(i)
        out = np.stack([self._cache[i] for i in ids]) if ids else np.zeros((0, self.shape[1]), dtype=np.float32)
        while len(self._cache) > self._limit:
            self._cache.popitem(last=False)
        return out[0] if one else out

    def _read(self, ids: list[int]) -> None:
        """Fetch sentence vectors by id, a thousand ids a query."""
        client = milvus.connect(self.settings)
        for at in range(0, len(ids), 1_000):
            part = ids[at : at + 1_000]
            try:
                rows = client.query(milvus.SENTENCES, filter=milvus.by_keys(self.generation, part), output_fields=["id", "vector"])
            except Exception as exc:
                raise StoreUnavailableError(f"the Milvus store at {milvus.uri(self.settings)} failed to read: {milvus.said(exc)}") from exc
            for r in rows:
                self._cache[int(r["id"])] = np.asarray(r["vector"], dtype=np.float32)
            if any(i not in self._cache for i in part):  # a newer build replaced this generation meanwhile
                raise StoreUnavailableError(f"generation {self.generation} of the Milvus store was replaced while it was read: ask again")
