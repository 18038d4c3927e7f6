"""The ONNX Runtime backend: exported offline once, the same vectors as sentence-transformers, int8 close to them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import ConfigError
from rag.search.embedder import Embedder, resolve_model
from rag.search.onnx_embed import cached_model

TEXTS = ["Who met the Russian delegation in Riyadh?", "short", "A much longer passage about the talks. " * 30]


@pytest.mark.slow
def test_onnx_vectors_match_sentence_transformers(embedder: Embedder) -> None:
    assert embedder.backend == "onnx"
    reference = Embedder(backend="torch").encode(TEXTS)
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == reference.shape == (3, 384)
    assert np.allclose((vectors * reference).sum(axis=1), 1.0, atol=1e-4)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_batch_order_and_padding_do_not_change_a_vector(embedder: Embedder) -> None:
    alone = np.vstack([embedder.encode_one(t) for t in TEXTS])
    together = embedder.encode(TEXTS[::-1])[::-1]
    assert np.allclose(alone, together, atol=1e-5)


@pytest.mark.slow
def test_int8_export_is_cached_and_stays_close(tmp_path: Path, embedder: Embedder) -> None:
    int8 = Embedder(backend="onnx-int8", cache_dir=tmp_path)
    vectors = int8.encode(TEXTS)
    source = Path(resolve_model(int8.model_id))
    path = cached_model(source, tmp_path, "int8")
    assert path.exists() and path.parent.parent == tmp_path
    assert not list(tmp_path.rglob("*.tmp"))  # written through a temporary name, nothing half-done left
    assert ((vectors * embedder.encode(TEXTS)).sum(axis=1) > 0.85).all()
    mtime = path.stat().st_mtime_ns
    assert cached_model(source, tmp_path, "int8") == path and path.stat().st_mtime_ns == mtime  # reused, not re-exported


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="backend must be one of"):
        Embedder(backend="tensorrt")


def test_onnx_backend_needs_a_local_model_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tokenizer\.json"):
        _ = Embedder(str(tmp_path), backend="onnx", cache_dir=tmp_path).model
