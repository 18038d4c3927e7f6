"""Choose the hybrid's weight on the held-out articles, end to end: the product's own index, retriever and composer
read each question, the shipped model scores the composer's first candidates, and this measures, for the weights in
HYBRID_WEIGHTS, how often the first sentence holds the answer. It also compares, at most 5% false abstention, the
unanswerable questions abstained on by the composer's confidence, the model's and their mean (the hybrid keeps the
composer's). The figures go into the manifest's "hybrid" entry.

Run: python -m training.heldout && python -m training.blend --heldout artifacts/train/heldout --model models/answer-scorer
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.composer import candidates, confidence, question_features
from rag.answer.features import question_info
from rag.answer.learned import HYBRID_CANDIDATES, HYBRID_WEIGHT, MANIFEST, AnswerScorer, score_candidates
from rag.engine import Engine
from rag.search.retrieval import retrieve
from rag.settings import Settings
from training.export import MAX_FALSE_ABSTENTION, calibrate

HYBRID_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)  # 0: the composer's order alone
DEPTH = 8  # the candidates the model reads here (Settings.scorer_candidates: the hybrid reads HYBRID_CANDIDATES)
DEPTHS = (2, 4, 8)


def read_question(engine: Engine, scorer: AnswerScorer, question: dict[str, Any]) -> dict[str, Any] | None:
    """The composer's candidates and confidence, the model's logits and P(answerable), and which candidates hold a gold
    answer (None when retrieval found nothing)."""
    s, index, q = engine.settings, engine.index, question["question"]
    qvec = engine.embedder.encode_one(q)
    info = question_info(q)
    ranked = candidates(index, retrieve(index, qvec, q, s.top_k, s.candidates, s.fusion)[: s.top_k], qvec, info)
    if not ranked:
        return None
    scores = score_candidates(index, ranked[:DEPTH], q, scorer)
    golds = [a.lower() for a in question["answers"] if a]
    return {"conf": confidence(question_features(ranked, info, index), s.relevance_floor), "answerable_p": scores.answerable(),
            "composer": [c.score for c in ranked[:DEPTH]], "logits": scores.logits.tolist(),
            "holds": [any(g in index.sentence_text(c.sentence_id).lower() for g in golds) for c in ranked[:DEPTH]]}


def top1(rows: list[dict[str, Any]], weight: float, depth: int = DEPTH) -> float:
    """Share of answerable questions whose first sentence, by composer score + weight x logit over the composer's first
    `depth` candidates, holds a gold answer.

    >>> rows = [{"composer": [2.0, 1.0], "logits": [0.0, 4.0], "holds": [False, True]}]
    >>> top1(rows, 0.0), top1(rows, 0.5)
    (0.0, 1.0)
    """
    hits = [r["holds"][int(np.argmax(np.array(r["composer"][:depth]) + weight * np.array(r["logits"][:depth])))] for r in rows]
    return float(np.mean(hits))


def main(argv: list[str] | None = None) -> int:
    """Read every held-out question, report the weights' top-1 and write the hybrid's threshold into the manifest."""
    p = argparse.ArgumentParser(prog="python -m training.blend", description=__doc__.splitlines()[0])
    p.add_argument("--heldout", type=Path, default=Path("artifacts/train/heldout"))
    p.add_argument("--index", type=Path, default=Path("artifacts/train/heldout-idx"))
    p.add_argument("--model", type=Path, default=Path("models/answer-scorer"))
    args = p.parse_args(argv)
    settings = Settings(docs_dir=args.heldout / "docs", index_dir=args.index, progress=False)
    engine = Engine(settings)
    if engine.is_stale():
        engine.build()
    scorer = AnswerScorer(args.model, threads=settings.threads)
    gold = [json.loads(line) for line in (args.heldout / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    started, rows, y = time.perf_counter(), [], []
    for n, question in enumerate(gold, 1):
        row = read_question(engine, scorer, question)
        rows.append(row)
        y.append(bool(question["answerable"]))
        if n % 250 == 0:
            print(f"{n}/{len(gold)} questions, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    answerable = [r for r, a in zip(rows, y) if a and r is not None]
    sweep = {f"{depth} candidates, weight {w}": round(top1(answerable, w, depth), 4) for depth in DEPTHS for w in HYBRID_WEIGHTS}
    labels = np.array(y)
    conf = np.array([0.0 if r is None else r["conf"] for r in rows])
    model = np.array([0.0 if r is None else r["answerable_p"] for r in rows])
    abstained = {name: round(float((p[~labels] < calibrate(p, labels)).mean()), 4)
                 for name, p in (("composer", conf), ("model", model), ("mean", (conf + model) / 2))}
    figures = {"questions": len(gold), "answerable": int(labels.sum()), "weight": HYBRID_WEIGHT,
               "candidates": HYBRID_CANDIDATES, "top1": sweep,
               "unanswerable_abstained_at_5pct_false": abstained, "target_false_abstention": MAX_FALSE_ABSTENTION}
    path = args.model / MANIFEST
    manifest = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if k != "hybrid_threshold"}
    manifest["hybrid"] = figures
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
