"""The answer composer: ranks the sentences that might answer and judges whether the best one does (or abstains);
`rag.answer.quotes` turns the ranked sentences into verbatim quotes with citations."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.answer.features import (
    QuestionInfo,
    answer_slot,
    bigram_share,
    kind_match,
    life_tokens,
    matches,
    novelty,
    place_tokens,
    unit_tokens,
    weighted_overlap,
)
from rag.answer.mismatch import MONTHS, has_negation, number_conflict, opposites, unit_missing
from rag.search.index import LoadedIndex
from rag.search.lexical import tokens
from rag.search.retrieval import Hit

ABSTAIN_TEXT = "The documents don't say. The closest passages are listed below."
HEADING_KINDS = ("time", "number")  # kinds of answer a section heading may hold for the sentences under it
SECTION_LOOKBACK = 12  # how many sentences back a section's heading is looked for
_DATED = re.compile(rf"\b(?:1[5-9]|20)\d\d\b|\b(?:{MONTHS})\b", re.I)
_QUESTION = re.compile(r"\?[\"'\u201d\u2019)]*$")
_SECTION_NUMBER = re.compile(r"^[#\s]*(?:\d{1,3}\.)*\d{1,3}\.?\s+(?![-\u2013\u2014]\s*\d)")
FEATURES = (
    "cos", "lex", "lex_ctx", "cos_passage", "lex_passage", "rank", "type", "novelty", "specific",
    "bigram", "slot", "cos_rel", "lex_rel", "cos_prev", "length",
)
# Weights for ranking sentences, fitted by `make fit` (evals/fit.py, kept at zero or above) on the 36 training articles
# of ../shared/datasets/train (12,454 SQuAD questions), and for the abstention logit, fitted on the development sets:
# fitted on the training articles too, it didn't carry over to other documents (evals/README.md, seventh session).
RANK_WEIGHTS = np.array(
    [1.393, 0.968, 2.031, 4.638, 1.646, 0.349, 2.156, 0.225, 0.0, 1.572, 0.283, 1.393, 0.968, 0.0, 0.728], dtype=np.float32
)
ABSTAIN_WEIGHTS = np.array(
    [0.0, 0.0, 0.0, 2.411, 0.0, 0.0, 1.594, 0.0, 0.0, 0.0, 0.746, 0.0, 0.0, 0.0, 0.0,
     0.0, 0.0, 0.0, 0.0, 0.429, 0.0, 0.0, 0.157, -2.879, -3.108, -3.212, -4.454],
    dtype=np.float32,
)
ABSTAIN_BIAS = -2.364
# Added to the relevance floor for a question none of whose words the documents use ("Is there a gym membership?"
# over a handbook): no answerable development question is in that case, so it costs nothing measured there.
UNSEEN_WORDS_RAISE = 0.1


@dataclass(frozen=True)
class Candidate:
    """A sentence that might answer, with its features (in FEATURES order)."""

    sentence_id: int
    passage_rank: int
    features: np.ndarray
    score: float
    heading: int | None = None  # the section heading that holds what the sentence lacks ("### 2.0.0 - 2023-02-14")


def candidates(index: LoadedIndex, hits: list[Hit], query_vector: np.ndarray, info: QuestionInfo) -> list[Candidate]:
    """Every sentence of the retrieved passages but headings and questions, scored; best first. A question is never
    an answer: an FAQ's or an interviewer's question matches a user's best but says nothing.

    A sentence in several overlapping passages takes the best of their scores.
    """
    t = index.tables
    best: dict[int, list[float]] = {}  # sentence id -> [passage rank, passage cosine, passage BM25]
    for rank, hit in enumerate(hits):
        for sid in range(int(t.chunk_first[hit.chunk_id]), int(t.chunk_last[hit.chunk_id])):
            seen = best.setdefault(sid, [rank, hit.dense, hit.lexical])
            seen[1], seen[2] = max(seen[1], hit.dense), max(seen[2], hit.lexical)
    ids = sorted(sid for sid in best if not index.is_heading(sid) and not _QUESTION.search(index.sentence_text(sid)))
    if not ids:
        return []
    # One read of every vector the features need (the candidates' and the sentences before them): Milvus serves
    # each read as a query.
    before = sorted({sid - 1 for sid in ids if sid > 0 and t.sent_doc[sid - 1] == t.sent_doc[sid]} - set(ids))
    cos_of = dict(zip(ids + before, (index.sentence_vectors[ids + before] @ query_vector).tolist()))
    q_tokens = list(info.tokens)
    rows: list[list[float]] = []
    headings: dict[int, int] = {}
    for sid in ids:
        seq = _sentence_tokens(index, sid)
        text = index.sentence_text(sid)
        kind = kind_match(info, text)
        heading = _heading_holding(index, info, sid) if kind < 1.0 and info.kind in HEADING_KINDS else None
        if heading is not None:
            kind, headings[sid] = 1.0, heading
        toks = _context_tokens(index, info, sid)
        has_prev = sid > 0 and t.sent_doc[sid - 1] == t.sent_doc[sid]
        prev = _context_tokens(index, info, sid - 1) if has_prev else set()
        p_rank, p_dense, p_lex = best[sid]
        rows.append([
            cos_of[sid],
            weighted_overlap(q_tokens, toks, index.idf),
            weighted_overlap(q_tokens, toks | prev, index.idf),
            p_dense,
            p_lex,
            1.0 / (p_rank + 1),
            kind,
            novelty(info.tokens, toks),
            _specific_share(info, toks | prev if _PRONOUN_START.match(text) else toks),
            bigram_share(q_tokens, seq),
            answer_slot(info, text, toks),
            0.0,
            0.0,
            cos_of[sid - 1] if has_prev else 0.0,
            min(len(text.split()), 60) / 60,
        ])
    feats = np.array(rows, dtype=np.float32)
    feats[:, FEATURES.index("cos_rel")] = feats[:, 0] - feats[:, 0].max()
    feats[:, FEATURES.index("lex_rel")] = feats[:, 1] - feats[:, 1].max()
    scores = feats @ RANK_WEIGHTS
    order = np.argsort(-scores, kind="stable")
    return [Candidate(ids[i], int(best[ids[i]][0]), feats[i], float(scores[i]), headings.get(ids[i])) for i in order]


# A sentence opening with a pronoun is about someone or something the sentence before named ("Chief mediator Ilse
# Brandvold said ... She said she would invite the parties back"), so that sentence's names count as its own.
_PRONOUN_START = re.compile(r"(?:It|He|She|They|Its|His|Her|Their|This|These)\b")


def _heading_holding(index: LoadedIndex, info: QuestionInfo, sentence_id: int) -> int | None:
    """The heading of the sentence's section when it holds the time or number asked for: a changelog gives a
    release's date only in its heading ("### 2.2.0 - 2024-03-07" over "- Added SVG output")."""
    doc = index.tables.sent_doc[sentence_id]
    for sid in range(sentence_id - 1, max(sentence_id - SECTION_LOOKBACK, -1), -1):
        if index.tables.sent_doc[sid] != doc:
            return None
        if index.is_heading(sid):
            if index.is_title(sid):  # "Transcript: Episode 14" titles the whole document, dates no section
                return None
            words = _SECTION_NUMBER.sub("", index.sentence_text(sid))  # "### 2.3 Returns" holds no number asked for
            dated = info.kind != "time" or _DATED.search(words) is not None  # a year or a month, not any digit
            return sid if dated and kind_match(info, words) == 1.0 else None
    return None


QUESTION_FEATURES = (
    *FEATURES, "score", "margin", "max_cos", "max_lex", "max_specific", "unknown_words", "unknown_specific",
    "passage_specific", "negation_mismatch", "opposite", "number_conflict", "unit_missing",
)
# The direction each question feature may push confidence (+1 up, -1 down, 0 unused): more similarity, more of the
# question's names and numbers, the right kind of answer -> more confident; words the documents never use -> less.
ABSTAIN_SIGNS = (1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, -1, -1, 1, -1, -1, -1, -1)


def question_features(ranked: list[Candidate], info: QuestionInfo, index: LoadedIndex) -> np.ndarray:
    """Question-level evidence for abstention: the best sentence's features plus how the field of candidates looks."""
    if not ranked:
        return np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
    feats = np.array([c.features for c in ranked])
    second = ranked[1].score if len(ranked) > 1 else ranked[0].score - 1.0
    unknown = [t for t in info.tokens if t not in index.idf]
    unknown_specific = [t for t in info.specific if t not in index.idf]
    best = ranked[0].sentence_id
    context = _context_tokens(index, info, best)
    for near in (best - 1, best + 1):  # the best sentence and its neighbours in the same document
        if 0 <= near < len(index.tables.sent_doc) and index.tables.sent_doc[near] == index.tables.sent_doc[best]:
            context |= _context_tokens(index, info, near)
    passage_specific = sum(1 for t in info.specific if matches(t, context)) / len(info.specific) if info.specific else 1.0
    negation_mismatch = float(info.negated and not has_negation(index.sentence_text(best)))
    return np.array([
        *ranked[0].features,
        ranked[0].score,
        ranked[0].score - second,
        feats[:, 0].max(),
        feats[:, 1].max(),
        feats[:, FEATURES.index("specific")].max(),
        len(unknown) / max(len(info.tokens), 1),
        len(unknown_specific) / max(len(info.specific), 1),
        passage_specific,
        negation_mismatch,
        float(bool(opposites(info.text, index.sentence_text(best)))),
        float(number_conflict(info.text, index.sentence_text(best))),
        float(unit_missing(info.text, index.sentence_text(best))),
    ], dtype=np.float32)


def confidence(question_vector: np.ndarray, relevance_floor: float) -> float:
    """Probability-like confidence that the best sentence answers the question.

    Two tests: no sentence is even about the question (cosine below `relevance_floor`: off-topic), or the best
    sentence misses what the question needs (a logistic model over mismatch signals: near-miss).
    """
    z = float(question_vector @ ABSTAIN_WEIGHTS) + ABSTAIN_BIAS
    p = 1.0 / (1.0 + math.exp(-z))
    max_cos = float(question_vector[QUESTION_FEATURES.index("max_cos")])
    return p if on_topic(question_vector, relevance_floor) else min(p, max(max_cos, 0.0))


def on_topic(question_vector: np.ndarray, relevance_floor: float) -> bool:
    """Some sentence is about the question: its best cosine reaches the floor, raised by UNSEEN_WORDS_RAISE when not
    one word of the question occurs in the documents (only meaning links them then, and it must be clearer).
    """
    unseen = question_vector[QUESTION_FEATURES.index("unknown_words")] >= 1.0
    return bool(question_vector[QUESTION_FEATURES.index("max_cos")] >= relevance_floor + (UNSEEN_WORDS_RAISE if unseen else 0.0))


@lru_cache(maxsize=200_000)
def _tokens_cached(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


def _sentence_tokens(index: LoadedIndex, sentence_id: int) -> tuple[str, ...]:
    return _tokens_cached(index.sentence_text(sentence_id))


def _context_tokens(index: LoadedIndex, info: QuestionInfo, sentence_id: int) -> set[str]:
    """A sentence's tokens, plus the question's words for the countries it names in other words, "born"/"died"
    for a life span in brackets, and the words its unit symbols stand for ("kcal": calories)."""
    text = index.sentence_text(sentence_id)
    return set(_sentence_tokens(index, sentence_id)) | place_tokens(info, text) | life_tokens(text) | unit_tokens(text)


def _specific_share(info: QuestionInfo, toks: set[str]) -> float:
    """Share of the question's names and numbers the sentence contains (1.0 when the question has none)."""
    if not info.specific:
        return 1.0
    return sum(1 for s in info.specific if matches(s, toks)) / len(info.specific)
