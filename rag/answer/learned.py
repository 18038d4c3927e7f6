"""The learned answer scorer: a MiniLM cross-encoder, fine-tuned on public QA data (`make train`, models/answer-scorer.md),
that reads the question with each candidate sentence and scores it, plus a learned "none of these" score.

One forward pass scores every candidate at once; `answerable()` is the probability that some candidate answers
(1 minus the softmax weight of "none"), the number abstention is decided on. The ONNX file is checked against the
sha256 in its manifest before it is loaded.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.composer import Candidate
from rag.errors import ConfigError
from rag.search.store import file_sha256

MAX_CANDIDATES = 16  # sentences scored per question: the composer's best, in its order
MAX_LENGTH = 128  # tokens of question + candidate + context
QUESTION_WORDS = 40
SENTENCE_WORDS = 60
CONTEXT_WORDS = 20
MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def candidate_text(sentence: str, context: str) -> str:
    """The second segment the model reads: the candidate, then the end of the sentence before it.

    >>> candidate_text("He was born in 1950.", "John Smith is a painter.")
    'He was born in 1950. | John Smith is a painter.'
    """
    words = sentence.split()[:SENTENCE_WORDS]
    before = context.split()[-CONTEXT_WORDS:]
    return " ".join(words) + (" | " + " ".join(before) if before else "")


def candidate_context(index: Any, sentence_id: int) -> str:
    """The sentence before a candidate in its document ("" for a document's first): who "he" or "it" is."""
    t = index.tables
    if sentence_id == 0 or t.sent_doc[sentence_id - 1] != t.sent_doc[sentence_id]:
        return ""
    return str(index.sentence_text(sentence_id - 1))


@dataclass(frozen=True)
class Scores:
    """The model's view of one question's candidates."""

    logits: np.ndarray  # one per candidate, in the order given
    none: float  # the "none of these" logit

    def answerable(self) -> float:
        """Probability that some candidate answers: 1 - softmax weight of "none"."""
        if not len(self.logits):
            return 0.0
        top = max(float(self.logits.max()), self.none)
        some = float(np.exp(self.logits - top).sum())
        return some / (some + math.exp(self.none - top))


class AnswerScorer:
    """The ONNX cross-encoder and its tokenizer; the session opens on first use (one thread per question)."""

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self.manifest: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        rebuild = "rebuild it with `make train` (models/answer-scorer.md)"
        path = self.model_dir / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"the answer scorer is missing: no {path}; {rebuild}") from exc
        except (OSError, ValueError) as exc:
            raise ConfigError(f"the answer scorer's {path} is unreadable ({exc}); {rebuild}") from exc
        if manifest.get("format") != FORMAT_VERSION:
            raise ConfigError(f"{path} has format {manifest.get('format')!r}, this version reads {FORMAT_VERSION}; {rebuild}")
        onnx_path = self.model_dir / str(manifest["file"])
        if not onnx_path.exists():
            raise ConfigError(f"the answer scorer is missing: no {onnx_path}; {rebuild}")
        if file_sha256(onnx_path) != manifest["sha256"]:
            raise ConfigError(f"{onnx_path} is damaged: its sha256 differs from {path}; {rebuild}")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))  # MiniLM's, shipped beside the weights
        tokenizer.enable_truncation(MAX_LENGTH)
        tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer
        self.manifest = manifest

    def threshold(self) -> float:
        """The abstention threshold calibrated on held-out articles (at most 5% false abstention there)."""
        self.warm_up()
        return float(self.manifest["threshold"])

    def warm_up(self) -> None:
        """Check and load the model now (raises ConfigError when it is missing or damaged)."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._load()

    def score(self, question: str, sentences: list[str], contexts: list[str]) -> Scores:
        """Logits for each candidate sentence (with the sentence before it) as an answer to the question."""
        self.warm_up()
        if not sentences:
            return Scores(np.zeros(0, dtype=np.float32), float(self.manifest["none_logit"]))
        q = " ".join(question.split()[:QUESTION_WORDS])
        pairs = [(q, candidate_text(s, c)) for s, c in zip(sentences, contexts)]
        encodings = self._tokenizer.encode_batch(pairs)
        width = max(len(e.ids) for e in encodings)
        feed = {name: np.zeros((len(pairs), width), dtype=np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feed["input_ids"][row, :n] = e.ids
            feed["attention_mask"][row, :n] = 1
            feed["token_type_ids"][row, :n] = e.type_ids
        logits = self._session.run(None, feed)[0].reshape(-1).astype(np.float32)
        return Scores(logits, float(self.manifest["none_logit"]))


LEARNED_SECOND_MARGIN = 1.0  # logits: the runner-up is quoted too when the model rates it near the best (e^-1 of its weight)


def default_dir() -> Path:
    """models/answer-scorer of this checkout (the weights ship in the repository, beside the package)."""
    return Path(__file__).resolve().parents[2] / "models" / "answer-scorer"


def score_candidates(index: Any, top: list[Candidate], question: str, scorer: AnswerScorer) -> Scores:
    """The model's scores of candidates, each read with the sentence before it."""
    sids = [c.sentence_id for c in top]
    return scorer.score(question, [index.sentence_text(s) for s in sids], [candidate_context(index, s) for s in sids])


def rerank(
    index: Any, ranked: list[Candidate], question: str, scorer: AnswerScorer, depth: int = MAX_CANDIDATES
) -> tuple[list[Candidate], Scores]:
    """The composer's first `depth` candidates, re-ordered by the model (its logit becomes the score)."""
    top = ranked[: min(depth, MAX_CANDIDATES)]
    scores = score_candidates(index, top, question, scorer)
    order = np.argsort(-scores.logits, kind="stable")
    return [replace(top[i], score=float(scores.logits[i])) for i in order], scores


# The hybrid (RAG_ANSWER_SCORER=hybrid): composer score + HYBRID_WEIGHT x the model's logit over the composer's first
# HYBRID_CANDIDATES sentences; both chosen on the held-out articles by `python -m training.blend` (models/answer-scorer.md).
HYBRID_WEIGHT = 0.5
HYBRID_CANDIDATES = 4  # as good as 8 there and on the team's sets, at half the time
LEARNED_CANDIDATES = 8


def blend(
    index: Any, ranked: list[Candidate], question: str, scorer: AnswerScorer, depth: int = MAX_CANDIDATES,
    weight: float = HYBRID_WEIGHT,
) -> tuple[list[Candidate], Scores]:
    """The composer's first `depth` candidates, re-ordered by the composer's score plus `weight` times the model's logit."""
    top = ranked[: min(depth, MAX_CANDIDATES)]
    scores = score_candidates(index, top, question, scorer)
    mixed = np.array([c.score for c in top], dtype=np.float32) + weight * scores.logits
    order = np.argsort(-mixed, kind="stable")
    return [replace(top[i], score=float(mixed[i])) for i in order], scores
