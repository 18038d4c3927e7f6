"""The ONNX Runtime embedding backend: the model exported once, offline, then run without torch.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose releases pin transformers < 4.58 while
sentence-transformers 6 needs transformers 5, so the two can't be installed together. This module does the same
job directly: torch exports the packaged model to ONNX (once, cached outside site-packages), ONNX Runtime runs it,
and the model's own fast tokenizer and mean pooling reproduce sentence-transformers' vectors (cosine 1.0 in float32).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError

EXPORT_VERSION = 1  # bump when the export recipe changes, so old cached files are not reused
VARIANTS = ("fp32", "int8")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir() -> Path:
    """Where exported models are kept when no cache folder is given: the user's cache, else the temp folder."""
    home = Path.home() / ".cache" / "rag-quotes"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if os.access(home, os.W_OK):
            return home
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "rag-quotes"


def cached_model(source: Path, cache_dir: Path, variant: str) -> Path:
    """Path of the ONNX file for a local sentence-transformers folder, exporting it first if it is not cached."""
    if variant not in VARIANTS:
        raise ConfigError(f"onnx variant must be one of {VARIANTS}, not {variant!r}")
    weights = next((source / n for n in ("model.safetensors", "pytorch_model.bin") if (source / n).exists()), None)
    if weights is None:
        raise ConfigError(f"{source} has no model weights to export to ONNX")
    stat = weights.stat()
    key = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|v{EXPORT_VERSION}".encode()).hexdigest()[:16]
    folder = cache_dir / f"onnx-{key}"
    target = folder / f"model-{variant}.onnx"
    if target.exists():
        return target
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".lock")):  # two processes starting at once export only once
        if not target.exists():
            fp32 = folder / "model-fp32.onnx"
            if not fp32.exists():
                _atomic(fp32, lambda tmp: export(source, tmp))
            if variant == "int8":
                _atomic(target, lambda tmp: quantize(fp32, tmp))
    return target


def _atomic(target: Path, write: Any) -> None:
    """Write through a temporary name and rename, so a killed export never leaves a half file behind."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def export(source: Path, target: Path) -> None:
    """Export a local transformer to ONNX with dynamic batch and sequence axes (token vectors out)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()

    class _Tokens(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in _INPUTS)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "token_embeddings")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shape checks baked in: the dynamic axes are verified in tests
        torch.onnx.export(  # the TorchScript exporter: the dynamo one needs onnxscript, which we don't ship
            _Tokens(model), dummy, str(target), input_names=list(_INPUTS), output_names=["token_embeddings"],
            dynamic_axes=axes, opset_version=17, dynamo=False,
        )


def quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights of an exported model."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)


class OnnxEncoder:
    """Tokenise, run the ONNX graph, mean-pool and normalise: sentence-transformers' recipe without torch."""

    def __init__(self, source: Path, onnx_path: Path, threads: int, query_threads: int = 1) -> None:
        from tokenizers import Tokenizer

        config = _read_json(source / "sentence_bert_config.json")
        self.max_length = int(config.get("max_seq_length", 256))
        self.dimension = int(_read_json(source / "config.json").get("hidden_size", 0))
        self.tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()
        self._path = onnx_path
        self._threads = {"batch": threads, "query": query_threads}
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._inputs: set[str] = set()

    def _open(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self._path), options, providers=["CPUExecutionProvider"])

    def session(self, use: str) -> Any:
        """The ONNX Runtime session for "batch" (all threads) or "query" work, opened on first use.

        One question at a time runs single-threaded: a dozen tokens don't split across cores with profit, the
        second thread spin-waits (72 vs 142 answers/s in one thread, measured on 2 busy cores), and the server
        answers several questions at once anyway. A server that never indexes never opens the batch session.
        """
        if use not in self._sessions:
            with self._lock:
                if use not in self._sessions:
                    same = "batch" if use == "query" else "query"
                    shared = self._sessions.get(same) if self._threads[use] == self._threads[same] else None
                    opened = shared or self._open(self._threads[use])
                    self._inputs = {i.name for i in opened.get_inputs()}
                    self._sessions[use] = opened
        return self._sessions[use]

    def encode(self, texts: list[str], batch_size: int, use: str | None = None) -> np.ndarray:
        """Unit vectors for texts; batches hold texts of similar length so little time goes on padding.

        One text runs on the "query" session, several on the "batch" one unless `use` says otherwise.
        """
        if len(texts) == 1:
            return self._run([self.tokenizer.encode(texts[0]).ids], self.session(use or "query"))
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run([encodings[r].ids for r in rows], self.session(use or "batch"))
        return out

    def _run(self, ids: list[list[int]], session: Any) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        tokens = session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"can't read {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}
