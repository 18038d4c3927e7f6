"""Fixtures for the server tests: the real app over a real index, in process (TestClient)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serverkit import private_engine, wait_ready

from rag.engine import Engine
from rag.search.embedder import Embedder
from server.app import create_app


@pytest.fixture(scope="module")
def client(seed_engine: Engine) -> Iterator[TestClient]:
    """A client of the real app over the shared, read-only seed engine."""
    with TestClient(create_app(seed_engine.settings, seed_engine)) as c:
        wait_ready(c)
        yield c


@pytest.fixture(scope="module")
def own_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    """An engine this module may change (uploads, deletes)."""
    return private_engine(tmp_path_factory.mktemp("server-own"), embedder)


@pytest.fixture(scope="module")
def writer(own_engine: Engine) -> Iterator[TestClient]:
    """A client of an app over `own_engine`: uploads and deletes are allowed."""
    with TestClient(create_app(own_engine.settings, own_engine)) as c:
        wait_ready(c)
        yield c
