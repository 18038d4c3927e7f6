"""Uploading and deleting documents through the real app: stored safely, indexed at once, gone when deleted."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serverkit import hold, private_engine, wait_ready

from rag.engine import Engine
from rag.search import store
from rag.search.embedder import Embedder
from server.app import create_app
from server.uploads import safe_name
from tests.docxmake import handbook_docx

pytestmark = pytest.mark.slow
LIGHTHOUSE = (
    "Harbour notes\n\n"
    "The Zorblatt lighthouse was built in 1887 by the engineer Maria Okonkwo on the northern cliffs of Vessel Bay. "
    "Its lamp could be seen from forty kilometres away on a clear night.\n"
)


def _upload(client: TestClient, name: str, data: bytes, **headers: str) -> tuple[int, dict[str, object]]:
    response = client.post("/api/documents", files={"file": (name, io.BytesIO(data), "text/plain")}, headers=headers)
    return response.status_code, response.json()


def test_upload_then_ask_about_the_new_document(writer: TestClient, own_engine: Engine) -> None:
    status, body = _upload(writer, "harbour notes.txt", LIGHTHOUSE.encode())
    assert status == 201, body
    doc_id = body["document"]["doc_id"]  # type: ignore[index]
    assert doc_id == "harbour notes.txt"
    assert (own_engine.settings.docs_dir / doc_id).read_bytes() == LIGHTHOUSE.encode()
    assert doc_id in [d["doc_id"] for d in writer.get("/api/documents").json()]
    answer = writer.post("/api/ask", json={"question": "Who built the Zorblatt lighthouse?"}).json()
    assert answer["abstained"] is False, answer
    assert "Maria Okonkwo" in answer["answer"]
    assert any(c["doc_id"] == doc_id for c in answer["citations"])
    assert writer.get(f"/api/documents/{doc_id}").json()["text"] == LIGHTHOUSE


def test_upload_a_word_file_then_ask_about_it(writer: TestClient, own_engine: Engine) -> None:
    status, body = _upload(writer, "Staff handbook.docx", handbook_docx())
    assert status == 201, body
    assert body["document"]["title"] == "Staff Handbook"  # type: ignore[index]
    answer = writer.post("/api/ask", json={"question": "Within how many days must expenses be claimed?"}).json()
    assert answer["abstained"] is False, answer
    assert answer["citations"][0]["quote"] == "1. Claim expenses within 30 days."
    assert answer["citations"][0]["doc_id"] == "Staff handbook.docx"


def test_delete_then_the_document_is_gone(writer: TestClient, own_engine: Engine) -> None:
    status, body = _upload(writer, "ferry.md", b"# Ferry timetable\n\nThe Quillon ferry leaves Portmere at 07:15 every weekday morning.\n")
    assert status == 201, body
    assert writer.post("/api/ask", json={"question": "When does the Quillon ferry leave Portmere?"}).json()["abstained"] is False
    response = writer.delete("/api/documents/ferry.md")
    assert response.status_code == 200, response.text
    assert response.json()["deleted"] == "ferry.md"
    assert not (own_engine.settings.docs_dir / "ferry.md").exists()
    assert "ferry.md" not in [d["doc_id"] for d in writer.get("/api/documents").json()]
    assert writer.get("/api/documents/ferry.md").status_code == 404
    assert writer.get("/documents/ferry.md").status_code == 404
    after = writer.post("/api/ask", json={"question": "When does the Quillon ferry leave Portmere?"}).json()
    assert all(p["doc_id"] != "ferry.md" for p in after["passages"])
    assert writer.delete("/api/documents/ferry.md").status_code == 404


def test_upload_never_overwrites_and_never_leaves_the_folder(writer: TestClient, own_engine: Engine) -> None:
    docs = own_engine.settings.docs_dir
    status, body = _upload(writer, "../../escape.txt", b"The Brindlewick orchard grows seventeen kinds of pear.\n")
    assert status == 201, body
    assert body["document"]["doc_id"] == "escape.txt"  # type: ignore[index]
    assert not (docs.parent / "escape.txt").exists() and not (docs.parent.parent / "escape.txt").exists()
    status, body = _upload(writer, "escape.txt", b"The Brindlewick orchard also grows four kinds of plum.\n")
    assert status == 201, body
    assert body["document"]["doc_id"] == "escape-2.txt"  # type: ignore[index]
    assert (docs / "escape.txt").read_bytes().startswith(b"The Brindlewick orchard grows")


def test_uploading_a_file_the_index_holds_adds_no_copy(writer: TestClient, own_engine: Engine) -> None:
    data = b"The Ossory ferry carries forty cars on each crossing.\n"
    assert _upload(writer, "ossory.txt", data)[0] == 201
    status, body = _upload(writer, "ossory.txt", data)
    assert status == 200, body
    assert body["existing"] is True and body["document"]["doc_id"] == "ossory.txt"  # type: ignore[index]
    assert not (own_engine.settings.docs_dir / "ossory-2.txt").exists()
    assert writer.get("/api/documents/ossory.txt").status_code == 200  # links to it still open
    status, body = _upload(writer, "renamed copy.txt", data)
    assert status == 200 and body["document"]["doc_id"] == "ossory.txt", body  # type: ignore[index]


@pytest.mark.parametrize(("name", "data", "status"), [
    ("tool.exe", b"MZ\x90\x00", 415),
    ("notes", b"plain words", 415),
    (".env", b"SECRET=1", 415),
    ("empty.txt", b"", 422),
    ("blank.txt", b"   \n\n\t ", 422),
    ("binary.txt", b"\x00\x01\x02\x03" * 100, 422),
    ("renamed.docx", b"plain words saved as a Word file", 422),
])
def test_upload_refuses_what_cannot_be_indexed(writer: TestClient, own_engine: Engine, name: str, data: bytes, status: int) -> None:
    before = sorted(p.name for p in own_engine.settings.docs_dir.iterdir())
    code, body = _upload(writer, name, data)
    assert code == status, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert sorted(p.name for p in own_engine.settings.docs_dir.iterdir()) == before  # nothing left behind


def test_upload_over_the_size_limit_gets_413(own_engine: Engine) -> None:
    settings = replace(own_engine.settings, max_upload_bytes=1000)
    with TestClient(create_app(settings, own_engine)) as c:
        wait_ready(c)
        code, body = _upload(c, "big.txt", b"word " * 400)  # 2,000 bytes: over the limit, under the multipart allowance
        assert code == 413, body
        code, body = _upload(c, "huge.txt", b"word " * 40_000)  # far over: refused before the body is read
        assert code == 413, body
    assert not (own_engine.settings.docs_dir / "big.txt").exists()


def test_uploads_and_deletes_need_the_token_when_one_is_set(own_engine: Engine) -> None:
    settings = replace(own_engine.settings, api_token="s3cret-token")
    data = b"The Ostrava bell tower has forty-two bells.\n"
    with TestClient(create_app(settings, own_engine)) as c:
        wait_ready(c)
        assert c.get("/healthz").json()["uploads_need_token"] is True
        assert _upload(c, "bells.txt", data)[0] == 401
        assert _upload(c, "bells.txt", data, authorization="Bearer wrong")[0] == 401
        assert _upload(c, "bells.txt", data, authorization="s3cret-token")[0] == 401
        assert not (settings.docs_dir / "bells.txt").exists()
        code, body = _upload(c, "bells.txt", data, authorization="Bearer s3cret-token")
        assert code == 201, body
        assert c.delete("/api/documents/bells.txt").status_code == 401
        assert c.delete("/api/documents/bells.txt", headers={"authorization": "Bearer nope"}).status_code == 401
        assert (settings.docs_dir / "bells.txt").exists()
        assert c.delete("/api/documents/bells.txt", headers={"authorization": "Bearer s3cret-token"}).status_code == 200
        assert c.post("/api/ask", json={"question": "How many bells are in the Ostrava tower?"}).status_code == 200  # asking stays open


def test_delete_of_a_file_already_removed_by_hand_drops_it_from_the_index(writer: TestClient, own_engine: Engine) -> None:
    status, _ = _upload(writer, "ghost.txt", b"The Velmora canal freezes every January.\n")
    assert status == 201
    Path(own_engine.settings.docs_dir / "ghost.txt").unlink()
    assert writer.delete("/api/documents/ghost.txt").status_code == 200
    assert "ghost.txt" not in [d["doc_id"] for d in writer.get("/api/documents").json()]


@pytest.mark.parametrize(("given", "stored"), [
    ("report.TXT", "report.txt"),
    ("../../etc/passwd.md", "passwd.md"),
    ("C:\\Users\\me\\notes.md", "notes.md"),
    ("..\\..\\x.html", "x.html"),
    ("<img src=x onerror=alert(1)>.txt", "img src-x onerror-alert-1.txt"),
    (".hidden.txt", "hidden.txt"),
    ("Ünïcode näme.pdf", "Ünïcode näme.pdf"),
])
def test_safe_name_keeps_uploads_inside_and_visible(given: str, stored: str) -> None:
    assert safe_name(given) == stored


def test_readers_keep_the_previous_index_while_an_upload_is_indexed(own_engine: Engine) -> None:
    engine = Engine(own_engine.settings, own_engine.embedder)
    data = b"The Tamsin observatory opens its dome at dusk every clear evening.\n"
    with TestClient(create_app(own_engine.settings, engine)) as c:
        wait_ready(c)
        before = c.get("/healthz").json()["generation"]
        gate = hold(engine, "build")  # after start-up, which may build too
        results: list[int] = []
        upload = threading.Thread(target=lambda: results.append(_upload(c, "tamsin.txt", data)[0]))
        upload.start()
        try:
            assert gate.entered.wait(30)
            # The build is under way: questions and listings are served at once, from the previous generation.
            assert c.post("/api/ask", json={"question": "Who is Keith Kellogg?"}).status_code == 200
            assert "tamsin.txt" not in [d["doc_id"] for d in c.get("/api/documents").json()]
            assert c.get("/healthz").json()["generation"] == before
        finally:
            gate.release.set()
            upload.join(60)
        assert results == [201]
        assert c.get("/healthz").json()["generation"] != before
        assert "tamsin.txt" in [d["doc_id"] for d in c.get("/api/documents").json()]
        answer = c.post("/api/ask", json={"question": "When does the Tamsin observatory open its dome?"}).json()
        assert answer["passages"][0]["doc_id"] == "tamsin.txt", answer  # searched in the new generation


def test_an_unwritable_documents_folder_gives_a_clear_error(own_engine: Engine, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the documents folder should be", encoding="utf-8")
    settings = replace(own_engine.settings, docs_dir=blocked)
    with TestClient(create_app(settings, own_engine)) as c:
        wait_ready(c)
        code, body = _upload(c, "notes.txt", b"Some words.\n")
    assert code == 500
    assert "can't write to the documents folder" in str(body["detail"])
    assert str(tmp_path) not in str(body)


def test_an_index_built_outside_the_server_is_picked_up(tmp_path: Path, embedder: Embedder) -> None:
    engine = private_engine(tmp_path, embedder)
    with TestClient(create_app(engine.settings, engine, follow_s=0.1)) as c:
        wait_ready(c)
        (engine.settings.docs_dir / "kiln.txt").write_text("The Arden kiln fires pottery twice a week.\n", encoding="utf-8")
        Engine(engine.settings, embedder).build()  # as `rag index` in another terminal would
        deadline = time.monotonic() + 30
        while "kiln.txt" not in [d["doc_id"] for d in c.get("/api/documents").json()] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "kiln.txt" in [d["doc_id"] for d in c.get("/api/documents").json()]


@pytest.mark.local_store  # damages a local generation's file
def test_a_damaged_index_built_outside_is_tried_once_not_every_few_seconds(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = private_engine(tmp_path, embedder)
    with TestClient(create_app(engine.settings, engine, follow_s=0.05)) as c:
        wait_ready(c)
        served = engine.index.generation
        with c.app.state.rag.build_lock:  # the server doesn't look until the damaged build is in place
            (engine.settings.docs_dir / "kiln.txt").write_text("The Arden kiln fires pottery twice a week.\n", encoding="utf-8")
            fresh = Engine(engine.settings, embedder).build().generation  # as `rag index` in another terminal would
            (engine.settings.index_dir / fresh / store.DENSE).write_bytes(b"damaged")
            reloads: list[str] = []
            real_reload = engine.reload
            monkeypatch.setattr(engine, "reload", lambda: reloads.append(fresh) or real_reload())
        time.sleep(1.0)  # about twenty looks at the index folder
        assert reloads == [fresh]
        assert engine.index.generation == served
