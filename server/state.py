"""The server's one piece of state: the settings, the engine, readiness, and the locks around mutation."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from rag.engine import Engine
from rag.errors import IndexMissingError, RagError
from rag.search.index import LoadedIndex
from rag.settings import Settings
from server import uploads
from server.jobs import Jobs

log = logging.getLogger("server")


class BusyError(Exception):
    """Too many requests of one kind are in flight; the client should retry shortly."""


class Gate:
    """A non-blocking counter of requests in flight: over the limit, refuse at once instead of queueing."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of a request, or raise BusyError when all are taken."""
        with self._lock:
            if self.active >= self.limit:
                raise BusyError("the server is busy answering other questions; retry in a moment")
            self.active += 1
        try:
            yield
        finally:
            with self._lock:
                self.active -= 1


class NotReadyError(Exception):
    """The model and the index are still loading (or failed to); the client should retry shortly."""


@dataclass
class ServerState:
    """Everything the routes share; one per app."""

    settings: Settings
    engine: Engine
    ready: bool = False
    error: str | None = None
    follow_failed: str | None = None  # the generation on disk that would not load, so it is not re-read every few seconds
    ask_gate: Gate = field(init=False)
    # Uploads and deletes change the docs folder and rebuild: one at a time, a few may wait.
    build_lock: threading.Lock = field(default_factory=threading.Lock)
    build_gate: Gate = field(default_factory=lambda: Gate(4))

    jobs: Jobs = field(init=False)

    def __post_init__(self) -> None:
        self.ask_gate = Gate(self.settings.max_concurrent_asks)
        # Through the engine at call time, so the jobs always use the engine's current build.
        self.jobs = Jobs(self.settings.docs_dir, lambda **kw: self.engine.build(**kw), lambda: set(self.engine.index.documents),
                         self.build_lock)

    def warm_up(self) -> None:
        """Load the index (building it when there is none yet) and the model; runs in a worker thread at start."""
        try:
            try:
                self.engine.warm_up()
            except IndexMissingError:
                log.info("no index in %s yet: building it from %s", self.settings.index_dir, self.settings.docs_dir)
                with self.build_lock:
                    self.engine.build()
                self.engine.warm_up()
        except RagError as exc:
            self.error = str(exc)
            log.error("not ready: %s", exc)
            return
        except Exception as exc:  # a failed start must show in /healthz, not kill the process silently
            self.error = f"start-up failed ({type(exc).__name__})"
            log.exception("start-up failed")
            return
        self.error = None
        self.ready = True
        log.info("ready: %d documents, %d chunks", len(self.engine.index.documents), self.engine.index.chunk_count)
        self.catch_up()

    def catch_up(self) -> None:
        """After a kill: settle unfinished uploads and deletes, then index files the index doesn't hold yet (in the
        background, while the current index serves), so a later upload never inherits them."""
        try:
            with self.build_lock:
                for note in uploads.recover(self.settings.docs_dir, set(self.engine.index.documents)):
                    log.info("start-up: %s", note)
                if self.engine.is_stale():
                    log.info("start-up: the documents folder changed since the index was built; indexing it in the background")
                    report = self.engine.build()
                    log.info("start-up: indexed %d documents (%d embedded)", report.documents, report.embedded_documents)
        except RagError as exc:
            log.warning("start-up: the documents folder could not be indexed: %s", exc)


    def follow_index(self) -> None:
        """Serve a generation built by another process (`rag index` in a terminal); keep the current one if it won't load."""
        if not self.ready or not self.build_lock.acquire(blocking=False):
            return  # still starting, or our own build will reload when it is done
        on_disk: str | None = None
        try:
            on_disk = self.engine.generation_on_disk()
            if on_disk == self.follow_failed:
                return  # tried already (loading hashes every file): wait for a newer build
            if self.engine.reload():
                log.info("now serving %s (built outside the server)", self.engine.index.generation)
            self.follow_failed = None
        except RagError as exc:
            failed = on_disk or str(exc)  # with no readable CURRENT, the message stands for the generation
            if failed != self.follow_failed:  # say it once, not every few seconds
                log.warning("still serving %s: the index on disk does not load: %s", self.engine.index.generation, exc)
            self.follow_failed = failed
        finally:
            self.build_lock.release()

    def index(self) -> LoadedIndex:
        """The served generation; NotReadyError until warm-up is done, so no request loads it on the event loop."""
        if not self.ready:
            loading = "the server is still loading the model and the index"
            raise NotReadyError(f"the server is not ready: {self.error}" if self.error else loading)
        return self.engine.index


def get_state(request: Request) -> ServerState:
    """The app's ServerState (a FastAPI dependency)."""
    state: ServerState = request.app.state.rag
    return state


State = Annotated[ServerState, Depends(get_state)]
