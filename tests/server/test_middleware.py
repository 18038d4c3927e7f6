"""The guard in front of the app: security headers, no CORS, same-origin writes, body limits, clean error bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serverkit import wait_ready

from rag.engine import Engine
from rag.errors import IndexCorruptError
from rag.schema import Answer
from server.app import create_app
from server.middleware import JSON_BODY_LIMIT

pytestmark = pytest.mark.slow
EVIL = "http://evil.example"


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/documents", "/static/chat.js", "/docs", "/no/such/page", "/api/documents/nope"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_foreign_origins_get_no_cors_headers(client: TestClient) -> None:
    got = client.get("/api/documents", headers={"origin": EVIL})
    assert got.status_code == 200
    assert not any(h.startswith("access-control-") for h in got.headers)
    preflight = client.options("/api/ask", headers={"origin": EVIL, "access-control-request-method": "POST",
                                                     "access-control-request-headers": "content-type"})
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize("headers", [{"origin": EVIL}, {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
                                     {"origin": "http://127.0.0.1:9"}])
def test_writes_from_another_site_are_refused(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/api/ask", json={"question": "Who is Keith Kellogg?"}, headers=headers)
    assert response.status_code == 403
    assert "cross-origin" in response.json()["detail"]
    assert client.delete("/api/documents/x.txt", headers=headers).status_code == 403


def test_same_origin_browser_requests_are_accepted(client: TestClient) -> None:
    headers = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    assert client.post("/api/ask", json={"question": "Who is Keith Kellogg?"}, headers=headers).status_code == 200


def test_a_body_over_the_limit_gets_413_before_it_is_parsed(client: TestClient) -> None:
    big = b'{"question": "' + b"a" * JSON_BODY_LIMIT + b'"}'
    response = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_a_chunked_body_over_the_limit_gets_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(JSON_BODY_LIMIT // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_a_bad_content_length_gets_400(client: TestClient) -> None:
    response = client.post("/api/ask", content=b'{"question": "x"}', headers={"content-type": "application/json", "content-length": "-5"})
    assert response.status_code == 400


class _FailingEngine(Engine):
    """The real engine whose `ask` fails the way a bug or a damaged index would."""

    def __init__(self, *args: Any, error: Exception, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error = error

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None, top_k: int | None = None) -> Answer:
        raise self.error


def test_an_unexpected_error_gives_500_without_traceback_or_paths(seed_engine: Engine) -> None:
    engine = _FailingEngine(seed_engine.settings, seed_engine.embedder, error=KeyError("/home/someone/secret/notes.txt"))
    with TestClient(create_app(seed_engine.settings, engine), raise_server_exceptions=False) as c:
        wait_ready(c)
        response = c.post("/api/ask", json={"question": "Who is Keith Kellogg?"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; the server log has the details"}


def test_a_library_error_is_mapped_once_and_its_paths_are_hidden(seed_engine: Engine) -> None:
    index_dir = seed_engine.settings.index_dir.resolve()
    error = IndexCorruptError(f"{index_dir}/gen-000001/store.sqlite is damaged; see /etc/rag/help.txt")
    engine = _FailingEngine(seed_engine.settings, seed_engine.embedder, error=error)
    with TestClient(create_app(seed_engine.settings, engine)) as c:
        wait_ready(c)
        response = c.post("/api/ask", json={"question": "Who is Keith Kellogg?"})
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert detail == "<index>/gen-000001/store.sqlite is damaged; see <path>"
    assert not re.search(r"/(tmp|etc|home|work)\b", response.text)


def test_the_api_is_described_by_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/documents", "/api/documents/{doc_id}", "/healthz"} <= set(spec["paths"])
    assert "AskRequest" in spec["components"]["schemas"]
    page = client.get("/docs")
    assert page.status_code == 200 and "/static/apidocs.js" in page.text
    assert "cdn" not in page.text.lower()


def test_options_names_the_methods_of_a_path_and_404s_an_unknown_one(client: TestClient) -> None:
    assert client.options("/api/ask").status_code == 204
    assert client.options("/api/ask").headers["allow"] == "OPTIONS, POST"
    assert client.options("/api/documents/notes.md").headers["allow"] == "DELETE, GET, OPTIONS"
    assert client.options("/no/such/path").status_code == 404
    assert client.get("/no/such/path").status_code == 404  # OPTIONS is no catch-all route that would turn this into 405
