"""The FAISS vector index: exact while the corpus is small, HNSW once exact search gets slow."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.errors import IndexCorruptError

EXACT_LIMIT = 50_000  # below this many vectors, exact search takes about a millisecond or less
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96


def choose_kind(n: int) -> str:
    """The index type for `n` vectors: "flat" (exact inner product) or "hnsw" (approximate).

    >>> choose_kind(1000), choose_kind(1_000_000)
    ('flat', 'hnsw')
    """
    return "flat" if n < EXACT_LIMIT else "hnsw"


def build(vectors: np.ndarray, kind: str) -> object:
    """A FAISS inner-product index over unit vectors."""
    import faiss

    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        raise ValueError(f"unknown dense index kind {kind!r}")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save(index: object, path: Path) -> None:
    """Write the index with FAISS's own format."""
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path, expected: int, dim: int, hint: str) -> object:
    """Read an index and check it holds `expected` vectors of `dim` dimensions."""
    import faiss

    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path} is damaged; {hint}") from exc
    if index.ntotal != expected or index.d != dim:
        raise IndexCorruptError(f"{path} holds {index.ntotal} vectors of {index.d} dimensions, expected {expected} of {dim}; {hint}")
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search(index: object, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k `(scores, ids)` for one unit query vector; ids of -1 are dropped."""
    k = min(k, int(index.ntotal))  # type: ignore[attr-defined]
    if k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32), k)  # type: ignore[attr-defined]
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
