"""Embedding backends side by side: speed on this CPU and answer quality on the SQuAD development set, one run."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.bench_common import median, percentile, timed
from rag.search.embedder import Embedder
from rag.settings import BACKENDS, Settings


def speed(embedder: Embedder, questions: list[str], passages: list[str]) -> dict[str, Any]:
    """One-question encode p50/p95 and batch encode throughput (texts/s), one round."""
    embedder.encode_one("warm up")
    one = [timed(lambda: embedder.encode_one(q)) for q in questions]  # noqa: B023 - called at once
    return {
        "question_p50_ms": median(one) * 1000,
        "question_p95_ms": percentile(one, 95) * 1000,
        "batch_texts_per_s": len(passages) / timed(lambda: embedder.encode(passages)),
    }


def quality(embedder: Embedder, settings: Settings, dataset: Path) -> dict[str, Any]:
    """`rag eval` on the dataset with this embedder: hit rate and false abstention at the configured threshold."""
    from evals import harness

    work = Path(tempfile.mkdtemp(prefix="rag-bench-quality-"))
    try:
        parser = argparse.ArgumentParser()
        harness.add_arguments(parser)
        args = parser.parse_args(["--gold", str(dataset / "questions.jsonl"), "--out", str(work / "out")])
        s = replace(settings, docs_dir=dataset / "docs", index_dir=work / "index", progress=False)
        harness.main(args, s, embedder)
        metrics = json.loads((work / "out" / "report.json").read_text(encoding="utf-8"))["metrics"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    keys = ("hit_rate", "hit_rate_no_abstention", "false_abstention_rate", "latency_p50_ms", "index_build_s")
    return {k: metrics.get(k) for k in keys}


def run(settings: Settings, dataset: Path | None, questions: list[str], passages: list[str], repeats: int) -> list[dict[str, Any]]:
    """Speed of every backend (interleaved rounds), then quality when the dataset is given."""
    embedders = {b: Embedder.from_settings(replace(settings, backend=b)) for b in BACKENDS}
    rows: dict[str, dict[str, Any]] = {b: {"backend": b} for b in BACKENDS}
    loads = {b: timed(lambda: e.model) for b, e in embedders.items()}  # noqa: B023 - called at once; the first time, exports
    rounds: dict[str, list[dict[str, Any]]] = {b: [] for b in BACKENDS}
    for _ in range(repeats):  # round-robin so drift in the machine's load hits every backend alike
        for b, e in embedders.items():
            rounds[b].append(speed(e, questions, passages))
    for b in BACKENDS:
        rows[b]["load_s"] = loads[b]
        for key in rounds[b][0]:
            rows[b][key] = median([r[key] for r in rounds[b]])
        if dataset is not None:
            rows[b].update(quality(embedders[b], settings, dataset))
    base = rows.get("torch")
    for row in rows.values():
        if base:
            row["question_speedup_vs_torch"] = base["question_p50_ms"] / row["question_p50_ms"]
            row["batch_speedup_vs_torch"] = row["batch_texts_per_s"] / base["batch_texts_per_s"]
            if row.get("hit_rate") is not None and base.get("hit_rate") is not None:
                row["hit_rate_points_vs_torch"] = 100 * (row["hit_rate"] - base["hit_rate"])
    return list(rows.values())

