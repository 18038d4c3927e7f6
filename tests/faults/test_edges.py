"""The edges where data could be lost: an empty corpus, deletes and uploads as transactions, a full disk, a kill
mid-change, an unauthenticated body, and files that failed to parse (issue: nothing lost at the edges)."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from faultkit import ROOT
from serverkit import start_live, stop_live, wait_ready

from rag.engine import NO_DOCUMENTS_TEXT, Engine
from rag.ingest import loaders
from rag.search.embedder import Embedder
from rag.search.indexer import build_index
from rag.settings import Settings
from server.app import create_app
from tests.seed import copy_seed
from tests.stores import suite_settings

NOTE = "# Kiln rota\n\nThe kiln at Brenzo is fired every Thursday by Ada Quist.\n"


def _settings(root: Path, **overrides: object) -> Settings:
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    return replace(suite_settings(docs_dir=docs, index_dir=root / "index"), **overrides)  # type: ignore[arg-type]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)


@contextlib.contextmanager
def _tmpfs(path: Path, megabytes: int) -> Iterator[Path]:
    """A small real file system at `path` (root only), so a full disk is a real ENOSPC."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"can't mount a tmpfs here ({done.stderr.decode().strip()}): the disk-full cases need root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(folder: Path, leave: int) -> Path:
    """Fill the file system of `folder` until `leave` bytes are free."""
    filler = folder / "filler.bin"
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(filler, "wb") as fh, contextlib.suppress(OSError):
        fh.write(b"\0" * max(free - leave, 0))
    return filler


@pytest.mark.slow
def test_rag_index_on_an_empty_folder_builds_an_empty_index_that_answers_no_documents_yet(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    done = _cli("index", "--docs", str(tmp_path / "docs"), "--index", str(tmp_path / "index"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    asked = _cli("ask", "What is fired on Thursdays?", "--docs", str(tmp_path / "docs"), "--index", str(tmp_path / "index"))
    assert asked.returncode == 0 and NO_DOCUMENTS_TEXT in asked.stdout, (asked.stdout, asked.stderr)


@pytest.mark.slow
def test_the_server_on_an_empty_folder_is_ready_takes_a_first_upload_and_is_empty_again_after_the_last_delete(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = _settings(tmp_path)
    with TestClient(create_app(settings, Engine(settings, embedder))) as c:
        wait_ready(c)
        assert c.get("/healthz").json()["documents"] == 0
        first = c.post("/api/ask", json={"question": "Who fires the kiln?"}).json()
        assert first["abstained"] and first["answer"] == NO_DOCUMENTS_TEXT
        assert c.post("/api/documents", files={"file": ("kiln.md", NOTE.encode())}).status_code == 201
        assert "Ada Quist" in c.post("/api/ask", json={"question": "Who fires the kiln at Brenzo?"}).json()["answer"]
        assert c.delete("/api/documents/kiln.md").status_code == 200
        assert c.get("/api/documents").json() == []
        assert c.post("/api/ask", json={"question": "Who fires the kiln at Brenzo?"}).json()["answer"] == NO_DOCUMENTS_TEXT
    assert list(settings.docs_dir.iterdir()) == []
    with TestClient(create_app(settings, Engine(settings, embedder))) as c:  # and after a restart
        wait_ready(c)
        assert c.get("/api/documents").json() == []


@pytest.mark.slow
def test_a_delete_whose_rebuild_finds_the_disk_full_keeps_the_file_and_the_answers_and_says_507(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = _settings(tmp_path)
    copy_seed(settings.docs_dir)
    (settings.docs_dir / "kiln.md").write_text(NOTE, encoding="utf-8")
    with _tmpfs(settings.index_dir, 8):
        engine = Engine(settings, embedder)
        engine.build()
        with TestClient(create_app(settings, engine)) as c:
            wait_ready(c)
            filler = _fill(settings.index_dir, leave=16 * 1024)
            refused = c.delete("/api/documents/kiln.md")
            assert refused.status_code == 507, refused.text
            assert "disk is full" in refused.json()["detail"] and "MB needed" in refused.json()["detail"]
            assert (settings.docs_dir / "kiln.md").read_text(encoding="utf-8") == NOTE  # the folder and the index agree
            assert "kiln.md" in [d["doc_id"] for d in c.get("/api/documents").json()]
            assert "Ada Quist" in c.post("/api/ask", json={"question": "Who fires the kiln at Brenzo?"}).json()["answer"]
            assert not [p for p in settings.docs_dir.iterdir() if p.name.startswith(".")]
            filler.unlink()
            assert c.delete("/api/documents/kiln.md").status_code == 200  # a retry succeeds once there is room
            assert not (settings.docs_dir / "kiln.md").exists()


@pytest.mark.slow
def test_rag_index_on_a_full_disk_prints_one_line_and_prunes_old_generations_to_make_room(tmp_path: Path, embedder: Embedder) -> None:
    settings = _settings(tmp_path)
    copy_seed(settings.docs_dir)
    with _tmpfs(settings.index_dir, 8):
        build_index(settings, embedder)
        (settings.docs_dir / "kiln.md").write_text(NOTE, encoding="utf-8")
        build_index(settings, embedder)  # two generations now: the current one and the one before
        gen_size = sum(p.stat().st_size for p in (settings.index_dir / "gen-000002").rglob("*") if p.is_file())
        filler = _fill(settings.index_dir, leave=gen_size // 2)  # too little for a third generation beside two
        (settings.docs_dir / "more.md").write_text("The Pexham quarry ships granite.\n", encoding="utf-8")
        pruned = _cli("index", "--docs", str(settings.docs_dir), "--index", str(settings.index_dir))
        assert pruned.returncode == 0, pruned.stderr  # the generation before the current one made room
        assert not (settings.index_dir / "gen-000001").exists()
        filler.unlink()
        filler = _fill(settings.index_dir, leave=8 * 1024)  # now no pruning can help
        (settings.docs_dir / "last.md").write_text("The Yssel bridge was painted in 1901.\n", encoding="utf-8")
        done = _cli("index", "--docs", str(settings.docs_dir), "--index", str(settings.index_dir))
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith("rag: error: the disk is full") and str(settings.index_dir) in lines[-1], lines
        assert "MB needed" in lines[-1]
        assert Engine(settings, embedder).ask("Who fires the kiln at Brenzo?").citations  # the current index still serves
        filler.unlink()
        again = _cli("index", "--docs", str(settings.docs_dir), "--index", str(settings.index_dir))
        assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_start_up_settles_an_interrupted_upload_and_delete_and_indexes_files_left_unindexed(tmp_path: Path, embedder: Embedder) -> None:
    settings = _settings(tmp_path)
    (settings.docs_dir / "kiln.md").write_text(NOTE, encoding="utf-8")
    build_index(settings, embedder)
    os.replace(settings.docs_dir / "kiln.md", settings.docs_dir / ".deleting-kiln.md")  # killed before its rebuild
    (settings.docs_dir / ".upload-x1y2.part").write_bytes(b"half an upl")  # killed while it was written
    (settings.docs_dir / "late.md").write_text("The Tolland orchard was surveyed by Rui Banks.\n", encoding="utf-8")
    with TestClient(create_app(settings, Engine(settings, embedder))) as c:
        wait_ready(c)
        deadline = time.monotonic() + 120  # a bound on waiting, not on speed: the background build is what is awaited
        while "late.md" not in [d["doc_id"] for d in c.get("/api/documents").json()] and time.monotonic() < deadline:
            time.sleep(0.1)
        ids = [d["doc_id"] for d in c.get("/api/documents").json()]
        assert ids == ["kiln.md", "late.md"], ids
        upload = c.post("/api/documents", files={"file": ("tiny.md", b"Tiny note about Yssel.\n")})
        assert upload.status_code == 201 and upload.json()["generation"]
    assert sorted(p.name for p in settings.docs_dir.iterdir()) == ["kiln.md", "late.md", "tiny.md"]


@pytest.mark.slow
def test_with_a_token_an_unauthenticated_upload_is_refused_from_its_headers_before_its_body_is_read(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = _settings(tmp_path, api_token="s3cret-token")
    (settings.docs_dir / "kiln.md").write_text(NOTE, encoding="utf-8")
    live = start_live(create_app(settings, Engine(settings, embedder)))
    try:
        port = int(live.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                         b"Content-Length: 20000000\r\n\r\n")  # not one byte of the 20 MB body is sent
            reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
        assert b"www-authenticate: Bearer" in reply.lower().replace(b"bearer", b"Bearer")
        ok = httpx.post(f"{live.url}/api/documents", files={"file": ("a.md", b"Yssel harbour.\n")},
                        headers={"Authorization": "Bearer s3cret-token"}, timeout=60)
        assert ok.status_code == 201, ok.text
    finally:
        stop_live(live)


def test_a_file_that_failed_to_parse_is_not_parsed_again_until_it_changes(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    (settings.docs_dir / "kiln.md").write_text(NOTE, encoding="utf-8")
    (settings.docs_dir / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip archive at all")
    parsed: list[str] = []
    real = loaders._parse

    def counting(path: Path, *args: object) -> object:
        parsed.append(path.name)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(loaders, "_parse", counting)
    first = build_index(settings, embedder)
    assert [s.path for s in first.skipped] == ["broken.docx"] and parsed.count("broken.docx") == 1
    second = build_index(settings, embedder)
    assert second.up_to_date and second.skipped[0].reason == first.skipped[0].reason
    assert parsed.count("broken.docx") == 1  # remembered by its sha256, not parsed again
    (settings.docs_dir / "broken.docx").write_bytes(b"PK\x03\x04 changed, still not a zip archive")
    build_index(settings, embedder)
    assert parsed.count("broken.docx") == 2  # changed bytes are read afresh


def test_a_word_text_bomb_is_refused_from_its_text_runs_without_a_parse(tmp_path: Path) -> None:
    many = b"".join(b"<w:p><w:r><w:t>Row %d of the ledger.</w:t></w:r></w:p>" % n for n in range(40_000))
    body = b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body>' + many + b"</w:body></w:document>"
    path = tmp_path / "textbomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", body)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    with pytest.raises(loaders.DocumentError, match="too much text"):
        loaders.load_file(path, "textbomb.docx", 1_000_000, pdf_timeout_s=30.0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    assert after - before < 3.0, after - before  # CPU seconds of the child reader: counted, not converted (mammoth took 10+)
