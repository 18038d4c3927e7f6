"""Which index store the suite runs on: `pytest --store milvus` runs the engine, server and fault tests over Milvus
Lite instead of the local FAISS + bm25s store (`make test` runs them on both).

Every test that builds its own Settings takes them from `suite_settings`, so one option switches the whole run.
Tests of things only the local store has (its files on disk: damaged FAISS or SQLite files, kills between its
renames) are marked `local_store` and left out of a Milvus run; tests/search/test_milvus.py covers Milvus's own.
"""

from __future__ import annotations

from typing import Any

from rag.settings import STORES, Settings

STORE = "local"  # set once by tests/conftest.py from --store, before any test is collected


def use(store: str) -> None:
    """Run the suite on `store` (called by pytest_configure)."""
    global STORE
    if store not in STORES:
        raise ValueError(f"--store must be one of {', '.join(STORES)}, not {store!r}")
    STORE = store


def suite_settings(**fields: Any) -> Settings:
    """Settings on the suite's store, progress bars off, with the given fields."""
    return Settings(**{"progress": False, "store": STORE, **fields})
