"""`rag eval`: put a gold file's questions to the engine, measure the answers, write the reports, gate on figures."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals import report as out
from evals.gold import check_against_documents, load_gold
from evals.metrics import calibrate_threshold
from evals.runner import RETRIEVAL_K, run_local, run_remote
from evals.scoring import at_threshold, judge, summarise
from rag.errors import ConfigError
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.search.embedder import Embedder

GATE_FAILED = 3  # exit status when a --fail-under/--fail-over limit is not met (1 is for errors)
# Metrics where lower is better: they take --fail-over; the rest take --fail-under.
LOWER_IS_BETTER = frozenset({"false_abstention_rate", "answer_words_mean", "answer_words_max", "latency_p50_ms",
                             "latency_p95_ms", "latency_max_ms", "index_build_s"})
METRICS = tuple(key for _, rows in out.SECTIONS for key, _, _ in rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's flags (--docs, --index and --model come from the CLI's common flags)."""
    parser.add_argument("--gold", type=Path, default=Path("evals/gold.jsonl"), help="gold questions, JSON Lines (default: %(default)s)")
    parser.add_argument("--url", help="ask a running server (e.g. http://127.0.0.1:8000) instead of this process")
    parser.add_argument("--out", type=Path, default=Path("evals/out"), help="folder for report.json and report.html (default: %(default)s)")
    parser.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 3 when METRIC is below VALUE (repeatable), e.g. hit_rate=0.9")
    parser.add_argument("--fail-over", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 3 when METRIC is above VALUE (repeatable), e.g. false_abstention_rate=0.1")
    parser.add_argument("--calibrate", action="store_true", help="find the threshold that best meets --target-false-abstention")
    parser.add_argument("--target-false-abstention", type=float, default=0.10, metavar="RATE",
                        help="false-abstention budget for --calibrate (default: %(default)s)")


def parse_gates(specs: list[str], lower_is_better: bool) -> list[tuple[str, float]]:
    """Parse METRIC=VALUE limits, refusing unknown metrics and limits pointing the wrong way.

    >>> parse_gates(["hit_rate=0.9"], lower_is_better=False)
    [('hit_rate', 0.9)]
    """
    flag = "--fail-over" if lower_is_better else "--fail-under"
    gates = []
    for spec in specs:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        if not sep or name not in METRICS:
            raise ConfigError(f"{flag} {spec!r}: expected METRIC=VALUE with METRIC one of: {', '.join(METRICS)}")
        if (name in LOWER_IS_BETTER) != lower_is_better:
            other = "--fail-under" if lower_is_better else "--fail-over"
            raise ConfigError(f"{flag} {name}: {'higher' if lower_is_better else 'lower'} is better for {name}; use {other}")
        try:
            gates.append((name, float(raw)))
        except ValueError as exc:
            raise ConfigError(f"{flag} {spec!r}: {raw!r} is not a number") from exc
    return gates


def check_gates(metrics: dict[str, Any], under: list[tuple[str, float]], over: list[tuple[str, float]]) -> list[str]:
    """One message per limit not met; a metric that couldn't be measured fails its limit.

    >>> check_gates({"hit_rate": 0.8}, [("hit_rate", 0.9)], [])
    ['hit_rate 0.8000 is under the --fail-under limit 0.9']
    """
    failures = []
    for name, limit in under:
        value = metrics.get(name)
        if value is None or value < limit:
            failures.append(f"{name} {_num(value)} is under the --fail-under limit {limit:g}")
    for name, limit in over:
        value = metrics.get(name)
        if value is None or value > limit:
            failures.append(f"{name} {_num(value)} is over the --fail-over limit {limit:g}")
    return failures


def main(args: argparse.Namespace, settings: Settings, embedder: Embedder | None = None) -> int:
    """Run the evaluation; 0 when every limit is met, 3 when one isn't, 1 (via RagError) on errors.

    `embedder` lets a caller that already holds the model (the tests) share it.
    """
    under, over = parse_gates(args.fail_under, False), parse_gates(args.fail_over, True)
    if not 0.0 <= args.target_false_abstention <= 1.0:
        raise ConfigError("--target-false-abstention must be between 0 and 1")
    questions = load_gold(args.gold)
    documents = _documents(settings)
    gold_warnings = check_against_documents(questions, documents, args.gold)
    for warning in gold_warnings:
        print(f"rag eval: warning: {warning}", file=sys.stderr)
    build_s: float | None = None
    if args.url:
        outcomes = run_remote(args.url, questions, progress=settings.progress)
        threshold = None  # the server decided; its own abstained flags are used
    else:
        from rag.engine import Engine

        # Threshold 0 inside: every question gets its answer and confidence, so the curve over thresholds is exact.
        engine = Engine(replace(settings, abstain_threshold=0.0), embedder)
        started = time.perf_counter()
        engine.build()
        build_s = time.perf_counter() - started
        engine.warm_up()
        outcomes = run_local(engine, questions, progress=settings.progress)
        threshold = Engine(settings, embedder, engine.scorer).abstain_threshold  # the settings', else the scorer's own
    from rag.answer.composer import ABSTAIN_TEXT

    verdicts = [judge(o, documents, threshold, ABSTAIN_TEXT) for o in outcomes]
    summary = summarise(verdicts, outcomes, documents, exact_curve=threshold is not None)
    summary["metrics"].update(threshold=threshold, index_build_s=build_s)
    calibration = None
    if args.calibrate:
        best = calibrate_threshold([v.confidence for v in verdicts], [v.answerable for v in verdicts], args.target_false_abstention)
        if best is not None:
            calibration = {"target": args.target_false_abstention, **at_threshold(verdicts, best)}
    report = {
        "gold": str(args.gold), "docs": str(settings.docs_dir), "mode": f"server {args.url}" if args.url else "in-process",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {"model": settings.model, "top_k": settings.top_k, "retrieval_k": RETRIEVAL_K, "fusion": settings.fusion,
                     "abstain_threshold": threshold, "answer_scorer": settings.answer_scorer,
                     "max_answer_words": settings.max_answer_words,
                     "index_dir": None if args.url else str(settings.index_dir)},
        **summary, "calibration": calibration, "questions": [v.to_dict() for v in verdicts],
        "note": (_URL_NOTE if args.url else ""), "gold_warnings": gold_warnings,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out.write_json(report, args.out / "report.json")
    out.write_html(report, args.out / "report.html")
    print(out.terminal_table(report))
    print(f"reports: {args.out / 'report.json'}  {args.out / 'report.html'}")
    failures = check_gates(summary["metrics"], under, over)
    for failure in failures:
        print(f"rag eval: {failure}", file=sys.stderr)
    return GATE_FAILED if failures else 0


_URL_NOTE = ("over HTTP the server's own abstentions are used: answers it abstained on are unknown, so hit rates "
             "below its threshold (curve, calibration) count them as misses")


def _documents(settings: Settings) -> dict[str, str]:
    """The documents' texts by id, read straight from the folder, to check the citations against."""
    from rag.ingest.loaders import load_folder

    loaded = load_folder(settings.docs_dir, settings.max_file_bytes, settings.pdf_timeout_s)
    return {doc.doc_id: doc.text for doc in loaded.documents}


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}"
