"""Bounded soak of the real server on loopback: wrk drives POST /api/ask for minutes; memory must stay flat, no errors.

Run: `make soak` (or `.venv/bin/python -m evals.soak --minutes 3 --connections 16`). Exit 0 when it held.
It reuses the benchmarks' server start-up, memory sampling and wrk script, so soak and bench measure alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evals.bench_common import ROOT, Client, questions, rss_mb, serve
from evals.bench_http import WRK, parse_wrk, wrk_script
from rag.engine import Engine
from rag.settings import Settings

WARM_UP_S = 20.0  # memory is compared from here on: caches fill during the first seconds of load
SAMPLE_EVERY_S = 5.0


def main() -> int:
    """Build a seed index, serve it, load it with wrk for the given minutes while sampling memory; report and judge."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-growth", type=float, default=0.10, help="allowed RSS growth after warm-up (fraction)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    docs, index = ROOT / "seeds", work / "index"
    Engine(Settings(docs_dir=docs, index_dir=index, progress=False)).build()
    asked = questions(ROOT / "evals" / "gold.jsonl")
    script = work / "ask.lua"
    script.write_text(wrk_script(asked), encoding="utf-8")
    served = serve(docs, index, work / "server.log")
    try:
        seconds = int(args.minutes * 60)
        command = [WRK, "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", str(script),
                   f"{served.url}/api/ask"]
        load = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        while load.poll() is None:
            samples.append((round(time.monotonic() - started, 1), round(rss_mb(served.process.pid)[0], 1)))
            time.sleep(SAMPLE_EVERY_S)
        stats = parse_wrk(load.stdout.read() if load.stdout else "")
        client = Client(served.url)
        try:
            after_ok = bool(client.post("/api/ask", asked[0]).get("answer"))
        except RuntimeError:
            after_ok = False
        finally:
            client.close()
    finally:
        served.stop()
    warm = [m for t, m in samples if t >= WARM_UP_S] or [m for _, m in samples]
    growth = (warm[-1] - warm[0]) / warm[0] if warm else 0.0
    report = {**stats, "connections": args.connections, "seconds": seconds, "rss_first_mb": warm[0] if warm else None,
              "rss_last_mb": warm[-1] if warm else None, "rss_max_mb": max((m for _, m in samples), default=None),
              "rss_growth": round(growth, 4), "answers_after": after_ok, "samples": samples}
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "soak.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}))
    shutil.rmtree(work, ignore_errors=True)
    ok = stats["errors"] == 0 and stats["requests"] > 0 and after_ok and growth <= args.max_growth
    print("soak: " + ("held" if ok else "FAILED") + f" ({stats['errors']} errors, RSS growth {growth:.1%})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
