"""Embedding backends side by side: speed on this CPU and answer quality on the SQuAD development set, one run."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.bench_common import median, percentile
from rag.embedder import Embedder
from rag.settings import BACKENDS, Settings


def speed(embedder: Embedder, questions: list[str], passages: list[str], repeats: int) -> dict[str, Any]:
    """One-question encode p50/p95 and batch encode throughput (texts/s, median of `repeats`)."""
    embedder.encode_one("warm up")
    one = []
    for _ in range(repeats):
        for q in questions:
            started = time.perf_counter()
            embedder.encode_one(q)
            one.append(time.perf_counter() - started)
    batch = []
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.encode(passages)
        batch.append(time.perf_counter() - started)
    return {
        "question_p50_ms": median(one) * 1000,
        "question_p95_ms": percentile(one, 95) * 1000,
        "batch_texts_per_s": len(passages) / median(batch),
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


def run(
    settings: Settings,
    dataset: Path | None,
    questions: list[str],
    passages: list[str],
    repeats: int,
    cache_dir: Path | None = None,
    backends: tuple[str, ...] = BACKENDS,
) -> list[dict[str, Any]]:
    """Speed of every backend (interleaved rounds), then quality when the dataset is present."""
    embedders = {b: Embedder(settings.model, b, settings.batch_size, settings.threads, cache_dir) for b in backends}
    rows: dict[str, dict[str, Any]] = {b: {"backend": b} for b in backends}
    loads = {b: time_load(e) for b, e in embedders.items()}
    rounds: dict[str, list[dict[str, Any]]] = {b: [] for b in backends}
    for _ in range(repeats):  # round-robin so drift in the machine's load hits every backend alike
        for b, e in embedders.items():
            rounds[b].append(speed(e, questions, passages, 1))
    for b in backends:
        rows[b]["load_s"] = loads[b]
        for key in rounds[b][0]:
            rows[b][key] = median([r[key] for r in rounds[b]])
        if dataset is not None and dataset.exists():
            rows[b].update(quality(embedders[b], settings, dataset))
    base = rows.get("torch")
    for row in rows.values():
        if base:
            row["question_speedup_vs_torch"] = base["question_p50_ms"] / row["question_p50_ms"]
            row["batch_speedup_vs_torch"] = row["batch_texts_per_s"] / base["batch_texts_per_s"]
            if row.get("hit_rate") is not None and base.get("hit_rate") is not None:
                row["hit_rate_points_vs_torch"] = 100 * (row["hit_rate"] - base["hit_rate"])
    return list(rows.values())


def time_load(embedder: Embedder) -> float:
    """Seconds to load (and, the first time, export) the model."""
    started = time.perf_counter()
    _ = embedder.model
    return time.perf_counter() - started
