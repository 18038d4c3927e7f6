"""Opportunistic batching: questions that arrive while the model is busy are encoded together, in one call."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

MAX_BATCH = 16


class _Request:
    """One text waiting for its vector; `lead` hands it the next model call."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ready = threading.Event()
        self.lead = False
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        assert self.vector is not None
        return self.vector


class Batcher:
    """Encodes texts for many threads with at most `lanes` model calls at a time, each taking every text queued.

    A lone caller is encoded at once, never kept waiting for company; under load each call takes what arrived
    during the previous ones, and a batch costs less per text than single calls (all-MiniLM-L6-v2 on one
    thread: 6.7 ms for one question, 4.7 ms each in a batch of 16).
    >>> batcher = Batcher(lambda texts: np.array([[len(t)] for t in texts], dtype=np.float32))
    >>> batcher.encode("four").tolist()
    [4.0]
    """

    def __init__(self, encode: Callable[[list[str]], np.ndarray], lanes: int = 1, max_batch: int = MAX_BATCH) -> None:
        self._encode = encode
        self._lanes = max(lanes, 1)
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._running = 0

    def encode(self, text: str) -> np.ndarray:
        """The text's vector, from a model call this thread makes or shares."""
        request = _Request(text)
        with self._lock:
            lead = self._running < self._lanes
            if lead:
                self._running += 1
            else:
                self._queue.append(request)
        if not lead:
            request.ready.wait()
            if not request.lead:
                return request.result()
        self._run(request)
        return request.result()

    def _run(self, first: _Request) -> None:
        """Encode `first` with the head of the queue, then hand this lane to the first text still waiting."""
        with self._lock:
            batch = [first, *self._queue[: self._max_batch - 1]]
            del self._queue[: self._max_batch - 1]
        try:
            vectors = self._encode([r.text for r in batch])
            for request, vector in zip(batch, vectors, strict=True):
                request.vector = vector
        except BaseException as exc:  # every caller of the batch gets the error, none waits forever
            for request in batch:
                request.error = exc
        finally:
            with self._lock:
                successor = self._queue.pop(0) if self._queue else None
                if successor is None:
                    self._running -= 1
                else:
                    successor.lead = True
            for request in batch:
                request.ready.set()
            if successor is not None:
                successor.ready.set()
