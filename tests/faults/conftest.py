"""Fixtures of the reliability suite: one generated corpus indexed once, copied for each test that damages it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from faultkit import Baseline, answers, make_corpus

from rag.engine import Engine
from rag.search.embedder import Embedder
from rag.search.indexer import build_index
from rag.settings import Settings
from tests.stores import suite_settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))  # serverkit: the server tests' engine, readiness and loopback helpers
CORPUS_DOCS = 150


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/faults is marked `faults`, so the suite can run alone: pytest -m faults."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Baseline:
    """The seed plus generated documents, indexed once per run (a few seconds of embedding)."""
    root = tmp_path_factory.mktemp("faults-baseline")
    docs = make_corpus(root / "docs", CORPUS_DOCS)
    settings = suite_settings(docs_dir=docs, index_dir=root / "index", batch_size=16)
    report = build_index(settings, embedder)
    engine = Engine(settings, embedder)
    return Baseline(settings, answers(engine), report.chunks, report.generation)


@pytest.fixture
def work(baseline: Baseline, tmp_path: Path) -> Settings:
    """A private copy of the baseline's documents and index, free to damage."""
    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(baseline.settings.docs_dir, docs)
    shutil.copytree(baseline.settings.index_dir, index)
    return suite_settings(docs_dir=docs, index_dir=index, batch_size=16)
