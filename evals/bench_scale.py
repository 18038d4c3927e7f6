"""Scale benchmark: synthetic corpora of clustered 384-d unit vectors and matching texts, from 10^4 to 10^6 chunks."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench_common import median, percentile
from rag.search import dense
from rag.search.lexical import Bm25

DIM = 384
QUERIES = 200
K = 10
SIGMA = 0.06  # per-dimension noise around a topic centre: neighbours at cosine ~0.5, as loose as real sentence vectors
WORDS_PER_TEXT = 30
VOCABULARY = 50_000


def topics(n: int, seed: int) -> np.ndarray:
    """One random unit centre per ~1,000 chunks (at least 100): the corpus's topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(100, n // 1000), DIM), dtype=np.float32)
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


def clustered(n: int, centres: np.ndarray, seed: int) -> np.ndarray:
    """`n` unit vectors, each a random topic centre plus Gaussian noise (generated in blocks to bound memory)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        block = centres[rng.integers(0, len(centres), m)] + rng.standard_normal((m, DIM), dtype=np.float32) * SIGMA
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact top-k ids by inner product, in blocks (no second copy of the corpus)."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(vectors), 200_000):
        scores = queries @ vectors[start : start + 200_000].T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-cand_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, keep, axis=1), np.take_along_axis(cand_i, keep, axis=1)
    return best_i


def vector_row(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, kind: str, work: Path) -> dict[str, Any]:
    """Build one index kind, then its size on disk (= memory for these kinds), single-query latency and recall@10.

    Exact search over 10^5 vectors or more is slow by design, so it is timed on 20 queries only.
    """
    started = time.perf_counter()
    index = dense.build(vectors, kind)
    build_s = time.perf_counter() - started
    path = work / f"{kind}.faiss"
    dense.save(index, path)
    size_mb = path.stat().st_size / 1e6
    path.unlink()
    if kind == "flat" and len(vectors) >= 100_000:
        queries, truth = queries[:20], truth[:20]
    seconds, hits = [], 0
    for q, true in zip(queries, truth, strict=True):
        t = time.perf_counter()
        _, ids = dense.search(index, q, K)
        seconds.append(time.perf_counter() - t)
        hits += len(set(ids.tolist()) & set(true.tolist()))
    return {
        "kind": kind,
        "build_s": build_s,
        "index_mb": size_mb,
        "search_p50_ms": median(seconds) * 1000,
        "search_p95_ms": percentile(seconds, 95) * 1000,
        "recall_at_10": hits / (K * len(queries)),
    }


def texts(n: int, seed: int) -> list[str]:
    """Synthetic chunk texts: Zipf-distributed made-up words (letters only, so the tokenizer keeps them whole)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("bcdfghjklmnpqrstvwxz"))
    vocab = ["".join(letters[rng.integers(0, 20, 4 + i % 5)]) + "o" for i in range(VOCABULARY)]
    ranks = np.minimum(rng.zipf(1.2, size=n * WORDS_PER_TEXT), VOCABULARY) - 1
    words = np.array(vocab)[ranks].reshape(n, WORDS_PER_TEXT)
    return [" ".join(row) for row in words]


def bm25_row(corpus: list[str], work: Path, seed: int) -> dict[str, Any]:
    """Build BM25 over the texts, its size on disk, and latency of scoring every chunk plus picking the top 30."""
    started = time.perf_counter()
    bm25 = Bm25.build(corpus)
    build_s = time.perf_counter() - started
    folder = work / "bm25"
    bm25.save(folder)
    size_mb = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
    shutil.rmtree(folder)
    rng = np.random.default_rng(seed)
    seconds = []
    for _ in range(QUERIES):
        # A question's words come from a chunk: mostly common words, a few rare ones.
        words = corpus[int(rng.integers(0, len(corpus)))].split()
        query = " ".join(rng.choice(words, size=5, replace=False))
        t = time.perf_counter()
        scores = bm25.scores(query)
        np.argpartition(-scores, min(30, len(scores) - 1))[:30]
        seconds.append(time.perf_counter() - t)
    return {
        "build_s": build_s,
        "disk_mb": size_mb,
        "search_p50_ms": median(seconds) * 1000,
        "search_p95_ms": percentile(seconds, 95) * 1000,
    }


def run(sizes: tuple[int, ...], compare_at: int | None, seed: int = 7, log: Any = None) -> dict[str, Any]:
    """For each size, the automatically chosen index (and exact search); at `compare_at`, every kind side by side."""
    work = Path(tempfile.mkdtemp(prefix="rag-bench-scale-"))
    rows, comparison = [], []
    try:
        for n in sizes:
            centres = topics(n, seed)
            vectors = clustered(n, centres, seed + 1)
            queries = clustered(QUERIES, centres, seed + 2)  # new points from the same topics, as questions are
            truth = exact_top(vectors, queries, K)
            chosen = dense.choose_kind(n)
            kinds = ("flat", "hnsw", "ivf-sq8") if n == compare_at else tuple(dict.fromkeys(("flat", chosen)))
            results = [vector_row(vectors, queries, truth, kind, work) for kind in kinds]
            auto = next(r for r in results if r["kind"] == chosen)
            flat = next(r for r in results if r["kind"] == "flat")
            row: dict[str, Any] = {
                "chunks": n,
                "chosen": chosen,
                **{k: v for k, v in auto.items() if k != "kind"},
                "exact_search_p50_ms": flat["search_p50_ms"],
                "vectors_mb": vectors.nbytes / 1e6,
            }
            if n == compare_at:
                comparison = [{"chunks": n, **r} for r in results]
            del vectors
            row["bm25"] = bm25_row(texts(n, seed + 3), work, seed + 4)
            rows.append(row)
            if log is not None:
                log(f"scale {n:,}: {chosen} p50 {row['search_p50_ms']:.2f} ms, recall {row['recall_at_10']:.3f}, {row['index_mb']:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"rows": rows, "comparison": comparison, "queries": QUERIES, "sigma": SIGMA, "words_per_text": WORDS_PER_TEXT}
