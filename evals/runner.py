"""Putting every gold question to the engine, in this process or over a running server's HTTP API."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from evals.gold import GoldQuestion
from rag.engine import Engine
from rag.errors import ConfigError, RagError

RETRIEVAL_K = 10  # passages asked for, so recall@10 can be measured


@dataclass(frozen=True)
class Outcome:
    """One question's answer as the API JSON (`Answer.to_dict()`), and how long it took end to end."""

    gold: GoldQuestion
    answer: dict[str, Any]
    seconds: float


def run_local(engine: Engine, questions: Sequence[GoldQuestion], progress: bool = True) -> list[Outcome]:
    """Ask every question in this process; the confidence is kept unrounded so the curve is exact."""
    outcomes = []
    for gold in _bar(questions, progress):
        started = time.perf_counter()
        answer = engine.ask(gold.question, list(gold.history), top_k=RETRIEVAL_K)
        seconds = time.perf_counter() - started
        outcomes.append(Outcome(gold, {**answer.to_dict(), "confidence": answer.confidence}, seconds))
    return outcomes


def run_remote(url: str, questions: Sequence[GoldQuestion], progress: bool = True, timeout_s: float = 120.0) -> list[Outcome]:
    """Ask every question through `POST {url}/api/ask`, after waiting (bounded) for the server to be ready."""
    base = url.rstrip("/")
    wait_until_ready(base, timeout_s)
    outcomes = []
    for gold in _bar(questions, progress):
        body = {"question": gold.question, "history": list(gold.history), "top_k": RETRIEVAL_K}
        started = time.perf_counter()
        answer = post_json(f"{base}/api/ask", body, timeout_s)
        outcomes.append(Outcome(gold, answer, time.perf_counter() - started))
    return outcomes


def post_json(url: str, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """POST a JSON body and return the decoded JSON object; HTTP and network failures become RagError."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    return _fetch(request, timeout_s)


def wait_until_ready(base: str, timeout_s: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """Poll `GET /healthz` until it says ready (it answers 503 while the model warms up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            health = _fetch(urllib.request.Request(f"{base}/healthz"), timeout_s)
            if health.get("ready"):
                return
        except RagError as exc:
            if "HTTP 503" not in str(exc) or time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise RagError(f"the server at {base} was not ready within {timeout_s:.0f} s")
        sleep(0.5)


def _fetch(request: urllib.request.Request, timeout_s: float) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise RagError(f"{request.full_url}: HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RagError(f"can't reach {request.full_url} (is the server running?): {getattr(exc, 'reason', exc)}") from exc
    except ValueError as exc:
        raise RagError(f"{request.full_url}: the reply is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise ConfigError(f"{request.full_url}: expected a JSON object, got {type(payload).__name__}")
    return payload


def _bar(questions: Sequence[GoldQuestion], enabled: bool) -> Iterable[GoldQuestion]:
    """A progress bar on stderr (the report goes to stdout)."""
    if not enabled:
        return questions
    from tqdm import tqdm

    return _closing(tqdm(questions, desc="questions", unit="q", file=sys.stderr, dynamic_ncols=True))


def _closing(bar: Any) -> Iterator[GoldQuestion]:
    try:
        yield from bar
    finally:
        bar.close()
