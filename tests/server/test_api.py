"""The JSON API through the real app, the real model and a real index of the seed (read-only here)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serverkit import hold, wait_ready

from rag.engine import Engine
from rag.search.embedder import Embedder
from server.app import create_app
from tests.seed import copy_seed
from tests.stores import suite_settings

pytestmark = pytest.mark.slow
SEED_ID = "us-russia-ukraine-talks-saudi-arabia-2025-02.txt"
EUROPE = "Kellogg emphasized that European nations would not be part of the negotiations"


def test_ask_answers_with_verbatim_cited_quotes(client: TestClient, seed_engine: Engine) -> None:
    response = client.post("/api/ask", json={"question": "Who is Keith Kellogg?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"question", "answer", "abstained", "citations", "passages", "searched_question", "timings_ms"}
    assert body["abstained"] is False
    assert "Russia-Ukraine envoy" in body["answer"]
    assert body["citations"], body
    text = seed_engine.index.documents[SEED_ID].text
    for c in body["citations"]:
        assert c["doc_id"] == SEED_ID
        assert text[c["start"] : c["end"]] == c["quote"]
        assert f"[{c['n']}]" in body["answer"]
    assert body["timings_ms"]["total"] > 0


def test_ask_follow_up_uses_the_history(client: TestClient) -> None:
    history = [{"role": "user", "content": "Who is Keith Kellogg?"}]
    response = client.post("/api/ask", json={"question": "What did he say about Europe?", "history": history})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "Kellogg" in body["searched_question"]
    assert body["abstained"] is False, body
    assert EUROPE in body["answer"]


def test_ask_abstains_on_unrelated_question(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "What is the best recipe for banana bread?"}).json()
    assert body["abstained"] is True
    assert body["citations"] == []
    assert body["passages"], "an abstention still offers the closest passages"


def test_ask_top_k_limits_the_passages(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Who attends the meeting in Saudi Arabia?", "top_k": 2}).json()
    assert len(body["passages"]) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n\t "}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": None}, "question"),
        ({"question": ["Who is Keith Kellogg?"]}, "question"),
        ({"question": "Who?", "top_k": "five"}, "top_k"),
        ({"question": "Who?", "top_k": 2.5}, "top_k"),
        ({"question": "Who?", "top_k": True}, "top_k"),
        ({"question": "Who?", "top_k": 0}, "top_k"),
        ({"question": "Who?", "top_k": 10_000}, "top_k"),
        ({"question": "Who?", "history": "Who is Keith Kellogg?"}, "history"),
        ({"question": "Who?", "history": [{"role": "wizard", "content": "hi"}]}, "history.0.role"),
        ({"question": "Who?", "history": [{"role": "user"}]}, "history.0.content"),
        ({"question": "Who?", "history": [{"role": "user", "content": 7}]}, "history.0.content"),
        ({"question": "Who?", "history": [["user", "hi"]]}, "history.0"),
        ({"question": "Who?", "history": [{"role": "user", "content": "hi"}] * 51}, "history"),
        ({"question": "Who?", "colour": "blue"}, "colour"),
    ],
)
def test_ask_rejects_bad_input_with_422(client: TestClient, payload: dict[str, Any], field: str) -> None:
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith("invalid request")
    assert field in body["detail"]


@pytest.mark.parametrize("raw", [b'{"question":', b"not json at all", b'{"question": "a"', b"\xff\xfe\x00",
                                 b'{"question": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"],
                         ids=["truncated", "not-json", "unclosed", "not-utf8", "deep-nesting"])
def test_ask_rejects_malformed_json_with_422(client: TestClient, raw: bytes) -> None:
    response = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert "JSON" in response.json()["detail"]


def test_ask_rejects_a_json_array_and_a_wrong_content_type_with_422(client: TestClient) -> None:
    assert client.post("/api/ask", json=["Who is Keith Kellogg?"]).status_code == 422
    assert client.post("/api/ask", content=b"", headers={"content-type": "application/json"}).status_code == 422
    response = client.post("/api/ask", content=b'{"question": "Who?"}', headers={"content-type": "text/plain"})
    assert response.status_code == 422
    assert "application/json" in response.json()["detail"]


def test_ask_rejects_lone_surrogates_with_422(client: TestClient) -> None:
    response = client.post("/api/ask", content=b'{"question": "Who is \\ud800 Kellogg?"}', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "question" in response.json()["detail"]


def test_ask_error_body_does_not_echo_the_input(client: TestClient) -> None:
    secret = "zq-" + "y" * 3000
    response = client.post("/api/ask", json={"question": secret})
    assert response.status_code == 422
    assert "zq-" not in response.text


def test_documents_list_shows_id_title_size_and_chunks(client: TestClient, seed_engine: Engine) -> None:
    docs = client.get("/api/documents").json()
    assert [d["doc_id"] for d in docs] == [SEED_ID]
    doc = docs[0]
    assert doc["size"] == seed_engine.index.documents[SEED_ID].size
    assert doc["chunks"] == seed_engine.index.chunk_count
    # The article's first line is a sentence, not a title, so the title comes from the file name.
    assert doc["title"] == "us russia ukraine talks saudi arabia 2025 02"


def test_document_by_id_returns_its_text(client: TestClient, seed_engine: Engine) -> None:
    body = client.get(f"/api/documents/{SEED_ID}").json()
    assert body["text"] == seed_engine.index.documents[SEED_ID].text
    assert body["sha256"] == seed_engine.index.documents[SEED_ID].sha256


@pytest.mark.parametrize(
    "path",
    [
        "/api/documents/../pyproject.toml",
        "/api/documents/%2e%2e%2fpyproject.toml",
        "/api/documents/%2e%2e/%2e%2e/etc/passwd",
        "/api/documents/..%2f..%2f..%2fetc%2fpasswd",
        "/api/documents/%2fetc%2fpasswd",
        "/api/documents//etc/passwd",
        "/api/documents/C:%5cWindows%5cwin.ini",
        "/api/documents/..%5c..%5cpyproject.toml",
        "/api/documents/%252e%252e%252fpyproject.toml",
        "/documents/../../pyproject.toml",
        "/documents/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/documents//etc/passwd",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static//etc/passwd",
    ],
)
def test_traversal_attempts_get_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert "root:" not in response.text and "[project]" not in response.text


def test_delete_with_traversal_id_gets_404(client: TestClient) -> None:
    for path in ("/api/documents/%2e%2e%2fpyproject.toml", "/api/documents//etc/passwd", "/api/documents/..%2fseeds"):
        assert client.delete(path).status_code == 404


def test_healthz_reports_what_is_served(client: TestClient, seed_engine: Engine) -> None:
    body = client.get("/healthz").json()
    assert body["ready"] is True and body["status"] == "ready"
    assert body["documents"] == 1
    assert body["chunks"] == seed_engine.index.chunk_count
    assert body["model"] == seed_engine.settings.model
    assert body["index_built"]


def test_healthz_answers_while_a_question_is_being_answered(seed_engine: Engine) -> None:
    engine = Engine(seed_engine.settings, seed_engine.embedder)
    gate = hold(engine, "ask")
    with TestClient(create_app(seed_engine.settings, engine)) as c:
        wait_ready(c)
        results: list[int] = []
        worker = threading.Thread(target=lambda: results.append(c.post("/api/ask", json={"question": "Who is Keith Kellogg?"}).status_code))
        worker.start()
        try:
            assert gate.entered.wait(30)
            assert c.get("/healthz").status_code == 200  # the event loop is free while ask() runs in a thread
        finally:
            gate.release.set()
            worker.join(30)
    assert results == [200]


def test_too_many_questions_at_once_get_503_then_the_server_recovers(seed_engine: Engine) -> None:
    from dataclasses import replace

    settings = replace(seed_engine.settings, max_concurrent_asks=2)
    engine = Engine(settings, seed_engine.embedder)
    gate = hold(engine, "ask")
    with TestClient(create_app(settings, engine)) as c:
        wait_ready(c)
        codes: list[int] = []
        workers = [
            threading.Thread(target=lambda: codes.append(c.post("/api/ask", json={"question": "Who is Keith Kellogg?"}).status_code))
            for _ in range(2)
        ]
        for w in workers:
            w.start()
        try:
            deadline = time.monotonic() + 30
            while c.app.state.rag.ask_gate.active < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.01)
            refused = c.post("/api/ask", json={"question": "Who is Keith Kellogg?"})
            assert refused.status_code == 503
            assert refused.headers["retry-after"]
            assert "busy" in refused.json()["detail"]
        finally:
            gate.release.set()
            for w in workers:
                w.join(30)
        assert codes == [200, 200]
        assert c.post("/api/ask", json={"question": "Who is Keith Kellogg?"}).status_code == 200


def test_healthz_says_starting_until_warmed_up(seed_engine: Engine) -> None:
    engine = Engine(seed_engine.settings, seed_engine.embedder)
    gate = hold(engine, "warm_up")
    with TestClient(create_app(seed_engine.settings, engine)) as c:
        try:
            health = c.get("/healthz")
            assert health.status_code == 503
            assert health.json()["status"] == "starting" and health.json()["ready"] is False
            refused = c.post("/api/ask", json={"question": "Who is Keith Kellogg?"})
            assert refused.status_code == 503 and refused.headers["retry-after"]
            assert c.get("/").status_code == 200  # the page loads and waits for readiness itself
        finally:
            gate.release.set()
        wait_ready(c)
        assert c.post("/api/ask", json={"question": "Who is Keith Kellogg?"}).status_code == 200


def test_start_builds_the_index_when_there_is_none(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    copy_seed(docs)
    settings = suite_settings(docs_dir=docs, index_dir=tmp_path / "index")
    with TestClient(create_app(settings, Engine(settings, embedder))) as c:
        wait_ready(c)
        assert c.get("/healthz").json()["documents"] == 1
        assert c.post("/api/ask", json={"question": "Who is Keith Kellogg?"}).json()["abstained"] is False


def test_an_empty_question_is_refused_in_plain_words(client: TestClient) -> None:
    for question in ("   ", ""):  # one message for both, not pydantic's "at least 1 character" for the second
        body = client.post("/api/ask", json={"question": question}).json()
        assert body["detail"] == "invalid request: question: the question is empty"
