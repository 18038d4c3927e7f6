"""HTTP benchmarks against a real `rag serve`: cold start, question latency by stage, and load from concurrent clients."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from evals.bench_cold import breakdown
from evals.bench_common import Client, Served, median, percentile, rss_mb, serve
from rag.search.embedder import Embedder

WRK = "/usr/bin/wrk"
STAGES = ("rewrite", "embed", "retrieve", "compose", "place", "total")


def cold_start(docs: Path, index: Path, work: Path, repeats: int, env: dict[str, str]) -> dict[str, Any]:
    """Seconds from `rag serve` to a ready /healthz on an index already built, and the server's memory then."""
    seconds, rss = [], []
    for i in range(repeats):
        served = serve(docs, index, work / f"cold-{i}.log", env)
        try:
            seconds.append(served.ready_s)
            rss.append(rss_mb(served.process.pid)[0])
        finally:
            served.stop()
    return {"runs": repeats, "ready_s": median(seconds), "ready_s_max": max(seconds), "rss_mb_ready": median(rss)}


def latency(served: Served, questions: list[dict[str, Any]], embedder: Embedder, rounds: int) -> dict[str, Any]:
    """POST /api/ask over every question `rounds` times, against one raw question encode measured in the same run."""
    client = Client(served.url)
    for body in questions[:3]:
        client.post("/api/ask", body)  # first requests pay one-off costs (lazy imports, caches)
    embedder.encode_one("warm up")
    http: list[float] = []
    raw: list[float] = []
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    for _ in range(rounds):
        for body in questions:
            # Interleave: one raw encode next to each request, so both see the same machine load.
            started = time.perf_counter()
            embedder.encode_one(body["question"])
            raw.append(time.perf_counter() - started)
            started = time.perf_counter()
            answer = client.post("/api/ask", body)
            http.append(time.perf_counter() - started)
            for stage in STAGES:
                stages[stage].append(float(answer.get("timings_ms", {}).get(stage, 0.0)))
    client.close()
    p50 = median(http) * 1000
    return {
        "requests": len(http),
        "questions": len(questions),
        "rounds": rounds,
        "p50_ms": p50,
        "p95_ms": percentile(http, 95) * 1000,
        "raw_encode_p50_ms": median(raw) * 1000,
        "p50_over_raw_encode": p50 / (median(raw) * 1000),
        "stages_p50_ms": {s: median(v) for s, v in stages.items()},
        "outside_engine_p50_ms": p50 - median(stages["total"]),
    }


def load(served: Served, questions: list[dict[str, Any]], clients: tuple[int, ...], seconds: float, work: Path) -> list[dict[str, Any]]:
    """Closed-loop load with wrk: each client sends the next question as soon as its answer arrives."""
    script = work / "ask.lua"
    script.write_text(wrk_script(questions), encoding="utf-8")
    rows = []
    for n in clients:
        before = rss_mb(served.process.pid)[0]
        command = [WRK, "-t", str(min(n, 2)), "-c", str(n), "-d", f"{seconds:g}s", "--latency", "-s", str(script), f"{served.url}/api/ask"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}")
        row = {"clients": n, "seconds": seconds, **parse_wrk(done.stdout)}
        row["rss_mb_before"], row["rss_mb_after"] = before, rss_mb(served.process.pid)[0]
        rows.append(row)
    base = rows[0]["requests_per_s"] if rows and rows[0]["requests_per_s"] else None
    for row in rows:
        row["throughput_vs_1_client"] = row["requests_per_s"] / base if base else None
        row["p99_over_p50"] = row["p99_ms"] / row["p50_ms"] if row["p50_ms"] else None
    return rows


def parse_wrk(text: str) -> dict[str, Any]:
    """Requests/s, p50/p90/p99 latency (ms), request count and errors from wrk --latency output.

    >>> r = parse_wrk("  50%    2.00ms\\n  99%   10.50ms\\n  120 requests in 1.00s\\nRequests/sec:    120.00\\n")
    >>> r["p50_ms"], r["p99_ms"], r["requests"], r["errors"]
    (2.0, 10.5, 120, 0)
    """

    def ms(label: str) -> float | None:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", text, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    total = re.search(r"(\d+) requests in", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    return {
        "requests": int(total.group(1)) if total else 0,
        "requests_per_s": float(rate.group(1)) if rate else 0.0,
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
        "errors": errors,
    }


def wrk_script(questions: list[dict[str, Any]]) -> str:
    """A wrk script that POSTs the questions in turn, one list position per connection."""
    bodies = ",\n".join(json.dumps(json.dumps({"question": q["question"], "history": q["history"]})) for q in questions)
    return (
        "local bodies = {\n" + bodies + "\n}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n"
    )


def after_upload(docs: Path, index: Path, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """The server's memory before and after its first upload (a small Markdown file, indexed before the reply), on
    copies of the folder and the index, so the benchmark never writes into the user's documents."""
    copy, copied_index = work / "upload-docs", work / "upload-index"
    shutil.copytree(docs, copy)
    shutil.copytree(index, copied_index)
    served = serve(copy, copied_index, work / "upload.log", env)
    try:
        before = rss_mb(served.process.pid)[0]
        boundary = "rag-bench-boundary"
        note = "# Bench note\n\nThe benchmark uploaded this note to measure the server's memory after an upload.\n"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench-note.md\"\r\n"
                f"Content-Type: text/markdown\r\n\r\n{note}\r\n--{boundary}--\r\n").encode()
        request = urllib.request.Request(f"{served.url}/api/documents", data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            status = response.status
        seconds = time.perf_counter() - started
        after, peak = rss_mb(served.process.pid)
    finally:
        served.stop()
    return {"status": status, "upload_s": seconds, "rss_mb_before": before, "rss_mb_after": after, "peak_rss_mb": peak}


def run_all(
    docs: Path,
    index: Path,
    questions: list[dict[str, Any]],
    embedder: Embedder,
    env: dict[str, str],
    cold_repeats: int,
    rounds: int,
    clients: tuple[int, ...],
    load_s: float,
) -> dict[str, Any]:
    """Cold start first (each on a fresh process), then latency and load on one more server."""
    work = Path(tempfile.mkdtemp(prefix="rag-bench-http-"))
    try:
        cold = cold_start(docs, index, work, cold_repeats, env)
        cold["steps_s"] = breakdown(docs, index, env.get("RAG_BACKEND", "onnx"), cold_repeats)
        served = serve(docs, index, work / "served.log", env)
        try:
            lat = latency(served, questions, embedder, rounds)
            rows = load(served, questions, clients, load_s, work)  # the caller checked that wrk is installed
            peak = rss_mb(served.process.pid)
        finally:
            served.stop()
        upload = after_upload(docs, index, work, env)
        return {"cold_start": cold, "latency": lat, "load": rows, "server_rss_mb": peak[0], "server_peak_rss_mb": peak[1],
                "upload": upload}
    finally:
        shutil.rmtree(work, ignore_errors=True)
