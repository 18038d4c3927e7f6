"""The server over the Milvus store: answers, uploads indexed into Milvus, and 503 with a clear reason when the
Milvus server can't be reached."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serverkit import wait_ready

from rag.engine import Engine
from rag.search.embedder import Embedder
from rag.settings import Settings
from server.app import create_app
from tests.seed import copy_seed

pytestmark = pytest.mark.slow


def test_the_server_answers_and_indexes_uploads_into_the_milvus_store(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(docs_dir=copy_seed(tmp_path / "docs"), index_dir=tmp_path / "index", progress=False, store="milvus")
    engine = Engine(settings, embedder)
    engine.build()
    with TestClient(create_app(settings, engine)) as client:
        wait_ready(client)
        assert not client.post("/api/ask", json={"question": "Who is Keith Kellogg?"}).json()["abstained"]
        sent = client.post("/api/documents", files={"file": ("harbour.md", b"# Harbour\n\nBrenzo counted 1,888 barrels of tar in 1888.\n")})
        assert sent.status_code == 201, sent.text
        answer = client.post("/api/ask", json={"question": "How many barrels of tar did Brenzo count?"}).json()
        assert not answer["abstained"] and "1,888 barrels" in answer["citations"][0]["quote"]
        assert client.get("/healthz").json()["generation"] == "gen-000002"


def test_an_unreachable_milvus_server_gives_healthz_503_with_the_reason(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(docs_dir=tmp_path, index_dir=tmp_path / "index", progress=False, store="milvus",
                        milvus_uri="http://127.0.0.1:9")
    with TestClient(create_app(settings, Engine(settings, embedder))) as client:
        deadline = time.monotonic() + 60
        body = client.get("/healthz").json()
        while body["status"] == "starting" and time.monotonic() < deadline:
            time.sleep(0.2)
            body = client.get("/healthz").json()
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "error"
        assert "can't be reached" in health.json()["error"]
        asked = client.post("/api/ask", json={"question": "Anyone there?"})
        assert asked.status_code == 503 and "Traceback" not in asked.text
