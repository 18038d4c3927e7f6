"""Turning answers into per-question verdicts and the report's metrics (built from the pure functions in metrics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from evals import metrics as m
from evals.runner import Outcome


@dataclass(frozen=True)
class Verdict:
    """One question judged at the abstention threshold, plus what it would have been without abstaining."""

    id: str
    kind: str | None
    question: str
    history: list[dict[str, str]]
    searched_question: str
    answerable: bool
    answers: list[str]
    answer: str  # at the threshold: the abstention text when abstained
    answer_without_abstention: str  # what it would have said ("" when unknown: a server's abstention)
    abstained: bool
    confidence: float
    hit: bool  # answerable and a gold answer is inside the answer given at the threshold
    hit_without_abstention: bool
    f1: float
    rank: int | None  # 1-based rank of the first retrieved passage holding a gold answer
    citations: list[dict[str, Any]]  # each with "verbatim": quote == document text[start:end]
    cited_gold: bool  # a gold answer is inside the cited quotes
    seconds: float
    correct: bool  # answerable and hit, or unanswerable and abstained

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for report.json."""
        return asdict(self)


def judge(outcome: Outcome, documents: Mapping[str, str], threshold: float | None, abstain_text: str) -> Verdict:
    """Judge one outcome. With `threshold`, the answer was computed without abstaining (in-process runs) and the
    decision is `confidence < threshold`; with None, the server's own `abstained` flag is used."""
    gold, raw = outcome.gold, outcome.answer
    confidence = float(raw.get("confidence", 0.0))
    abstained = bool(raw.get("abstained")) if threshold is None else confidence < threshold
    raw_text = "" if raw.get("abstained") else str(raw.get("answer", ""))
    citations = [{**c, "verbatim": _verbatim(c, documents)} for c in raw.get("citations", [])]
    shown = [] if abstained else citations
    hit_raw = gold.answerable and m.contains_answer(raw_text, gold.answers)
    passages = [p for p in raw.get("passages", []) if gold.doc_id is None or p.get("doc_id") == gold.doc_id]
    rank = m.first_relevant_rank([str(p.get("text", "")) for p in passages], gold.answers) if gold.answerable else None
    hit = hit_raw and not abstained
    return Verdict(
        id=gold.id, kind=gold.kind, question=gold.question, history=list(gold.history),
        searched_question=str(raw.get("searched_question", gold.question)), answerable=gold.answerable,
        answers=list(gold.answers), answer=abstain_text if abstained else raw_text, answer_without_abstention=raw_text,
        abstained=abstained,
        confidence=confidence, hit=hit, hit_without_abstention=hit_raw,
        f1=m.best_f1(raw_text, gold.answers) if gold.answerable and not abstained else 0.0, rank=rank, citations=shown,
        cited_gold=gold.answerable and m.contains_answer(" ".join(str(c["quote"]) for c in shown), gold.answers),
        seconds=outcome.seconds, correct=hit if gold.answerable else abstained,
    )


def _verbatim(citation: Mapping[str, Any], documents: Mapping[str, str]) -> bool:
    text = documents.get(str(citation.get("doc_id")))
    start, end = citation.get("start"), citation.get("end")
    if text is None or not isinstance(start, int) or not isinstance(end, int) or not 0 <= start <= end <= len(text):
        return False
    return text[start:end] == citation.get("quote")


def all_citations_verbatim(outcomes: Sequence[Outcome], documents: Mapping[str, str]) -> tuple[int, int]:
    """(verbatim, total) over every citation produced, abstained-on answers included when they have any."""
    flags = [_verbatim(c, documents) for o in outcomes for c in o.answer.get("citations", [])]
    return sum(flags), len(flags)


def summarise(verdicts: Sequence[Verdict], outcomes: Sequence[Outcome], documents: Mapping[str, str],
              exact_curve: bool) -> dict[str, Any]:
    """The flat metrics dict (the names --fail-under takes) plus the curve, score lists and breakdowns."""
    answerable = [v for v in verdicts if v.answerable]
    answered = [v for v in verdicts if not v.abstained]
    ranks = [v.rank for v in answerable]
    verbatim, n_citations = all_citations_verbatim(outcomes, documents)
    confidences, labels = [v.confidence for v in verdicts], [v.answerable for v in verdicts]
    stats = m.abstention(labels, [v.abstained for v in verdicts])
    latencies = [v.seconds * 1000 for v in verdicts]
    words = [m.word_count(v.answer) for v in answered]
    answered_answerable = [v for v in answerable if not v.abstained]
    flat: dict[str, Any] = {
        "questions": len(verdicts), "answerable": len(answerable), "unanswerable": len(verdicts) - len(answerable),
        **{f"recall_at_{k}": m.recall_at_k(ranks, k) for k in (1, 3, 5, 10)},
        "mrr": m.mean_reciprocal_rank(ranks),
        "hit_rate": m.share(sum(v.hit for v in answerable), len(answerable)),
        "hit_rate_no_abstention": m.share(sum(v.hit_without_abstention for v in answerable), len(answerable)) if exact_curve else None,
        "f1": m.mean([v.f1 for v in answerable]),
        "answer_words_mean": m.mean([float(w) for w in words]), "answer_words_max": max(words, default=None),
        "citations": n_citations, "citation_verbatim": m.share(verbatim, n_citations),
        "citation_support": m.share(sum(v.cited_gold for v in answered_answerable), len(answered_answerable)),
        "abstention_precision": stats.precision, "abstention_recall": stats.recall,
        "false_abstention_rate": stats.false_abstention_rate, "abstention_auc": m.abstention_auc(confidences, labels),
        "accuracy": m.share(sum(v.correct for v in verdicts), len(verdicts)),
        "latency_p50_ms": m.percentile(latencies, 50), "latency_p95_ms": m.percentile(latencies, 95),
        "latency_max_ms": max(latencies, default=None),
    }
    curve = m.abstention_curve(confidences, labels, [v.hit_without_abstention for v in verdicts])
    return {"metrics": flat, "curve": [asdict(p) for p in curve], "by_kind": by_kind(verdicts)}


def by_kind(verdicts: Sequence[Verdict]) -> dict[str, dict[str, Any]]:
    """Per `kind` (when the gold file labels questions): count, hit rate and abstention share."""
    groups: dict[str, list[Verdict]] = {}
    for v in verdicts:
        if v.kind:
            groups.setdefault(v.kind, []).append(v)
    return {
        kind: {
            "questions": len(vs), "answerable": sum(v.answerable for v in vs),
            "hit_rate": m.share(sum(v.hit for v in vs if v.answerable), sum(v.answerable for v in vs)),
            "abstained": m.share(sum(v.abstained for v in vs), len(vs)),
            "correct": m.share(sum(v.correct for v in vs), len(vs)),
        }
        for kind, vs in sorted(groups.items())
    }


def at_threshold(verdicts: Sequence[Verdict], threshold: float) -> dict[str, float | None]:
    """Hit rate and abstention figures had the threshold been `threshold` (exact for in-process runs)."""
    labels = [v.answerable for v in verdicts]
    abstained = [v.confidence < threshold for v in verdicts]
    stats = m.abstention(labels, abstained)
    hits = sum(1 for v, x in zip(verdicts, abstained, strict=True) if v.answerable and v.hit_without_abstention and not x)
    return {
        "threshold": threshold, "hit_rate": m.share(hits, sum(labels)), "false_abstention_rate": stats.false_abstention_rate,
        "abstention_recall": stats.recall, "abstention_precision": stats.precision,
    }
