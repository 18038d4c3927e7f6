"""The FAISS index: kind chosen by size, IVF trained in build, knobs restored on load, damage refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexCorruptError
from rag.search import dense


def _clustered(n: int, seed: int = 0, dim: int = 32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim)).astype(np.float32)
    v = centres[rng.integers(0, 20, n)] + rng.standard_normal((n, dim)).astype(np.float32) * 0.3
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_small_corpora_get_exact_search_and_large_ones_ivf() -> None:
    assert dense.choose_kind(0) == "flat"
    assert dense.choose_kind(dense.EXACT_LIMIT - 1) == "flat"
    assert dense.choose_kind(dense.EXACT_LIMIT) == "ivf-sq8"
    assert dense.choose_kind(10**7) == "ivf-sq8"


def test_ivf_lists_leave_enough_training_points_for_each() -> None:
    for n in (dense.EXACT_LIMIT, 10**5, 10**6, 10**8):
        nlist = dense.ivf_lists(n)
        assert 1 <= nlist <= dense.IVF_MAX_LISTS
        assert n // nlist >= dense.IVF_TRAIN_PER_LIST
        assert min(dense.IVF_MIN_PROBES, nlist) <= dense.ivf_probes(nlist) <= nlist


def test_flat_search_returns_the_exact_top_k_in_order() -> None:
    vectors = _clustered(500)
    index = dense.build(vectors, "flat")
    scores, ids = dense.search(index, vectors[7], 5)
    expected = np.argsort(-(vectors @ vectors[7]))[:5]
    assert ids.tolist() == expected.tolist()
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True)


def test_ivf_sq8_is_trained_in_build_and_finds_most_exact_neighbours() -> None:
    vectors = _clustered(3000, seed=1)
    queries = _clustered(50, seed=2)
    index = dense.build(vectors, "ivf-sq8")
    assert index.is_trained and index.ntotal == 3000
    assert dense.kind_of(index) == "ivf-sq8"
    hits = 0
    for q in queries:
        _, ids = dense.search(index, q, 10)
        hits += len(set(ids.tolist()) & set(np.argsort(-(vectors @ q))[:10].tolist()))
    assert hits / (10 * len(queries)) >= 0.95


def test_saved_ivf_index_loads_with_its_probe_count(tmp_path: Path) -> None:
    vectors = _clustered(2000)
    index = dense.build(vectors, "ivf-sq8")
    dense.save(index, tmp_path / "d.faiss")
    loaded = dense.load(tmp_path / "d.faiss", 2000, vectors.shape[1], "rebuild")
    assert loaded.nprobe == dense.ivf_probes(loaded.nlist)
    assert dense.search(loaded, vectors[3], 1)[1].tolist() == [3]


def test_hnsw_index_is_still_readable(tmp_path: Path) -> None:
    vectors = _clustered(300)
    dense.save(dense.build(vectors, "hnsw"), tmp_path / "h.faiss")
    loaded = dense.load(tmp_path / "h.faiss", 300, vectors.shape[1], "rebuild")
    assert dense.kind_of(loaded) == "hnsw"
    assert loaded.hnsw.efSearch == dense.HNSW_EF_SEARCH
    assert dense.search(loaded, vectors[10], 1)[1].tolist() == [10]


def test_search_asks_for_no_more_than_the_index_holds() -> None:
    vectors = _clustered(3)
    scores, ids = dense.search(dense.build(vectors, "flat"), vectors[0], 10)
    assert sorted(ids.tolist()) == [0, 1, 2] and len(scores) == 3
    empty = dense.build(np.zeros((0, 32), dtype=np.float32), "flat")
    assert len(dense.search(empty, vectors[0], 5)[1]) == 0


def test_an_index_with_the_wrong_count_or_damaged_bytes_is_refused(tmp_path: Path) -> None:
    vectors = _clustered(100)
    path = tmp_path / "d.faiss"
    dense.save(dense.build(vectors, "flat"), path)
    with pytest.raises(IndexCorruptError, match="expected 99"):
        dense.load(path, 99, 32, "rebuild it")
    path.write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError, match="damaged"):
        dense.load(path, 100, 32, "rebuild it")


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown dense index kind"):
        dense.build(_clustered(10), "lsh")
