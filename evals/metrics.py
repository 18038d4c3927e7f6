"""Pure metric functions: answer matching, retrieval ranks, token F1, abstention and its trade-off curve.

A rate over an empty set is None (shown as "n/a"), never a made-up 0 or 1.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})
_CITATION = re.compile(r"\[\d+\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "‘’“”–—"})


def normalise(text: str) -> str:
    """Case-folded, straight quotes, whitespace collapsed: the form answers are matched in.

    >>> normalise("  Saudi\\n ARABIA’s ")
    "saudi arabia's"
    """
    return " ".join(text.translate(_QUOTES).casefold().split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """True when any gold answer appears inside `text` (case-insensitive, whitespace-normalised).

    >>> contains_answer("They meet in  saudi Arabia [1].", ["Saudi Arabia"])
    True
    """
    haystack = normalise(text)
    return any(normalise(a) and normalise(a) in haystack for a in answers)


def first_relevant_rank(texts: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first passage holding a gold answer, None when none does.

    >>> first_relevant_rank(["no", "yes: Riyadh", "Riyadh"], ["riyadh"])
    2
    """
    for rank, text in enumerate(texts, start=1):
        if contains_answer(text, answers):
            return rank
    return None


def share(count: int, total: int) -> float | None:
    """count / total, or None when total is 0."""
    return count / total if total else None


def recall_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose first relevant passage is in the top k.

    >>> recall_at_k([1, 3, None, 6], 3)
    0.5
    """
    return share(sum(1 for r in ranks if r is not None and r <= k), len(ranks))


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """Mean of 1/rank of the first relevant passage (0 when there is none).

    >>> mean_reciprocal_rank([1, 2, None, 4])
    0.4375
    """
    if not ranks:
        return None
    return sum(1 / r for r in ranks if r) / len(ranks)


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style tokens: citation markers, punctuation and articles dropped, lower case.

    >>> answer_tokens("The Minsk II agreement [1].")
    ['minsk', 'ii', 'agreement']
    """
    text = _CITATION.sub(" ", text).translate(_QUOTES).lower().translate(_PUNCT)
    return _ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, gold: str) -> float:
    """Harmonic mean of token precision and recall between a prediction and one gold answer.

    >>> round(token_f1("in Saudi Arabia soon", "Saudi Arabia"), 3)
    0.667
    """
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_f1(prediction: str, answers: Sequence[str]) -> float:
    """Token F1 against the closest gold answer (0 when there are none)."""
    return max((token_f1(prediction, a) for a in answers), default=0.0)


def word_count(text: str) -> int:
    """Words in an answer: tokens holding a letter or digit, citation markers not counted.

    >>> word_count("Mike Waltz will attend [1].")
    4
    """
    return sum(1 for token in _CITATION.sub(" ", text).split() if any(ch.isalnum() for ch in token))


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, None for no values."""
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between order statistics, like numpy's default.

    >>> percentile([10, 20, 30, 40], 50)
    25.0
    """
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


@dataclass(frozen=True)
class Abstention:
    """How well abstaining matches unanswerability."""

    precision: float | None  # of the abstentions, the share on unanswerable questions
    recall: float | None  # of the unanswerable questions, the share abstained on
    false_abstention_rate: float | None  # of the answerable questions, the share abstained on


def abstention(answerable: Sequence[bool], abstained: Sequence[bool]) -> Abstention:
    """Precision, recall and false-abstention rate of the abstention decisions.

    >>> abstention([True, True, False, False], [True, False, True, False])
    Abstention(precision=0.5, recall=0.5, false_abstention_rate=0.5)
    """
    pairs = list(zip(answerable, abstained, strict=True))
    return Abstention(
        precision=share(sum(1 for a, x in pairs if x and not a), sum(1 for _a, x in pairs if x)),
        recall=share(sum(1 for a, x in pairs if x and not a), sum(1 for a, _x in pairs if not a)),
        false_abstention_rate=share(sum(1 for a, x in pairs if x and a), sum(1 for a, _x in pairs if a)),
    )


@dataclass(frozen=True)
class CurvePoint:
    """The outcome of abstaining below one threshold (abstained when confidence < threshold)."""

    threshold: float
    false_abstention_rate: float | None
    abstention_recall: float | None
    abstention_precision: float | None
    hit_rate: float | None  # answerable questions answered with a gold answer inside


def abstention_curve(confidences: Sequence[float], answerable: Sequence[bool], hits: Sequence[bool]) -> list[CurvePoint]:
    """Sweep the threshold over every recorded confidence (plus 0 and one above the top).

    `hits[i]` says whether question i's answer, had it not abstained, holds a gold answer.
    """
    top = max(confidences, default=0.0)
    thresholds = sorted({0.0, *confidences, top + 1e-6})
    points = []
    n_answerable = sum(answerable)
    for t in thresholds:
        abstained = [c < t for c in confidences]
        stats = abstention(answerable, abstained)
        kept_hits = sum(1 for a, h, x in zip(answerable, hits, abstained, strict=True) if a and h and not x)
        points.append(CurvePoint(t, stats.false_abstention_rate, stats.recall, stats.precision, share(kept_hits, n_answerable)))
    return points


def abstention_auc(confidences: Sequence[float], answerable: Sequence[bool]) -> float | None:
    """Area under the abstention curve (unanswerable abstained vs answerable abstained): the chance that an
    answerable question gets a higher confidence than an unanswerable one, ties counting half.

    >>> abstention_auc([0.9, 0.4, 0.5, 0.1], [True, True, False, False])
    0.75
    """
    pos = [c for c, a in zip(confidences, answerable, strict=True) if a]
    neg = [c for c, a in zip(confidences, answerable, strict=True) if not a]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def calibrate_threshold(confidences: Sequence[float], answerable: Sequence[bool], target_false_abstention: float) -> float | None:
    """The highest threshold whose false-abstention rate stays at or under the target (so the most
    unanswerable questions are abstained on within that budget). None without answerable questions.

    >>> calibrate_threshold([0.2, 0.5, 0.8, 0.9, 0.1], [True, True, True, True, False], 0.25)
    0.5
    """
    ordered = sorted(c for c, a in zip(confidences, answerable, strict=True) if a)
    if not ordered:
        return None
    allowed = math.floor(target_false_abstention * len(ordered) + 1e-9)
    if allowed >= len(ordered):
        return max(confidences) + 1e-6
    return ordered[allowed]  # abstained = confidence < threshold: at most `allowed` answerable ones fall below
