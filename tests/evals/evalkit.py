"""Helpers of the harness tests: running `rag eval` in this process and reading what it wrote."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals import harness
from rag.search.embedder import Embedder
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "evals" / "gold.jsonl"


@dataclass(frozen=True)
class EvalRun:
    """What one harness run returned, printed and wrote."""

    status: int
    stdout: str
    stderr: str
    out: Path

    @property
    def report(self) -> dict[str, Any]:
        """The parsed report.json."""
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))


def run_harness(argv: Sequence[str], settings: Settings, embedder: Embedder | None = None) -> EvalRun:
    """Run `rag eval` in this process with the given flags, capturing its output."""
    parser = argparse.ArgumentParser()
    harness.add_arguments(parser)
    args = parser.parse_args(list(argv))
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = harness.main(args, settings, embedder)
    return EvalRun(status, stdout.getvalue(), stderr.getvalue(), args.out)
