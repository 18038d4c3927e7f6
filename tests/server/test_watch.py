"""`rag serve --watch`: a real server over a real folder that the test writes into, as a user's tools would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browserkit import CHROMIUM_ARGS, Watch
from playwright.sync_api import expect, sync_playwright
from serverkit import LiveServer, serve_built

from rag.search.embedder import Embedder
from tests.stores import suite_settings

pytestmark = pytest.mark.slow
WAIT_S = 60.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("watch")
    (root / "docs").mkdir()
    (root / "docs" / "one.md").write_text("# Lighthouse\n\nThe lighthouse keeper rows out every Tuesday.\n", encoding="utf-8")
    yield from serve_built(suite_settings(docs_dir=root / "docs", index_dir=root / "index", watch=True), embedder)


def docs_of(live: LiveServer) -> Path:
    return Path(live.app.state.rag.settings.docs_dir)


def generation(live: LiveServer) -> int:
    return int(httpx.get(f"{live.url}/healthz", timeout=10).json()["generation"].split("-")[-1])


def documents(live: LiveServer) -> dict[str, Any]:
    return {d["doc_id"]: d for d in httpx.get(f"{live.url}/api/documents", timeout=10).json()}


def wait_for(check: Callable[[], bool], what: str) -> float:
    """Seconds until `check` holds (fails the test after WAIT_S)."""
    started = time.monotonic()
    while time.monotonic() - started < WAIT_S:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {WAIT_S} s")


def ask(live: LiveServer, question: str) -> dict[str, Any]:
    reply: dict[str, Any] = httpx.post(f"{live.url}/api/ask", json={"question": question}, timeout=60).json()
    return reply


def test_a_file_dropped_into_the_folder_is_indexed_and_answered(live: LiveServer) -> None:
    (docs_of(live) / "ferry.md").write_text("# Ferry\n\nThe island ferry leaves the harbour at 7:15 each morning.\n",
                                            encoding="utf-8")
    wait_for(lambda: "ferry.md" in documents(live), "ferry.md indexed")
    reply = ask(live, "When does the island ferry leave the harbour?")
    assert not reply["abstained"] and reply["citations"][0]["doc_id"] == "ferry.md" and "7:15" in reply["answer"]


def test_a_changed_file_is_indexed_again_and_a_deleted_one_leaves_the_index(live: LiveServer) -> None:
    path = docs_of(live) / "notice.md"
    path.write_text("# Notice\n\nThe library opens at nine.\n", encoding="utf-8")
    wait_for(lambda: "notice.md" in documents(live), "notice.md indexed")
    path.write_text("# Notice\n\nThe library opens at ten since the renovation.\n", encoding="utf-8")
    wait_for(lambda: "renovation" in ask(live, "When does the library open?")["answer"], "the changed text answered")
    path.unlink()
    wait_for(lambda: "notice.md" not in documents(live), "notice.md gone from the index")
    assert "notice.md" not in {c["doc_id"] for c in ask(live, "When does the library open?")["citations"]}


def test_a_burst_of_500_files_is_one_rebuild(live: LiveServer) -> None:
    before = generation(live)
    burst = docs_of(live) / "burst"
    burst.mkdir()
    for i in range(500):
        (burst / f"note-{i:03d}.txt").write_text(f"Note {i} records parcel number {1000 + i} at depot {i % 7}.\n",
                                                  encoding="utf-8")
    wait_for(lambda: sum(1 for d in documents(live) if d.startswith("burst/")) == 500, "all 500 files indexed")
    assert generation(live) == before + 1


def test_a_file_still_being_written_is_indexed_once_complete(live: LiveServer) -> None:
    before = generation(live)
    path = docs_of(live) / "minutes.md"
    parts = ["# Minutes\n\n", "The committee approved the new budget.\n", "The treasurer resigned in March.\n",
             "The next meeting is on the fourth of June.\n"]
    with path.open("w", encoding="utf-8") as out:
        for part in parts:  # a slow writer: a part every 0.4 s, less than the settle time apart
            out.write(part)
            out.flush()
            time.sleep(0.4)
    wait_for(lambda: "minutes.md" in documents(live), "minutes.md indexed")
    reply = ask(live, "When is the next committee meeting?")
    assert "fourth of June" in reply["answer"]
    assert generation(live) == before + 1  # not a build of the half-written file and another of the whole


def test_hidden_and_temporary_files_do_not_trigger_a_build(live: LiveServer) -> None:
    before = generation(live)
    (docs_of(live) / ".upload-abc.part").write_bytes(b"half an upload")
    (docs_of(live) / "draft.md~").write_text("an editor's backup", encoding="utf-8")
    time.sleep(3.0)  # longer than a burst's quiet time and the settle time together
    assert generation(live) == before


@pytest.mark.browser
def test_the_chat_pages_documents_panel_shows_a_file_dropped_into_the_folder(live: LiveServer) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        watch = Watch()
        watch.attach(page)
        page.goto(live.url + "/")
        expect(page.locator("#doc-list")).to_contain_text("one.md", timeout=30_000)
        (docs_of(live) / "tides.md").write_text("# Tides\n\nHigh tide at the pier is at noon on Sundays.\n", encoding="utf-8")
        expect(page.locator("#doc-list")).to_contain_text("tides.md", timeout=30_000)  # no reload: the page follows
        assert watch.problems == [] and watch.dialogs == []
        browser.close()
