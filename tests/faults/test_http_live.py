"""The real server on a loopback port: huge bodies, floods, re-indexing under load, damaged index, foreign model."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from faultkit import QUESTIONS, assert_quotes_exact
from serverkit import private_engine, start_live, stop_live

from rag.engine import Engine
from rag.search import store
from rag.search.embedder import Embedder, resolve_model
from rag.settings import DEFAULT_MODEL
from server.app import create_app

PREFIX = "Revised edition.\n\n"


def test_a_huge_chunked_body_is_refused_with_413_long_before_it_is_sent(tmp_path: Path, embedder: Embedder) -> None:
    engine = private_engine(tmp_path, embedder)
    live = start_live(create_app(engine.settings, engine))
    sent = 0
    try:
        port = int(live.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            sock.sendall(head)
            chunk = b"%x\r\n%s\r\n" % (1 << 20, b"[" * (1 << 20))
            sock.settimeout(0.05)
            reply = b""
            for _ in range(100):  # up to 100 MB
                try:
                    sock.sendall(chunk)
                    sent += 1
                    reply += sock.recv(65536)
                except (TimeoutError, BlockingIOError):
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
                if reply:
                    break
            sock.settimeout(5)
            with contextlib.suppress(TimeoutError, ConnectionResetError):
                reply += sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert sent < 10, f"{sent} MB were sent before the refusal"
        assert httpx.post(f"{live.url}/api/ask", json={"question": QUESTIONS[0]}, timeout=30).status_code == 200
    finally:
        stop_live(live)


@pytest.mark.slow
def test_a_flood_of_questions_gets_429_or_503_and_the_server_recovers(tmp_path: Path, embedder: Embedder) -> None:
    engine = private_engine(tmp_path, embedder, max_concurrent_asks=2)
    live = start_live(create_app(engine.settings, engine))
    try:
        def one(i: int) -> int | str:
            try:
                return httpx.post(f"{live.url}/api/ask", json={"question": QUESTIONS[i % 3]}, timeout=60).status_code
            except httpx.HTTPError as exc:
                return type(exc).__name__

        with ThreadPoolExecutor(max_workers=64) as pool:
            codes = Counter(pool.map(one, range(400)))
        print(f"flood of 400 questions from 64 clients: {dict(codes)}")
        assert set(codes) <= {200, 429, 503}, codes  # no 500, no dropped connection
        assert codes[200] > 0 and codes[429] + codes[503] > 0, codes
        time.sleep(0.5)
        after = [httpx.post(f"{live.url}/api/ask", json={"question": q}, timeout=60) for q in QUESTIONS]
        assert [r.status_code for r in after] == [200, 200, 200]
        assert httpx.get(f"{live.url}/healthz", timeout=10).json()["ready"] is True
    finally:
        stop_live(live)


@pytest.mark.slow
def test_reindex_while_16_http_clients_ask_gives_whole_answers(tmp_path: Path, embedder: Embedder) -> None:
    engine = private_engine(tmp_path, embedder, max_concurrent_asks=32)
    docs = engine.settings.docs_dir
    a = {p.name: p.read_text(encoding="utf-8") for p in docs.iterdir()}
    b = {name: PREFIX + text for name, text in a.items()}
    live = start_live(create_app(engine.settings, engine))
    errors: list[str] = []
    versions: Counter[str] = Counter()
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=live.url, timeout=60) as http:
            i = n
            while not stop.is_set():
                r = http.post("/api/ask", json={"question": QUESTIONS[i % 3]})
                i += 1
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    continue
                from rag.schema import Answer, Citation, Passage

                data = r.json()
                answer = Answer(data["question"], data["answer"], data["abstained"],
                                tuple(Citation(**c) for c in data["citations"]), tuple(Passage(**p) for p in data["passages"]),
                                data["searched_question"], data["confidence"], data["timings_ms"])
                matched = []
                for name, texts in (("A", a), ("B", b)):
                    try:
                        assert_quotes_exact(answer, texts)
                        matched.append(name)
                    except AssertionError:
                        pass
                if not matched:
                    errors.append(f"mixed or wrong answer: {data}")
                else:
                    versions[matched[0]] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    try:
        for round_ in range(3):
            for name, text in (b if round_ % 2 == 0 else a).items():
                (docs / name).write_text(text, encoding="utf-8")
            engine.build()
            time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
        stop_live(live)
    assert not errors, errors[:3]
    assert versions["A"] > 0 and versions["B"] > 0, versions


@pytest.mark.local_store  # damages a local generation's file
def test_a_damaged_index_gives_503_with_the_rebuild_hint_and_no_paths(tmp_path: Path, embedder: Embedder) -> None:
    engine = private_engine(tmp_path, embedder)
    gen = store.current_generation(engine.settings.index_dir)
    (gen / store.DENSE).write_bytes(b"\x00" * 64)
    with TestClient(create_app(engine.settings, Engine(engine.settings, embedder)), raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 60
        while client.get("/healthz").json()["status"] == "starting" and time.monotonic() < deadline:
            time.sleep(0.05)
        health = client.get("/healthz")
        asked = client.post("/api/ask", json={"question": QUESTIONS[0]})
    assert health.status_code == 503 and asked.status_code == 503
    for body in (health.text, asked.text):
        assert "dense.faiss" in body and "rag index" in body, body
        assert str(tmp_path) not in body and "Traceback" not in body, body


def test_an_index_built_with_another_model_is_refused_at_start_with_both_names(tmp_path: Path, embedder: Embedder) -> None:
    engine = private_engine(tmp_path, embedder)
    copy = tmp_path / "same-weights-other-id"
    copy.symlink_to(resolve_model(DEFAULT_MODEL), target_is_directory=True)  # same dimension, same weights, another model id
    other = replace(engine.settings, model=str(copy))
    with pytest.raises(Exception) as caught:
        Engine(other).index  # noqa: B018  (loading is what is refused)
    message = str(caught.value)
    assert DEFAULT_MODEL in message and str(copy) in message and "rag index" in message, message
    with TestClient(create_app(other, Engine(other)), raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 60
        while client.get("/healthz").json()["status"] == "starting" and time.monotonic() < deadline:
            time.sleep(0.05)
        health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "error"
    assert DEFAULT_MODEL in health.text and "same-weights-other-id" in health.text, health.text
