"""Embedding on Ray (`rag index --ray [--ray-address ADDR]`): the texts of a build go through a Ray Data pipeline,
`map_batches` over a pool of actors that each hold the ONNX embedder, on a Ray cluster or, without an address, on
a local Ray started with the machine's CPUs. Same texts, same model, same vectors as the single-process build."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError
from rag.settings import Settings


class EncodeActor:
    """One Ray actor: the embedder loaded once, encoding batch after batch (one thread each: Ray runs several)."""

    def __init__(self, model: str, backend: str, batch_size: int, cache_dir: str | None) -> None:
        from rag.search.embedder import Embedder

        self.embedder = Embedder(model, backend, batch_size, 1, Path(cache_dir) if cache_dir else None)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """{"i": ids, "text": texts} -> {"i": ids, "vector": their vectors}."""
        return {"i": batch["i"], "vector": self.embedder.encode([str(t) for t in batch["text"]])}


def encode(texts: Sequence[str], settings: Settings, progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The texts' vectors, in order, computed on Ray; `progress(n)` hears each batch of n texts done."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("indexing on Ray needs Ray Data: pip install 'rag-quotes[ray]'") from exc
    started_here = not ray.is_initialized()
    if started_here:
        # Without an address, a local Ray with this machine's CPUs (settings.threads of them at most).
        ray.init(address=settings.ray_address or None, num_cpus=None if settings.ray_address else settings.threads,
                 include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    try:
        import ray.data  # configures its loggers: quieted after, or they would bury the build's own progress

        logging.getLogger("ray.data").setLevel(logging.ERROR)
        ray.data.DataContext.get_current().enable_progress_bars = False  # the build's own bar counts the texts
        workers = settings.ray_workers or max(1, int(ray.available_resources().get("CPU", 1)))
        data = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)])
        vectors = data.map_batches(
            EncodeActor, fn_constructor_kwargs={"model": settings.model, "backend": settings.backend, "batch_size": settings.batch_size,
                                                "cache_dir": str(settings.cache_dir) if settings.cache_dir else None},
            batch_size=settings.batch_size, compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1,
            batch_format="numpy",
        )
        out: np.ndarray | None = None
        for batch in vectors.iter_batches(batch_size=settings.batch_size, batch_format="numpy"):
            block: Any = np.asarray(batch["vector"], dtype=np.float32)
            if out is None:
                out = np.zeros((len(texts), block.shape[1]), dtype=np.float32)
            out[np.asarray(batch["i"], dtype=np.int64)] = block  # batches come back in any order
            if progress is not None:
                progress(len(block))
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)
    finally:
        if started_here:
            ray.shutdown()
