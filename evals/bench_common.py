"""Shared pieces of `rag bench`: robust statistics, the machine's description, a served index in a child process."""

from __future__ import annotations

import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals import metrics
from evals.gold import load_gold
from rag.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SEED_QUESTIONS = (  # used when evals/gold.jsonl is missing
    "Where are the American and Russian officials going to meet?",
    "Who is the national security adviser?",
    "What are the talks meant to achieve?",
    "What is the capital of Australia?",
)


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence.

    >>> median([3.0, 1.0, 2.0])
    2.0
    """
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation.

    >>> percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50)
    3.0
    """
    value = metrics.percentile(values, q)
    if value is None:
        raise ValueError("percentile of nothing")
    return value


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU, cores, memory, load, library versions."""
    import faiss
    import numpy as np

    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "unknown")
        flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
        info["simd"] = " ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "amx_int8") if f" {f}" in flags)
        mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
        info["memory_gb"] = round(mem_kb / 1024 / 1024, 1)
        info["load_average_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, StopIteration, ValueError):
        pass
    versions = {"numpy": np.__version__, "faiss": faiss.__version__}
    for name in ("onnxruntime", "torch", "sentence_transformers", "bm25s", "uvicorn"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = "not installed"
    info["versions"] = versions
    return info


def rss_mb(pid: int) -> tuple[float, float]:
    """Current and peak resident memory of a process, in MB (from /proc)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def questions(gold: Path) -> list[dict[str, Any]]:
    """The gold file's questions as request bodies ({question, history}), or the seed questions if it is missing."""
    if not gold.exists():
        return [{"question": q, "history": []} for q in SEED_QUESTIONS]
    return [{"question": g.question, "history": list(g.history)} for g in load_gold(gold)]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A `rag serve` child process and where it listens."""

    process: subprocess.Popen[bytes]
    url: str
    ready_s: float
    log: Path

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def serve(docs: Path, index: Path, log: Path, env: dict[str, str] | None = None, timeout_s: float = 120.0) -> Served:
    """Start `rag serve` on a free loopback port; returns once /healthz says ready, with the seconds that took."""
    port = free_port()
    command = [sys.executable, "-m", "rag.cli", "serve", "--docs", str(docs), "--index", str(index), "--port", str(port)]
    started = time.perf_counter()
    with open(log, "wb") as fh:
        process = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=ROOT)
    served = Served(process, f"http://127.0.0.1:{port}", 0.0, log)
    while time.perf_counter() - started < timeout_s:
        if process.poll() is not None:
            raise ConfigError(f"rag serve exited with status {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{served.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    served.ready_s = time.perf_counter() - started
                    return served
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    served.stop()
    raise ConfigError(f"rag serve was not ready within {timeout_s:.0f} s; see {log}")


class Client:
    """One keep-alive HTTP connection, as a browser holds: the latency figures leave TCP set-up out."""

    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout_s)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON and return the decoded JSON answer; raises RuntimeError on a non-200 status."""
        self._conn.request("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"})
        response = self._conn.getresponse()
        raw = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path} answered {response.status}: {raw[:200]!r}")
        data: dict[str, Any] = json.loads(raw)
        return data

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
