"""Bounded soak of the real server on loopback: wrk drives POST /api/ask for minutes; memory must stay flat, no errors.

Run: `make soak` (or `.venv/bin/python tests/faults/soak.py --minutes 3 --connections 16`). Exit 0 when it held.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "Who is Keith Kellogg?", "Where will the talks take place?", "What did Kellogg say about Europe?",
    "Who is handling the Russian side?", "What is the capital of Peru?", "Who confirmed the meeting plans?",
]
_LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/ask", {["Content-Type"] = "application/json"}, bodies[(i %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('SOAK {"requests": %%d, "seconds": %%.1f, "p50_ms": %%.1f, "p99_ms": %%.1f, "max_ms": %%.1f, ' ..
    '"non_2xx": %%d, "connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    """Build a seed index, serve it, load it with wrk for the given minutes while sampling memory; report and judge."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-growth", type=float, default=0.10, help="allowed RSS growth after the first sample (fraction)")
    args = parser.parse_args()
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    rag = str(Path(sys.executable).with_name("rag"))
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    port = free_port()
    subprocess.run([rag, "index", "--docs", str(ROOT / "seeds"), "--index", str(work / "index")], check=True, capture_output=True)
    server = subprocess.Popen([rag, "serve", "--docs", str(ROOT / "seeds"), "--index", str(work / "index"), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"))  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            print("soak: server did not become ready", file=sys.stderr)
            return 1
        script = work / "ask.lua"
        bodies = ", ".join(json.dumps(json.dumps({"question": q})) for q in QUESTIONS)
        script.write_text(_LUA % bodies)
        seconds = int(args.minutes * 60)
        load = subprocess.Popen([wrk, "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url],
                                stdout=subprocess.PIPE, text=True)
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        while load.poll() is None:
            samples.append((round(time.monotonic() - started, 1), round(rss_mb(server.pid), 1)))
            time.sleep(5)
        out = load.stdout.read() if load.stdout else ""
        stats = json.loads(next(line for line in out.splitlines() if line.startswith("SOAK "))[5:])
        after = httpx.post(url + "/api/ask", json={"question": QUESTIONS[0]}, timeout=30).status_code
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    warm = [m for t, m in samples if t >= 20] or [m for _, m in samples]  # after the first 20 s of load (caches filled)
    growth = (warm[-1] - warm[0]) / warm[0] if warm else 0.0
    errors = stats["non_2xx"] + stats["connect"] + stats["read"] + stats["write"] + stats["timeout"]
    report = {**stats, "rps": round(stats["requests"] / max(stats["seconds"], 1e-9), 1), "connections": args.connections,
              "rss_first_mb": warm[0] if warm else None, "rss_last_mb": warm[-1] if warm else None,
              "rss_max_mb": max(m for _, m in samples), "rss_growth": round(growth, 4), "after_status": after, "samples": samples}
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "soak.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}))
    shutil.rmtree(work, ignore_errors=True)
    ok = errors == 0 and after == 200 and growth <= args.max_growth
    print("soak: " + ("held" if ok else "FAILED") + f" ({errors} errors, RSS growth {growth:.1%})")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
