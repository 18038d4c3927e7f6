"""Re-indexing while 16 clients ask: no error, and every answer comes whole from one index generation."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from faultkit import QUESTIONS, assert_quotes_exact

from rag.engine import Engine
from rag.schema import Answer
from rag.search.embedder import Embedder
from rag.settings import Settings
from tests.seed import SEED_ARTICLE

CLIENTS = 16
ROUNDS = 3
PREFIX = "Updated copy of the article.\n\n"  # shifts every offset of version B against version A


def _versions(docs: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The texts of every document in version A (as built) and version B (seed article prefixed)."""
    a = {p.name: p.read_text(encoding="utf-8") for p in docs.iterdir()}
    b = dict(a)
    for seed in [SEED_ARTICLE]:
        b[seed.name] = PREFIX + a[seed.name]
    return a, b


def _version_of(answer: Answer, a: dict[str, str], b: dict[str, str]) -> str:
    """Which version every quote of the answer comes from; fails when the answer mixes them or matches neither."""
    matches = []
    for name, texts in (("A", a), ("B", b)):
        try:
            assert_quotes_exact(answer, texts)
        except AssertionError:
            continue
        matches.append(name)
    assert matches, f"answer matches no generation: {answer.to_dict()}"
    return matches[0]


@pytest.mark.slow
def test_reindex_while_16_clients_ask_gives_whole_answers_from_one_generation(work: Settings, embedder: Embedder) -> None:
    a, b = _versions(work.docs_dir)
    engine = Engine(work, embedder)
    engine.warm_up()
    seen: dict[str, int] = {"A": 0, "B": 0}
    errors: list[BaseException] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(n: int) -> None:
        i = n
        while not stop.is_set():
            try:
                answer = engine.ask(QUESTIONS[i % len(QUESTIONS)])
                version = _version_of(answer, a, b)
            except BaseException as exc:  # any failure of any kind is the finding
                errors.append(exc)
                return
            with lock:
                seen[version] += 1
            i += 1
            time.sleep(0.05)  # clients think between questions; the builder gets its share of the two cores

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    generations = []
    try:
        for round_ in range(ROUNDS):
            texts = b if round_ % 2 == 0 else a
            for seed in [SEED_ARTICLE]:
                (work.docs_dir / seed.name).write_text(texts[seed.name], encoding="utf-8")
            report = engine.build()  # incremental build, then reload while the clients keep asking
            generations.append(report.generation)
            time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert not errors, errors[:3]
    assert len(set(generations)) == ROUNDS
    assert seen["A"] > 0 and seen["B"] > 0, seen
    print(f"answers per version during {ROUNDS} rebuilds: {seen}")  # answers really came from both generations during the swaps
