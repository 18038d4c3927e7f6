"""Fuzzing the HTTP API from its OpenAPI schema (schemathesis) and by hand-picked hostile shapes (hypothesis)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serverkit import private_engine, wait_ready

from rag.search.embedder import Embedder
from rag.settings import Settings
from server.app import create_app

TOKEN = "fuzz-token-4f1c"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
# What an error body must never show: a traceback, a Python file, or a folder of the machine.
_LEAK = re.compile(r"Traceback|File \"|\.py\b|/tmp/|/root/|/home/|/work/|site-packages")


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[tuple[FastAPI, TestClient, Settings]]:
    """The real app over a private seed index; writes need a token, so fuzzed uploads can't pile up builds."""
    engine = private_engine(tmp_path_factory.mktemp("fuzz"), embedder, api_token=TOKEN)
    app = create_app(engine.settings, engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code in (200, 503)
        wait_ready(client)
        yield app, client, engine.settings


def _clean_error(status: int, body: bytes) -> None:
    assert status < 500 or status == 503, (status, body[:300])
    if status >= 400:
        assert not _LEAK.search(body.decode("utf-8", "replace")), body[:300]


def test_every_operation_of_the_openapi_schema_survives_generated_requests(fuzz_app: tuple[FastAPI, TestClient, Settings]) -> None:
    app, _, _ = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} >= {("POST", "/api/ask"), ("GET", "/api/documents/{doc_id}")}
    for operation in operations:
        seen = _fuzz_operation(operation, {})
        if operation.method.upper() in ("POST", "DELETE") and operation.path.startswith("/api/documents"):
            seen += _fuzz_operation(operation, {"authorization": f"Bearer {TOKEN}"}, examples=20)  # past the token: real writes
        assert seen, operation.path
        print(operation.method.upper(), operation.path, Counter(seen))


def _fuzz_operation(operation: schemathesis.APIOperation, headers: dict[str, str], examples: int = 60) -> list[int]:
    """Run generated requests against one operation with every schemathesis check (the response's status, body and
    content type as /openapi.json declares them; schema-valid data accepted, invalid data refused; schemathesis.toml
    has the one exception); the status codes seen."""
    seen: list[int] = []

    @settings(FUZZ, max_examples=examples)
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers)
        seen.append(response.status_code)
        _clean_error(response.status_code, response.content)

    run()
    return seen


@FUZZ
@given(question=st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), min_size=0, max_size=300))
def test_any_question_text_gets_an_answer_or_a_clean_4xx(fuzz_app: tuple[FastAPI, TestClient, Settings], question: str) -> None:
    _, client, _ = fuzz_app
    body = json.dumps({"question": question})  # lone surrogates travel as \\udXXX escapes, NUL as \\u0000
    response = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    _clean_error(response.status_code, response.content)
    if response.status_code == 200:
        data = response.json()
        assert data["question"].strip() and all(c["quote"] for c in data["citations"])


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@FUZZ
@given(payload=_JSON, content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                                    "multipart/form-data", "application/xml", "", "application/json; charset=latin-1"]))
def test_arbitrary_json_and_content_types_never_give_500(fuzz_app: tuple[FastAPI, TestClient, Settings], payload: object,
                                                         content_type: str) -> None:
    _, client, _ = fuzz_app
    response = client.post("/api/ask", content=json.dumps(payload), headers={"content-type": content_type})
    _clean_error(response.status_code, response.content)
    assert response.status_code in (200, 400, 415, 422), response.status_code


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes_as_a_body_never_give_500(fuzz_app: tuple[FastAPI, TestClient, Settings], raw: bytes) -> None:
    _, client, _ = fuzz_app
    response = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    _clean_error(response.status_code, response.content)


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_deeply_nested_json_is_refused_cleanly(fuzz_app: tuple[FastAPI, TestClient, Settings], depth: int) -> None:
    _, client, _ = fuzz_app
    for nested in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        body = '{"question": "Who met in Riyadh?", "history": ' + nested + "}"
        response = client.post("/api/ask", content=body.encode(), headers={"content-type": "application/json"})
        _clean_error(response.status_code, response.content)
        assert response.status_code in (413, 422), response.status_code


def test_a_declared_huge_body_is_refused_with_413_before_it_is_read(fuzz_app: tuple[FastAPI, TestClient, Settings]) -> None:
    # The in-process client sends whole bodies; the chunked, never-ending body is in test_http_live.py (real sockets).
    _, client, _ = fuzz_app
    for path in ("/api/ask", "/api/documents"):
        response = client.post(path, content=b"{}", headers={"content-type": "application/json", "content-length": str(10**12)})
        assert response.status_code == 413, (path, response.status_code)
        _clean_error(response.status_code, response.content)


TRAVERSALS = ["../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "..\\..\\windows\\win.ini",
              "seeds/../../pyproject.toml", "%252e%252e%252fetc%252fpasswd", "....//....//etc/passwd", ".env", "a/%00/b",
              "..%c0%af..%c0%afetc/passwd", "%2F%2Fetc%2Fpasswd"]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_path_traversal_in_every_route_naming_a_document_gets_404(fuzz_app: tuple[FastAPI, TestClient, Settings], target: str) -> None:
    _, raw, _ = fuzz_app
    auth = {"authorization": f"Bearer {TOKEN}"}
    for method, prefix in (("GET", "/api/documents/"), ("GET", "/documents/"), ("DELETE", "/api/documents/")):
        response = raw.request(method, prefix + target, headers=auth)
        assert response.status_code == 404, (method, prefix + target, response.status_code)
        assert "root:" not in response.text and "[project]" not in response.text
        _clean_error(response.status_code, response.content)


def test_error_bodies_never_show_paths_or_tracebacks(fuzz_app: tuple[FastAPI, TestClient, Settings], tmp_path: Path) -> None:
    _, client, cfg = fuzz_app
    probes = [
        client.get("/api/documents/nope.txt"),
        client.post("/api/ask", content=b"{", headers={"content-type": "application/json"}),
        client.post("/api/ask", json={"question": "x" * (cfg.max_question_chars + 1)}),
        client.post("/api/documents", files={"file": ("a.txt", b"hello")}),  # no token
        client.post("/api/documents", files={"file": ("a.exe", b"MZ")}, headers={"authorization": f"Bearer {TOKEN}"}),
        client.delete("/api/documents/missing.txt", headers={"authorization": f"Bearer {TOKEN}"}),
        client.get("/no/such/route"),
    ]
    for response in probes:
        assert 400 <= response.status_code < 500, response.status_code
        _clean_error(response.status_code, response.content)
        assert str(cfg.docs_dir) not in response.text and str(cfg.index_dir) not in response.text


def test_security_headers_and_no_cors_on_every_kind_of_response(fuzz_app: tuple[FastAPI, TestClient, Settings]) -> None:
    _, client, _ = fuzz_app
    evil = {"origin": "https://evil.example", "access-control-request-method": "POST"}
    responses = [
        client.get("/"), client.get("/api/documents"), client.get("/api/documents/nope"), client.get("/documents/../x"),
        client.post("/api/ask", json={"question": "Who met?"}, headers={"origin": "https://evil.example"}),
        client.post("/api/ask", content=b"{", headers={"content-type": "application/json"}),
        client.post("/api/ask", content=b"{}", headers={"content-type": "application/json", "content-length": str(10**9)}),
        client.options("/api/ask", headers=evil), client.get("/api/documents", headers={"origin": "https://evil.example"}),
    ]
    for r in responses:
        csp = r.headers.get("content-security-policy", "")
        script_src = csp.split("script-src", 1)[-1].split(";")[0]
        assert "frame-ancestors 'none'" in csp and "'self'" in script_src and "unsafe-inline" not in script_src, csp
        assert r.headers.get("x-content-type-options") == "nosniff"
        assert not any(h.lower().startswith("access-control-") for h in r.headers), dict(r.headers)
    assert responses[4].status_code == 403  # a write from a foreign page
