"""Helpers of the server tests: waiting for readiness, private engines, a real uvicorn server on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.engine import Engine
from rag.search.embedder import Embedder
from rag.settings import Settings
from tests.seed import copy_seed
from tests.stores import suite_settings


def wait_ready(client: TestClient, timeout_s: float = 60.0) -> None:
    """Poll /healthz until the app has warmed up (fails the test on timeout)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.get("/healthz").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"/healthz not ready after {timeout_s} s: {client.get('/healthz').json()}")


def private_engine(root: Path, embedder: Embedder, **overrides: object) -> Engine:
    """An engine over a fresh copy of the seed folder and its own index, for tests that change documents."""
    docs = root / "docs"
    copy_seed(docs)
    settings = replace(suite_settings(docs_dir=docs, index_dir=root / "index"), **overrides)  # type: ignore[arg-type]
    engine = Engine(settings, embedder)
    engine.build()
    return engine


@dataclass(frozen=True)
class Gate:
    """Set when the held method is entered; the method goes on once the test sets `release`."""

    entered: threading.Event
    release: threading.Event


def hold(engine: Engine, method: str, timeout_s: float = 60.0) -> Gate:
    """Make `engine.<method>` wait for the test's signal before it runs, so work in progress can be observed.

    The real method still does the work; only this engine object is changed.
    """
    gate = Gate(threading.Event(), threading.Event())
    real: Callable[..., Any] = getattr(engine, method)

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.entered.set()
        assert gate.release.wait(timeout_s), f"{method} was held for more than {timeout_s} s"
        return real(*args, **kwargs)

    setattr(engine, method, held)
    return gate


@dataclass
class LiveServer:
    """A real uvicorn server on a loopback port, run in a background thread."""

    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_live(app: FastAPI) -> LiveServer:
    """Start uvicorn with `app` and wait until /healthz says ready."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return LiveServer(url, app, server, thread)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.should_exit = True
    raise AssertionError("the live server did not become ready in 60 s")


def stop_live(live: LiveServer) -> None:
    """Ask uvicorn to exit and wait for its thread."""
    live.server.should_exit = True
    live.thread.join(timeout=15)


def serve_built(settings: Settings, embedder: Embedder) -> Iterator[LiveServer]:
    """Build the index of `settings`, serve it live for the duration, then stop (a module fixture's body)."""
    from server.app import create_app

    engine = Engine(settings, embedder)
    engine.build()
    server = start_live(create_app(settings, engine))
    yield server
    stop_live(server)
