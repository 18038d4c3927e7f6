"""The FAISS vector index: exact while the corpus is small, IVF with 8-bit scalar quantisation past that.

Measured with `rag bench` (evals/BENCHMARKS.md) on 384-d clustered unit vectors, 2 cores: exact search costs
about 0.5 ms per 1,000 vectors (memory-bound), so it stays under ~10 ms up to EXACT_LIMIT. Past that, IVF-SQ8
searched a thousand times faster with recall@10 of about 0.98 and a quarter of the memory, and built several
times faster than HNSW (which at 10^6 needs over 1.8 GB and many minutes of build on 2 cores).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptError

EXACT_LIMIT = 20_000  # below this many vectors exact search takes ~10 ms or less
KINDS = ("flat", "ivf-sq8", "hnsw")
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
IVF_MAX_LISTS = 8192
IVF_TRAIN_PER_LIST = 40  # k-means wants at least ~39 points per centroid
IVF_MIN_PROBES = 16
# One query per call: spreading it over OpenMP threads cost 100x (32 ms vs 0.27 ms for exact search over 10^4
# vectors, measured on 2 busy cores) because the threads spin-wait for each other. Builds use every core.
SEARCH_THREADS = 1
IVF_PROBE_SHARE = 50  # probe one list in this many (at least IVF_MIN_PROBES): recall@10 >= 0.95 measured


def choose_kind(n: int) -> str:
    """The index type for `n` vectors: "flat" (exact inner product) or "ivf-sq8" (approximate).

    >>> choose_kind(1000), choose_kind(1_000_000)
    ('flat', 'ivf-sq8')
    """
    return "flat" if n < EXACT_LIMIT else "ivf-sq8"


def ivf_lists(n: int) -> int:
    """Number of inverted lists for `n` vectors: about 2 sqrt(n) (training cost grows with it), enough points for each.

    >>> ivf_lists(1_000_000), ivf_lists(20_000)
    (2000, 282)
    """
    return max(1, min(IVF_MAX_LISTS, int(2 * math.sqrt(n)), n // IVF_TRAIN_PER_LIST))


def ivf_probes(nlist: int) -> int:
    """Lists searched per query for an index of `nlist` lists.

    >>> ivf_probes(2000), ivf_probes(100)
    (40, 16)
    """
    return min(nlist, max(IVF_MIN_PROBES, nlist // IVF_PROBE_SHARE))


def build(vectors: np.ndarray, kind: str, threads: int = 2) -> Any:
    """A FAISS inner-product index over unit vectors; IVF is trained here on a fixed-seed sample."""
    import faiss

    faiss.omp_set_num_threads(threads)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    index: Any
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif kind == "ivf-sq8":
        nlist = ivf_lists(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        sample = min(n, nlist * IVF_TRAIN_PER_LIST)
        rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False)) if sample < n else slice(None)
        index.train(vectors[rows])
        index.nprobe = ivf_probes(nlist)
    else:
        raise ValueError(f"unknown dense index kind {kind!r}; expected one of {KINDS}")
    if n:
        index.add(vectors)
    faiss.omp_set_num_threads(SEARCH_THREADS)
    return index


def save(index: Any, path: Path) -> None:
    """Write the index with FAISS's own format."""
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path, expected: int, dim: int, hint: str) -> Any:
    """Read an index and check it holds `expected` vectors of `dim` dimensions."""
    import faiss

    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path} is damaged; {hint}") from exc
    if index.ntotal != expected or index.d != dim:
        raise IndexCorruptError(f"{path} holds {index.ntotal} vectors of {index.d} dimensions, expected {expected} of {dim}; {hint}")
    faiss.omp_set_num_threads(SEARCH_THREADS)
    return tune(index)


def tune(index: Any) -> Any:
    """Set the search-time knobs (not all are saved in the file) to the measured values."""
    import faiss

    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = ivf_probes(ivf.nlist)
    return index


def kind_of(index: Any) -> str:
    """The kind name of a loaded index (for reports and checks)."""
    import faiss

    if isinstance(index, faiss.IndexFlat):
        return "flat"
    if hasattr(index, "hnsw"):
        return "hnsw"
    return "ivf-sq8" if faiss.try_extract_index_ivf(index) is not None else type(index).__name__


def search(index: object, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k `(scores, ids)` for one unit query vector; ids of -1 are dropped."""
    k = min(k, int(index.ntotal))  # type: ignore[attr-defined]
    if k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32), k)  # type: ignore[attr-defined]
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
