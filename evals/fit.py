"""Fit the composer's ranking and abstention weights on labelled sets, with grouped cross-validation.

Run: python -m evals.fit DOCS_DIR:GOLD_FILE [DOCS_DIR:GOLD_FILE ...] [--weight N ...]   (`make fit`: the training articles)
It prints cross-validated figures and the constants to paste into rag/answer/composer.py. Folds group questions by
article (else by paragraph, else by question), so no question is judged by weights fitted on its own article.
Both models keep their weights to the direction that makes sense for any corpus (more similarity, more of the
question's names, the right kind of answer: a likelier answer, more confidence), so they can't learn quirks of one
data set such as "copied wording means a trick question".
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from evals.metrics import contains_answer
from rag.answer.composer import ABSTAIN_SIGNS, FEATURES, QUESTION_FEATURES, Candidate, candidates, on_topic, question_features
from rag.answer.conversation import standalone_question
from rag.answer.features import QuestionInfo, question_info
from rag.engine import Engine
from rag.search.index import LoadedIndex
from rag.search.retrieval import retrieve
from rag.settings import Settings

MARGINS = (0.5, 1.0, 2.0, 4.0)


@dataclass
class Row:
    """One question as the composer sees it."""

    group: str
    kind: str
    weight: float
    answerable: bool
    ranked: list[Candidate]
    info: QuestionInfo
    index: LoadedIndex
    labels: np.ndarray  # candidate sentence holds a gold answer
    words: np.ndarray


def collect(set_no: int, docs: Path, gold: Path, weight: float, settings: Settings) -> list[Row]:
    """Run retrieval for every gold question; keep what the composer sees."""
    engine = Engine(replace(settings, docs_dir=docs))
    engine.build()
    index = engine.index
    rows = []
    for line in gold.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        searched = standalone_question(q["question"], q.get("history"))
        qv = engine.embedder.encode_one(searched)
        hits = retrieve(index, qv, searched, settings.top_k, settings.candidates, settings.fusion)
        info = question_info(searched)
        ranked = candidates(index, hits, qv, info)
        if not ranked:
            continue
        texts = [index.sentence_text(c.sentence_id) for c in ranked]
        labels = np.array([contains_answer(t, q["answers"]) for t in texts])
        group = f"{set_no}:{q.get('article', q.get('paragraph', q['id']))}"  # folds never split an article
        kind = q.get("kind") or ("answerable" if q["answerable"] else "unanswerable")
        rows.append(Row(group, kind, weight, bool(q["answerable"]), ranked, info, index, labels, np.array([len(t.split()) for t in texts])))
    return rows


def fit_ranker(rows: list[Row], c: float = 0.1) -> np.ndarray:
    """Weights that rank a sentence holding the answer above those that don't (pairwise logistic regression).

    Every feature is built so that more means a likelier answer, and the weights are kept at zero or above: a
    corpus quirk (Wikipedia's answer sentences repeat fewer of the question's names than the sentence before them)
    can't turn a feature against lists, tables and handbooks.
    """
    from scipy.optimize import minimize

    diffs: list[np.ndarray] = []
    for r in rows:
        if not (r.answerable and r.labels.any() and (~r.labels).any()):
            continue
        feats = np.array([cand.features for cand in r.ranked])
        diffs.extend(p - n for p in feats[r.labels][:3] for n in feats[~r.labels][:15])
    d = np.array(diffs, dtype=np.float64)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        m = d @ w  # each pair both ways, as a logistic regression of (p - n, 1) and (n - p, 0) without intercept
        value = float(2 * np.logaddexp(0, -m).sum() + w @ w / (2 * c))
        grad = -2 * d.T @ (1 / (1 + np.exp(m))) + w / c
        return value, grad

    w = minimize(loss, np.zeros(d.shape[1]), jac=True, bounds=[(0, None)] * d.shape[1], method="L-BFGS-B").x
    return np.asarray(w, dtype=np.float32)


RELEVANCE_FLOOR = Settings().relevance_floor


def fit_abstainer(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 0.01) -> tuple[np.ndarray, float]:
    """Sign-constrained, weighted logistic regression over standardised features; returns raw-unit weights and bias."""
    from scipy.optimize import minimize

    asked = _on_topic(x)  # off-topic questions are abstained on before the model is asked
    x, y, weight = x[asked], y[asked], weight[asked]
    mu, sd = x.mean(0), x.std(0) + 1e-6
    z = (x - mu) / sd
    yf = y.astype(float)

    def loss(p: np.ndarray) -> float:
        logit = z @ p[:-1] + p[-1]
        per = np.logaddexp(0, -logit) * yf + np.logaddexp(0, logit) * (1 - yf)
        return float((per * weight).sum() / weight.sum() + l2 * p[:-1] @ p[:-1])

    bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (0, 0) for s in ABSTAIN_SIGNS] + [(None, None)]
    p = minimize(loss, np.zeros(x.shape[1] + 1), bounds=bounds, method="L-BFGS-B").x
    w = p[:-1] / sd
    return w.astype(np.float32), float(p[-1] - w @ mu)


def _gated(qx: np.ndarray, aw: np.ndarray, ab: float) -> np.ndarray:
    """Model logits, with off-topic questions pushed to the bottom as the composer does."""
    return np.where(_on_topic(qx), qx @ aw + ab, -20.0)


def _on_topic(qx: np.ndarray) -> np.ndarray:
    """Which questions pass the composer's relevance test (`composer.on_topic`), row by row."""
    return np.array([on_topic(row, RELEVANCE_FLOOR) for row in qx], dtype=bool)


def rescored(row: Row, w: np.ndarray) -> list[Candidate]:
    """The row's candidates re-ranked with weights `w`."""
    return sorted((replace(c, score=float(c.features @ w)) for c in row.ranked), key=lambda c: -c.score)


def answer_hits(row: Row, w: np.ndarray) -> tuple[float, list[float]]:
    """Top-1 hit and, per margin in MARGINS, the hit when a close runner-up is quoted too (60 words in all)."""
    scores = np.array([c.features @ w for c in row.ranked])
    order = np.argsort(-scores)
    first = bool(row.labels[order[0]])
    both = []
    for m in MARGINS:
        extra = len(order) > 1 and scores[order[0]] - scores[order[1]] <= m and row.words[order[0]] < 52
        both.append(float(first or (extra and bool(row.labels[order[1]]))))
    return float(first), both


def main() -> None:
    """Fit, cross-validate and print the constants."""
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sets", nargs="+", help="DOCS_DIR:GOLD_FILE; the first set is the one the threshold is set on")
    parser.add_argument("--weight", type=float, action="append", help="sample weight of each set (default 1)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--target-false-abstention", type=float, default=0.10)
    parser.add_argument("--rank-sets", type=int, help="fit the ranking on the first N sets only (default: all); the rest teach abstention")
    args = parser.parse_args()
    weights = (args.weight or []) + [1.0] * len(args.sets)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, spec in enumerate(args.sets):
            docs, gold = spec.rsplit(":", 1)
            rows.extend(collect(n, Path(docs), Path(gold), weights[n], Settings(index_dir=Path(tmp) / str(n), progress=False)))
    y = np.array([r.answerable for r in rows])
    first_set = np.array([r.group.startswith("0:") for r in rows])
    sample_w = np.array([r.weight for r in rows])
    groups = sorted({r.group for r in rows})
    fold_of = {g: i % args.folds for i, g in enumerate(np.random.default_rng(0).permutation(groups))}
    fold = np.array([fold_of[r.group] for r in rows])
    ranks = np.array([args.rank_sets is None or int(r.group.split(":")[0]) < args.rank_sets for r in rows])
    top1, top2, logits = np.zeros(len(rows)), np.zeros((len(rows), len(MARGINS))), np.zeros(len(rows))
    for k in range(args.folds):
        train = fold != k
        w = fit_ranker([r for r, t in zip(rows, train & ranks) if t])
        qx = np.array([question_features(rescored(r, w), r.info, r.index) for r in rows])
        aw, ab = fit_abstainer(qx[train], y[train], sample_w[train])
        logits[~train] = _gated(qx[~train], aw, ab)
        for i in np.flatnonzero(~train):
            top1[i], top2[i] = answer_hits(rows[i], w)
    sel = first_set & y
    print(f"questions {len(rows)} (first set {first_set.sum()}: {sel.sum()} answerable)")
    print(f"cross-validated on the first set: top-1 sentence hit {top1[sel].mean():.3f}")
    for j, m in enumerate(MARGINS):
        print(f"  quoting the runner-up too when within {m}: {top2[sel, j].mean():.3f}")
    for n in range(len(args.sets)):
        sn = np.array([r.group.startswith(f"{n}:") for r in rows]) & y
        with_second = " ".join(f"{top2[sn, j].mean():.3f}" for j in range(len(MARGINS)))
        print(f"  set {n} ({sn.sum()} answerable): top-1 {top1[sn].mean():.3f}, with the runner-up per margin {with_second}")
    print(f"abstention AUC (first set) {roc_auc_score(y[first_set], logits[first_set]):.3f}")
    per_set = [np.array([r.group.startswith(f"{n}:") for r in rows]) for n in range(len(args.sets))]
    print("  per set: " + " ".join(f"{roc_auc_score(y[m], logits[m]):.3f}" if len(set(y[m])) > 1 else "n/a" for m in per_set))
    t = float(np.quantile(logits[sel], args.target_false_abstention))
    print(f"at {args.target_false_abstention:.0%} false abstention: unanswerable abstained {np.mean(logits[first_set & ~y] < t):.3f}")
    # The threshold to ship is the one calibrated on the held-out folds: each question scored by weights fitted
    # without its article, as a user's own documents are.
    print(f"calibrated on the held-out folds: abstain_threshold = {1 / (1 + np.exp(-t)):.3f}")
    w = fit_ranker([r for r, t in zip(rows, ranks) if t])
    qx = np.array([question_features(rescored(r, w), r.info, r.index) for r in rows])
    aw, ab = fit_abstainer(qx, y, sample_w)
    full = _gated(qx, aw, ab)
    threshold = float(np.quantile(full[sel], args.target_false_abstention))
    print(f"fitted on all: abstain_threshold = {1 / (1 + np.exp(-threshold)):.3f}; per set (answered-answerable, abstained-unanswerable):")
    keep = full >= threshold
    for n in range(len(args.sets)):
        in_set = np.array([r.group.startswith(f"{n}:") for r in rows])
        print(f"  set {n}: {np.mean(keep[in_set & y]):.3f} answered, {np.mean(~keep[in_set & ~y]):.3f} abstained")
    print("trade-off (threshold set by the first set's false abstention):")
    kinds = sorted({(r.group.split(":")[0], r.kind) for r in rows})
    for far in (0.02, 0.04, 0.06, 0.08, 0.10):
        t = float(np.quantile(full[sel], far))
        cells = []
        for set_no, kind in kinds:
            of_kind = np.array([r.group.startswith(f"{set_no}:") and r.kind == kind for r in rows])
            share = np.mean(full[of_kind] >= t) if y[of_kind].all() else np.mean(full[of_kind] < t)  # answered, or abstained
            cells.append(f"{set_no}/{kind} {share:.2f}")
        print(f"  false abstention {far:.2f} (p={1 / (1 + np.exp(-t)):.3f}): " + ", ".join(cells))
    for n in range(1, len(args.sets)):
        of_set = np.array([r.group.startswith(f"{n}:") for r in rows])
        floor = float(full[of_set & y].min()) - 1e-6
        print(
            f"  answering every answerable question of set {n} needs threshold <= {1 / (1 + np.exp(-floor)):.3f}: "
            f"first set then abstains on {np.mean(full[first_set & ~y] < floor):.2f} of its unanswerable, "
            f"{np.mean(full[sel] < floor):.2f} of its answerable"
        )
    print("RANK_WEIGHTS =", [round(float(v), 3) for v in w])
    print("ABSTAIN_WEIGHTS =", [round(float(v), 3) for v in aw])
    print("ABSTAIN_BIAS =", round(ab, 3))
    print("features:", FEATURES, QUESTION_FEATURES)


if __name__ == "__main__":
    main()
