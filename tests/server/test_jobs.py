"""Background builds: a big upload is accepted at once and indexed by a job the client follows, can be cancelled,
joins the job waiting before it, and is rolled back at shutdown."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serverkit import hold, private_engine, wait_ready

from rag.engine import Engine
from rag.search.embedder import Embedder
from server.app import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def engine(tmp_path: Path, embedder: Embedder) -> Engine:
    """A private seed index whose every upload is indexed in the background (the threshold is one byte)."""
    return private_engine(tmp_path, embedder, background_upload_bytes=1)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine.settings, engine)) as c:
        wait_ready(c)
        yield c


def _upload(client: TestClient, name: str, text: str) -> dict[str, Any]:
    response = client.post("/api/documents", files={"file": (name, text.encode())})
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["document"] is None and body["job"]["files"][-1] == name
    return body["job"]


def _finished(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120  # a bound on waiting for the job, not on its speed
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still unfinished: {job}")


def test_a_big_upload_is_accepted_at_once_and_indexed_by_a_job_the_client_follows(client: TestClient) -> None:
    job = _upload(client, "kiln.md", "# Kiln\n\nThe Brenzo kiln is fired every Thursday by Ada Quist.\n")
    done = _finished(client, job["id"])
    assert done["status"] == "done" and done["message"] == "" and done["total"] > 0 and done["done"] == done["total"]
    assert "kiln.md" in [d["doc_id"] for d in client.get("/api/documents").json()]
    assert "Ada Quist" in client.post("/api/ask", json={"question": "Who fires the Brenzo kiln?"}).json()["answer"]
    assert client.get("/api/jobs/no-such-job").status_code == 404


def test_uploads_sent_while_a_build_runs_join_one_waiting_job(client: TestClient, engine: Engine) -> None:
    gate = hold(engine, "build")
    first = _upload(client, "a.md", "The Yssel bridge was painted in 1901.\n")
    assert gate.entered.wait(30)  # the first job's build has started (and waits for the test)
    second = _upload(client, "b.md", "The Pexham quarry ships granite.\n")
    third = _upload(client, "c.md", "The Tolland orchard grows quinces.\n")
    assert second["id"] == third["id"] != first["id"]  # a burst of files is one more build, not one each
    assert client.get(f"/api/jobs/{third['id']}").json()["files"] == ["b.md", "c.md"]
    gate.release.set()
    assert _finished(client, first["id"])["status"] == "done" and _finished(client, third["id"])["status"] == "done"
    assert {"a.md", "b.md", "c.md"} <= {d["doc_id"] for d in client.get("/api/documents").json()}


def test_cancelling_jobs_removes_their_files_and_leaves_the_index_as_it_was(client: TestClient, engine: Engine) -> None:
    before = client.get("/api/documents").json()
    gate = hold(engine, "build")
    running = _upload(client, "a.md", "The Yssel bridge was painted in 1901.\n")
    assert gate.entered.wait(30)
    waiting = _upload(client, "b.md", "The Pexham quarry ships granite.\n")
    cancelled = client.delete(f"/api/jobs/{waiting['id']}").json()
    assert cancelled["status"] == "cancelled" and not (engine.settings.docs_dir / "b.md").exists()
    assert client.delete(f"/api/jobs/{running['id']}").status_code == 200  # stops at its next batch
    gate.release.set()
    assert _finished(client, running["id"])["status"] == "cancelled"
    assert not (engine.settings.docs_dir / "a.md").exists()
    assert client.get("/api/documents").json() == before


def test_shutdown_cancels_unfinished_jobs_and_removes_their_files(engine: Engine) -> None:
    with TestClient(create_app(engine.settings, engine)) as client:
        wait_ready(client)
        gate = hold(engine, "build")
        _upload(client, "a.md", "The Yssel bridge was painted in 1901.\n")
        assert gate.entered.wait(30)
        _upload(client, "b.md", "The Pexham quarry ships granite.\n")
        threading.Timer(0.5, gate.release.set).start()  # the held build goes on while the server shuts down
    assert not (engine.settings.docs_dir / "a.md").exists() and not (engine.settings.docs_dir / "b.md").exists()
