"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused into one ranking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.search.index import LoadedIndex

RRF_K = 60


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk: fused score, cosine similarity, and BM25 score normalised by the best."""

    chunk_id: int
    score: float
    dense: float
    lexical: float


def retrieve(index: LoadedIndex, query_vector: np.ndarray, query: str, k: int, candidates: int, fusion: str = "rrf") -> list[Hit]:
    """The top-k chunks for a query by fused dense and BM25 ranks (`fusion="rrf"`) or normalised scores ("score")."""
    n = index.chunk_count
    if n == 0:
        return []
    depth = min(n, max(candidates, k))
    d_scores, d_ids = index.search.dense(query_vector, depth)
    lex = index.search.lexical(query, depth, [int(i) for i in d_ids])
    top_lex = float(lex.max()) if len(lex) else 0.0
    l_ids = np.argsort(-lex, kind="stable")[:depth] if top_lex > 0 else np.zeros(0, dtype=np.int64)
    l_ids = l_ids[lex[l_ids] > 0]
    dense_of = {int(i): float(s) for i, s in zip(d_ids, d_scores)}
    fused: dict[int, float] = {}
    if fusion == "rrf":
        for rank, i in enumerate(d_ids):
            fused[int(i)] = fused.get(int(i), 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, i in enumerate(l_ids):
            fused[int(i)] = fused.get(int(i), 0.0) + 1.0 / (RRF_K + rank + 1)
    else:
        union = set(dense_of) | {int(i) for i in l_ids}
        dense_of |= _cosines(index, query_vector, [i for i in union if i not in dense_of])
        for i in union:
            fused[i] = 0.5 * dense_of[i] + 0.5 * (float(lex[i]) / top_lex if top_lex > 0 else 0.0)
    best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
    dense_of |= _cosines(index, query_vector, [i for i in best if i not in dense_of])
    return [Hit(i, fused[i], dense_of[i], float(lex[i]) / top_lex if top_lex > 0 else 0.0) for i in best]


def _cosines(index: LoadedIndex, query_vector: np.ndarray, chunk_ids: list[int]) -> dict[int, float]:
    """Cosines of the query and chunks missing from the dense candidates, their vectors given back by the store."""
    if not chunk_ids:
        return {}
    vectors = index.search.vectors(chunk_ids)
    return {i: float(np.dot(vectors[i], query_vector)) if i in vectors else 0.0 for i in chunk_ids}
