"""`rag serve --watch`: files added, changed or deleted in the documents folder are indexed within seconds.

Changes are gathered by `watchfiles` (inotify) into bursts: a copy of 500 files is one rebuild, not 500. Before a
rebuild, the changed files must hold still (same size and time) for `SETTLE_S`, so a file still being written is
indexed once complete. Builds take the server's build lock, so a watch build never runs beside an upload's; and
as uploads and deletes through the API bring the index up to date themselves, their own changes cost no second build.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import anyio
from starlette.concurrency import run_in_threadpool
from watchfiles import Change, awatch

from rag.errors import RagError
from server.state import ServerState

log = logging.getLogger("server.watch")
STEP_MS = 400  # a burst ends after this long without a change
DEBOUNCE_MS = 5_000  # ... or after this long in all, so a steady stream of files still gets indexed
SETTLE_S = 1.0  # a changed file is complete when its size and modification time hold this long
SETTLE_MAX_S = 60.0  # a file written for longer is indexed as it is, and again when it changes


def visible(change: Change, path: str) -> bool:
    """Only what the indexer reads: no hidden files or folders (unfinished uploads, deletes set aside, editors' swap files).

    >>> visible(Change.added, "/docs/a.md"), visible(Change.added, "/docs/.upload-x.part"), visible(Change.added, "/docs/a.md~")
    (True, False, False)
    """
    name = os.path.basename(path)
    return not (name.startswith(".") or name.endswith("~") or "/." in path)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def settle(paths: list[Path], settle_s: float = SETTLE_S, max_s: float = SETTLE_MAX_S) -> None:
    """Wait until none of `paths` changes size or time for `settle_s` (at most `max_s` in all)."""
    deadline = time.monotonic() + max_s
    before = {p: _signature(p) for p in paths}
    while time.monotonic() < deadline:
        time.sleep(settle_s)
        now = {p: _signature(p) for p in paths}
        if now == before:
            return
        before = now


def sync(state: ServerState, changed: list[Path]) -> bool:
    """Bring the index up to date with the folder after a burst of changes; True when it rebuilt."""
    settle([p for p in changed if p.is_file()])
    if not state.ready:
        return False  # warm-up indexes what it finds when it is done
    with state.build_lock:  # after any upload or delete in flight, whose own build may already cover these changes
        try:
            if not state.engine.is_stale():
                return False
            report = state.engine.build()
        except RagError as exc:
            log.warning("watch: the documents folder could not be indexed: %s", exc)
            return False
    log.info("watch: indexed %d documents (%d embedded, %d skipped) into %s", report.documents,
             report.embedded_documents, len(report.skipped), state.engine.index.generation)
    return True


async def watch_folder(state: ServerState, stop: anyio.Event) -> None:
    """Follow the documents folder until `stop` is set."""
    folder = state.settings.docs_dir
    folder.mkdir(parents=True, exist_ok=True)
    log.info("watching %s for added, changed and deleted files", folder)
    async for changes in awatch(folder, watch_filter=visible, step=STEP_MS, debounce=DEBOUNCE_MS, stop_event=stop):
        paths = sorted({Path(p) for _, p in changes})
        log.info("watch: %d change%s (%s%s)", len(changes), "" if len(changes) == 1 else "s",
                 ", ".join(p.name for p in paths[:3]), ", ..." if len(paths) > 3 else "")
        await run_in_threadpool(sync, state, paths)
