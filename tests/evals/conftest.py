"""Fixtures for the harness tests: one real `rag eval` run over the seed, shared by the tests that read it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))  # serverkit: the server tests' live-server helpers
sys.path.insert(0, str(Path(__file__).resolve().parent))

from evalkit import GOLD, EvalRun, run_harness

from rag.search.embedder import Embedder
from rag.settings import Settings


@pytest.fixture(scope="session")
def seed_eval(tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings, embedder: Embedder) -> EvalRun:
    """The harness over the seed gold set, once per run: calibrated, one limit met and one impossible limit."""
    out = tmp_path_factory.mktemp("eval-seed")
    argv = ["--gold", str(GOLD), "--out", str(out), "--calibrate", "--fail-under", "citation_verbatim=1.0",
            "--fail-under", "recall_at_10=1.01", "--fail-over", "latency_max_ms=600000"]
    return run_harness(argv, seed_settings, embedder)
