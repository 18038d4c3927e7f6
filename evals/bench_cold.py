"""Where a cold start's time goes: each import and load step timed in a fresh Python process, in serving order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from evals.bench_common import ROOT, median

# Runs in a child process so nothing is imported yet; each step is timed on its own, in the order `rag serve` needs them.
_SCRIPT = r"""
import json, sys, time
from pathlib import Path
steps = {}
def step(name, fn):
    t = time.perf_counter(); out = fn(); steps[name] = time.perf_counter() - t; return out
step("import web stack (fastapi, uvicorn)", lambda: (__import__("fastapi"), __import__("uvicorn")))
step("import server and rag", lambda: __import__("server.app"))
from rag.engine import Engine
from rag.settings import Settings
settings = Settings(docs_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), backend=sys.argv[3], progress=False)
engine = Engine(settings)
step("load index (faiss, bm25s, store)", lambda: engine.index)
step("load model (" + sys.argv[3] + ")", lambda: engine.embedder.model)
step("first question encode", lambda: engine.embedder.encode_one("warm up"))
if sys.argv[3] != "torch":
    step("for comparison: import torch + sentence_transformers", lambda: __import__("sentence_transformers"))
print(json.dumps(steps))
"""


def breakdown(docs: Path, index: Path, backend: str, repeats: int) -> dict[str, Any]:
    """Median seconds of each cold-start step over `repeats` fresh processes."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(docs), str(index), backend],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"cold-start breakdown failed: {done.stderr.strip()[-300:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {name: median([r[name] for r in runs]) for name in runs[0]}
