"""`rag bench`: indexing, question latency, load, scale and cold start, written to evals/BENCHMARKS.md.

Full run (~15 min on 2 cores): `rag bench`; a seconds-long check that every part runs: `rag bench --smoke --out DIR/B.md`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.errors import ConfigError
from rag.settings import Settings

PARTS = ("index", "http", "scale", "backends", "scale-out")
SQUAD = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "squad2-complexity"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's flags (--docs, --index and --model come from the CLI's common flags)."""
    parser.add_argument("--out", type=Path, default=Path("evals/BENCHMARKS.md"), help="report file; JSON beside it (default: %(default)s)")
    parser.add_argument("--smoke", action="store_true", help="smallest sizes and one or two runs each: checks that everything runs")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only these parts (repeatable; default: all)")
    parser.add_argument("--gold", type=Path, default=Path("evals/gold.jsonl"), help="questions for the latency and load runs")
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), help="scale sizes, e.g. 10000,100000")
    parser.add_argument("--embed-up-to", type=int, help="scale-out: embed corpora up to this many chunks, draw vectors above "
                        "(default 10000; 0 measures serving alone at every size, in minutes)")
    parser.add_argument(
        "--dataset", type=Path, default=SQUAD, help="bigger corpus + questions for indexing and backends (default: %(default)s)"
    )
    parser.add_argument(
        "--compare-at", type=int, help="size at which every index kind is built side by side (default 100000; smoke: the size)"
    )
    parser.add_argument("--load-seconds", type=float, help="seconds per load level (default 10, smoke 1)")


def main(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen parts, write the Markdown report and the JSON figures; 0 even when a target is missed."""
    from evals import bench_common, bench_report
    from rag.search.embedder import Embedder

    parts = tuple(args.only or PARTS)
    smoke = bool(args.smoke)
    if not args.only:
        # backends builds the dataset three times and scale-out builds 10^5 chunks thrice: not part of a plain run
        parts = tuple(p for p in parts if p != "scale-out" and not (smoke and p == "backends"))
    settings = replace(settings, progress=False)
    started = time.perf_counter()
    result: dict[str, Any] = {
        "command": " ".join(["rag bench", shlex.join(sys.argv[2:])]).strip() if sys.argv[1:2] == ["bench"] else "rag bench",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": smoke,
        "machine": bench_common.machine(),
        "settings": {k: str(v) for k, v in asdict(settings).items() if k != "api_token"},
    }
    embedder = Embedder.from_settings(settings)
    questions = bench_common.questions(args.gold)
    dataset = args.dataset if args.dataset.exists() else None
    say = _say

    def save() -> None:  # after every part, so a failure late in a long run keeps what was measured
        result["seconds"] = time.perf_counter() - started
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(bench_report.markdown(result), encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")

    if "index" in parts:
        from evals import bench_index

        corpora = (
            {"seed": settings.docs_dir} if smoke or dataset is None else {"seed": settings.docs_dir, "squad2-complexity": dataset / "docs"}
        )
        say("indexing")
        result["indexing"] = bench_index.run(corpora, embedder, settings, 2 if smoke else 5)
        save()
    if "http" in parts:
        result["http"] = _http(args, settings, embedder, questions, smoke)
        save()
    if "scale" in parts:
        from evals import bench_scale

        sizes = args.sizes or ((2_000,) if smoke else (10_000, 100_000, 1_000_000))
        say(f"scale {sizes}")
        result["scale"] = bench_scale.run(sizes, compare_at=args.compare_at or (sizes[0] if smoke else 100_000), log=say)
        save()
    if "backends" in parts:
        from evals import bench_backends

        say("backends")
        texts = [f.read_text(encoding="utf-8") for f in sorted((dataset / "docs").glob("*.txt"))] if dataset else []
        passages = [p for t in texts for p in t.split("\n\n") if p.strip()]
        passages = passages or [q["question"] for q in questions]
        result["backends"] = bench_backends.run(
            settings, None if smoke else dataset, [q["question"] for q in questions][:20], passages, 2 if smoke else 5
        )
    if "scale-out" in parts:
        from evals import bench_scaleout

        sizes = args.sizes or ((500,) if smoke else (10_000, 100_000))
        say(f"scale-out {sizes}")
        embed_up_to = bench_scaleout.EMBED_UP_TO if args.embed_up_to is None else args.embed_up_to
        result["scale_out"] = bench_scaleout.run(sizes, dataset, log=say, embed_up_to=embed_up_to)
    save()
    for target, measured, met in bench_report.targets(result):
        say(f"{'met   ' if met else 'MISSED'} {target}: {measured}")
    say(f"wrote {args.out} and {args.out.with_suffix('.json')} in {result['seconds']:.0f} s")
    return 0


def _http(args: argparse.Namespace, settings: Settings, embedder: Any, questions: list[dict[str, Any]], smoke: bool) -> dict[str, Any]:
    """Build the seed index in a scratch folder, then cold start, latency and load against `rag serve` on it."""
    from evals import bench_http
    from rag.search.indexer import build_index

    if not Path(bench_http.WRK).exists():
        raise ConfigError(f"the load benchmark needs wrk at {bench_http.WRK} (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="rag-bench-serve-"))
    try:
        index = work / "index"
        build_index(replace(settings, index_dir=index), embedder)
        env = {"RAG_BACKEND": settings.backend, "RAG_THREADS": str(settings.threads), "RAG_BATCH_SIZE": str(settings.batch_size)}
        _say("cold start, latency, load")
        return bench_http.run_all(
            settings.docs_dir,
            index,
            questions,
            embedder,
            env,
            cold_repeats=1 if smoke else 5,
            rounds=1 if smoke else 5,
            clients=(1, 4, 16),
            load_s=args.load_seconds or (1.0 if smoke else 10.0),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _say(message: str) -> None:
    print(f"rag bench: {message}", file=sys.stderr, flush=True)
