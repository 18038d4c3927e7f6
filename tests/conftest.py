"""Fixtures shared by every test: the real model, a real index of the seed, a real engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.search.embedder import Embedder
from rag.settings import STORES, Settings
from tests import stores
from tests.seed import copy_seed

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SQUAD = SHARED / "datasets" / "squad2-complexity"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--store milvus`: run the tests on the Milvus store (tests/stores.py)."""
    parser.addoption("--store", default="local", choices=STORES, help="the index store the tests build and read")


def pytest_configure(config: pytest.Config) -> None:
    stores.use(config.getoption("store"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On another store, leave out the tests of the local store's own files (marked `local_store`)."""
    if stores.STORE == "local":
        return
    left = [i for i in items if i.get_closest_marker("local_store")]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [i for i in items if not i.get_closest_marker("local_store")]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole run."""
    model = Embedder()
    model.encode_one("warm up")
    return model


@pytest.fixture(scope="session")
def seed_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the seed folder (tests may not touch the real one)."""
    target = tmp_path_factory.mktemp("seed") / "docs"
    copy_seed(target)
    return target


@pytest.fixture(scope="session")
def seed_settings(seed_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at the seed copy and a session index folder."""
    return stores.suite_settings(docs_dir=seed_docs, index_dir=tmp_path_factory.mktemp("seed-index"))


@pytest.fixture(scope="session")
def seed_engine(seed_settings: Settings, embedder: Embedder) -> Engine:
    """An engine over a real index of the seed, built once per run. Treat it as read-only."""
    engine = Engine(seed_settings, embedder)
    engine.build()
    return engine


@pytest.fixture
def docs_and_index(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """An empty documents folder and index folder for one test."""
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    yield docs, index


def make_settings(docs: Path, index: Path, **overrides: object) -> Settings:
    """Settings for a test's folder pair, progress bars off."""
    return replace(stores.suite_settings(docs_dir=docs, index_dir=index), **overrides)  # type: ignore[arg-type]
