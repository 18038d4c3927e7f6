"""The answer composer: picks the sentences that answer, quotes them verbatim with citations, or abstains."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rag.features import QuestionInfo, novelty, type_match, weighted_overlap
from rag.index import LoadedIndex
from rag.lexical import tokens
from rag.retrieval import Hit
from rag.schema import Citation

ABSTAIN_TEXT = "The documents don't say. The closest passages are listed below."
FEATURES = ("cos", "lex", "lex_ctx", "cos_passage", "lex_passage", "rank", "type", "novelty", "specific")
# Weights for ranking sentences and for the abstention logit; fitted on the development sets by evals/fit.py.
RANK_WEIGHTS = np.array([1.0, 0.35, 0.15, 0.3, 0.15, 0.1, 0.1, 0.05, 0.2], dtype=np.float32)
ABSTAIN_WEIGHTS = np.array([6.0, 2.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 2.0], dtype=np.float32)
ABSTAIN_BIAS = -5.0


@dataclass(frozen=True)
class Candidate:
    """A sentence that might answer, with its features (in FEATURES order)."""

    sentence_id: int
    passage_rank: int
    features: np.ndarray
    score: float


def candidates(index: LoadedIndex, hits: list[Hit], query_vector: np.ndarray, info: QuestionInfo) -> list[Candidate]:
    """Every sentence of the retrieved passages, scored; best first."""
    seen: set[int] = set()
    rows: list[tuple[int, int, list[float]]] = []
    t = index.tables
    for rank, hit in enumerate(hits):
        first, last = int(t.chunk_first[hit.chunk_id]), int(t.chunk_last[hit.chunk_id])
        ids = [i for i in range(first, last) if i not in seen]
        if not ids:
            continue
        seen.update(ids)
        cos = index.sentence_vectors[ids] @ query_vector
        for sid, c in zip(ids, cos):
            text = index.sentence_text(sid)
            toks = set(tokens(text))
            ctx = toks | (set(tokens(index.sentence_text(sid - 1))) if sid > first else set())
            rows.append((sid, rank, [
                float(c),
                weighted_overlap(info.tokens, toks, index.idf),
                weighted_overlap(info.tokens, ctx, index.idf),
                hit.dense,
                hit.lexical,
                1.0 / (rank + 1),
                type_match(info.kind, text),
                novelty(info.tokens, toks),
                _specific_share(info, toks),
            ]))
    if not rows:
        return []
    feats = np.array([r[2] for r in rows], dtype=np.float32)
    scores = feats @ RANK_WEIGHTS
    order = np.argsort(-scores, kind="stable")
    return [Candidate(rows[i][0], rows[i][1], feats[i], float(scores[i])) for i in order]


def confidence(best: Candidate) -> float:
    """Probability-like confidence that the best sentence answers the question."""
    z = float(best.features @ ABSTAIN_WEIGHTS) + ABSTAIN_BIAS
    return 1.0 / (1.0 + math.exp(-z))


def compose(index: LoadedIndex, ranked: list[Candidate], max_words: int) -> tuple[str, tuple[Citation, ...]]:
    """The answer text: the best sentence, plus the runner-up when close in score and short enough, each cited."""
    if not ranked:
        return "", ()
    chosen = [ranked[0]]
    budget = max_words - _word_count(index, ranked[0].sentence_id)
    for cand in ranked[1:3]:
        if ranked[0].score - cand.score > 0.08:
            break
        n = _word_count(index, cand.sentence_id)
        if n <= budget:
            chosen.append(cand)
            budget -= n
            break
    citations = []
    for n, cand in enumerate(chosen, start=1):
        doc = index.sentence_doc(cand.sentence_id)
        start, end = int(index.tables.sent_start[cand.sentence_id]), int(index.tables.sent_end[cand.sentence_id])
        quote = doc.text[start:end]
        if _word_count(index, cand.sentence_id) > max_words:
            quote, end = _clip(doc.text, start, end, max_words)
        citations.append(Citation(n, doc.doc_id, doc.title, quote, start, end, round(cand.score, 4)))
    return " ".join(f"{c.quote} [{c.n}]" for c in citations), tuple(citations)


def _specific_share(info: QuestionInfo, toks: set[str]) -> float:
    """Share of the question's names and numbers the sentence contains (1.0 when the question has none)."""
    if not info.specific:
        return 1.0
    return sum(1 for s in info.specific if s in toks) / len(info.specific)


def _word_count(index: LoadedIndex, sentence_id: int) -> int:
    return len(index.sentence_text(sentence_id).split())


def _clip(text: str, start: int, end: int, max_words: int) -> tuple[str, int]:
    """Cut a quote after `max_words` words, still verbatim: the end offset moves, the text is never changed."""
    pos, count = start, 0
    while pos < end and count < max_words:
        while pos < end and text[pos].isspace():
            pos += 1
        while pos < end and not text[pos].isspace():
            pos += 1
        count += 1
    return text[start:pos], pos
