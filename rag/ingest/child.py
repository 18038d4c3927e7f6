"""Reading a file in a child process with a time and memory limit, so a hostile file can't hang or exhaust the build:
`run_child` runs `python -m module FILE MAXMEM MAXCHARS [MORE...]` and takes the JSON object it prints."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from rag.errors import DocumentError

CHILD_MEMORY_BYTES = 1024 * 1024 * 1024  # a PDF or Word file is read in a child process this big at most
PROGRESS = "progress "  # a child's stderr line "progress 3 40" says how far it is (3 of 40 steps)


def run_child(
    module: str, kind: str, path: Path, timeout_s: float, max_chars: int, more: Sequence[str] = (), stdin: bytes = b"",
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the child with a time limit and take the JSON object it prints; `on_progress(done, total)` hears its
    progress lines as they come, and may raise (a cancelled build) to stop the child at once."""
    args = [sys.executable, "-m", module, str(path), str(CHILD_MEMORY_BYTES), str(max_chars), *more]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out: list[bytes] = []
    err: list[bytes] = []
    stopped: list[BaseException] = []

    def drain(stream: IO[bytes], into: list[bytes], listen: bool) -> None:
        for line in stream:
            if listen and on_progress is not None and line.startswith(PROGRESS.encode()):
                try:
                    done, total = (int(n) for n in line[len(PROGRESS):].split()[:2])
                    on_progress(done, total)
                except ValueError:
                    pass  # a malformed line from a child is no progress
                except BaseException as exc:
                    stopped.append(exc)
                    proc.kill()
                continue
            into.append(line)

    readers = [threading.Thread(target=drain, args=(proc.stdout, out, False), daemon=True),
               threading.Thread(target=drain, args=(proc.stderr, err, True), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        if proc.stdin is not None:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # the child ended before reading: its exit status says why
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        raise DocumentError(f"{kind} took longer than {timeout_s:g} s to parse") from exc
    finally:
        for reader in readers:
            reader.join(timeout=5)
    if stopped:
        raise stopped[0]
    if proc.returncode != 0:
        last = b"".join(err).decode("utf-8", "replace").strip().splitlines()[-1:] or ["crashed"]
        raise DocumentError(f"unreadable {kind}: {last[0][:200]}")
    try:
        payload = json.loads(b"".join(out))
    except ValueError as exc:
        raise DocumentError(f"unreadable {kind}: the text extractor gave no usable output") from exc
    if not isinstance(payload, dict):
        raise DocumentError(f"unreadable {kind}: the text extractor gave no usable output")
    if "error" in payload:
        raise DocumentError(str(payload["error"]))
    return payload
