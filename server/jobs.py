"""Background builds: an upload that needs a long build is accepted at once (202) with a job the page follows.

One worker thread runs the jobs in turn, under the server's build lock. Uploads that arrive while a job waits join
it, so a burst of files is one build. A job can be cancelled while it waits or embeds: its files are then removed
and the index is left as it was. Shutdown cancels what has not finished, the same way.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import BuildCancelledError, RagError

log = logging.getLogger("server")
KEEP_FINISHED = 100  # finished jobs remembered for the page to read their outcome


@dataclass
class Job:
    """One background build and the uploaded files it indexes."""

    id: str
    files: list[str]
    status: str = "queued"  # queued, running, done, failed, cancelled
    done: int = 0
    total: int = 0
    message: str = ""
    stage: str = ""  # what the build is doing now, when it is slow: "scan.pdf: OCR read page 3 of 40"
    generation: str | None = None
    created: float = field(default_factory=time.time)
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `GET /api/jobs/{id}`."""
        return {"id": self.id, "files": list(self.files), "status": self.status, "done": self.done, "total": self.total,
                "message": self.message, "stage": self.stage, "generation": self.generation}


class Jobs:
    """The queue of background builds; `build` rebuilds the index (the engine's), `lock` is the server's build lock."""

    def __init__(self, docs_dir: Path, build: Callable[..., Any], indexed: Callable[[], set[str]], lock: threading.Lock) -> None:
        self.docs_dir = docs_dir
        self._build, self._indexed, self._lock = build, indexed, lock
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._guard = threading.Lock()
        self._wake = threading.Condition(self._guard)
        self._worker: threading.Thread | None = None
        self._closing = False

    def submit(self, doc_id: str) -> Job:
        """Index an uploaded file in the background: with the files of a job still waiting, or in a new one."""
        with self._guard:
            if self._closing:
                raise BuildCancelledError("the server is shutting down; upload the file again after it restarts")
            job = self._queue[-1] if self._queue else None
            if job is None:
                job = Job(uuid.uuid4().hex[:12], [])
                self._jobs[job.id] = job
                self._queue.append(job)
                self._forget_old()
            job.files.append(doc_id)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="rag-jobs", daemon=True)
                self._worker.start()
            self._wake.notify()
            return job

    def get(self, job_id: str) -> Job | None:
        """A job by id (None when unknown or long finished)."""
        return self._jobs.get(job_id)

    def busy(self) -> bool:
        """True while a job waits or runs: later uploads join the queue rather than build beside it."""
        with self._guard:
            return bool(self._queue) or any(j.status == "running" for j in self._jobs.values())

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop; a waiting one is settled at once, a running one at its next batch."""
        with self._guard:
            job = self._jobs.get(job_id)
            if job is None or job.status not in ("queued", "running"):
                return job
            job.cancel.set()
            if job in self._queue:
                self._queue.remove(job)
                self._roll_back(job, "cancelled before it started")
            return job

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Cancel every unfinished job (their files are removed) and wait for the worker."""
        with self._guard:
            self._closing = True
            for job in self._queue:
                self._roll_back(job, "cancelled: the server shut down")
            self._queue.clear()
            for job in self._jobs.values():
                job.cancel.set()
            self._wake.notify_all()
        if self._worker is not None:
            self._worker.join(timeout_s)

    def _work(self) -> None:
        while True:
            with self._guard:
                while not self._queue and not self._closing:
                    self._wake.wait()
                if not self._queue:
                    return
                job = self._queue.pop(0)
                job.status = "running"
            self._run(job)

    def _run(self, job: Job) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            if job.cancel.is_set():
                raise BuildCancelledError("the build was cancelled")

        def say(line: str) -> None:
            job.stage = line
            if job.cancel.is_set():  # a long OCR reading stops at once, not at the embedding
                raise BuildCancelledError("the build was cancelled")

        try:
            with self._lock:
                if job.cancel.is_set():
                    raise BuildCancelledError("the build was cancelled")
                report = self._build(progress=progress, log=say)
        except BuildCancelledError:
            with self._guard:
                self._roll_back(job, "cancelled; the files were removed and the index is as it was")
            return
        except RagError as exc:
            with self._guard:
                self._roll_back(job, f"not indexed: {exc}")
                job.status = "failed"
            return
        except Exception:  # a worker must outlive one bad build
            log.exception("background build failed")
            with self._guard:
                self._roll_back(job, "not indexed: internal error (the server log has the details)")
                job.status = "failed"
            return
        indexed = self._indexed()
        reasons = {s.path: s.reason for s in report.skipped}
        left_out = [f for f in job.files if f not in indexed]
        for name in left_out:
            (self.docs_dir / name).unlink(missing_ok=True)  # a file the loader rejected is not kept
        job.generation, job.done = report.generation, job.total
        job.message = "; ".join(f"{f} was not indexed: {reasons.get(f, 'it has no readable text')}" for f in left_out)
        job.status = "done"

    def _roll_back(self, job: Job, message: str) -> None:
        """Remove the job's files: the folder goes back to what the index holds."""
        for name in job.files:
            (self.docs_dir / name).unlink(missing_ok=True)
        job.status, job.message = "cancelled", message

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in ("done", "failed", "cancelled")]
        for job in sorted(finished, key=lambda j: j.created)[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]
