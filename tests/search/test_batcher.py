"""Opportunistic batching of questions: each caller gets its own vector, calls are shared, errors reach everyone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.search.batcher import Batcher
from rag.search.embedder import Embedder


def _lengths(texts: list[str]) -> np.ndarray:
    return np.array([[len(t)] for t in texts], dtype=np.float32)


def test_concurrent_questions_share_model_calls_and_get_their_own_vectors(embedder: Embedder) -> None:
    questions = [f"Question number {i} about the talks in Riyadh?" for i in range(64)]
    expected = embedder.encode_all(questions)
    sizes: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        return embedder.encode_all(texts)

    batcher = Batcher(encode, lanes=2)
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(batcher.encode, questions))
    np.testing.assert_allclose(np.array(got), expected, atol=1e-5)
    assert sum(sizes) == len(questions) and max(sizes) > 1 and len(sizes) < len(questions)


def test_a_lone_question_is_encoded_at_once_in_its_own_call() -> None:
    sizes: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        return _lengths(texts)

    batcher = Batcher(encode, lanes=2)
    assert [batcher.encode(t).tolist() for t in ("a", "bb", "ccc")] == [[1.0], [2.0], [3.0]]
    assert sizes == [1, 1, 1]


def test_no_more_calls_run_at_once_than_there_are_lanes() -> None:
    running, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def encode(texts: list[str]) -> np.ndarray:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(timeout=5)
        with lock:
            running -= 1
        return _lengths(texts)

    batcher = Batcher(encode, lanes=2)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(batcher.encode, "x" * n) for n in range(1, 9)]
        threading.Timer(0.2, release.set).start()
        assert [f.result(timeout=10).tolist() for f in futures] == [[float(n)] for n in range(1, 9)]
    assert peak == 2


def test_a_failing_call_raises_in_every_caller_of_its_batch_and_the_next_call_works() -> None:
    fail = threading.Event()
    fail.set()

    def encode(texts: list[str]) -> np.ndarray:
        if fail.is_set():
            raise RuntimeError("model crashed")
        return _lengths(texts)

    batcher = Batcher(encode, lanes=1)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher.encode, "q") for _ in range(8)]
        for future in futures:
            with pytest.raises(RuntimeError, match="model crashed"):
                future.result(timeout=10)
    fail.clear()
    assert batcher.encode("four").tolist() == [4.0]
