"""Helpers of the reliability suite: a generated corpus, answer fingerprints, child builders to kill."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.engine import Engine
from rag.schema import Answer
from rag.settings import Settings
from tests.seed import copy_seed

ROOT = Path(__file__).resolve().parents[2]
# Questions about the seed article whose answers must survive every fault unchanged.
QUESTIONS = (
    "Who is handling the Russian side of the negotiations?",
    "Where did Rubio arrive on Saturday?",
    "Who confirmed the meeting plans at the Munich Security Conference?",
)
_NOUNS = "river harbour orchard engine library lantern glacier meadow furnace quarry bridge vineyard".split()
_PLACES = "Vellmar Ostrava Quillan Brenzo Tarvik Lumsey Dorrel Pexham Cairnby Yssel Marwick Tolland".split()
_VERBS = "produced repaired exported surveyed measured restored insured rebuilt painted counted".split()
_ADJ = "northern eastern ancient quiet crowded narrow distant wooden coastal granite".split()


@dataclass(frozen=True)
class Baseline:
    """A generated corpus, its built index, and the answers to the fixed questions over it."""

    settings: Settings
    answers: list[tuple[Any, ...]]
    chunks: int
    generation: str


def make_corpus(folder: Path, n_docs: int, seed: int = 7) -> Path:
    """Write the seed article plus `n_docs` small generated documents (deterministic) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    copy_seed(folder)
    rng = random.Random(seed)
    for i in range(n_docs):
        (folder / f"ledger-{i:04d}.txt").write_text(filler_text(rng, i), encoding="utf-8")
    return folder


def filler_text(rng: random.Random, i: int, sentences: int = 1) -> str:
    """A short made-up ledger entry (distinct per `i`), unrelated to the seed's questions."""
    lines = [f"Ledger entry {i} of {rng.choice(_PLACES)}"]
    for _ in range(sentences):
        lines.append(
            f"The {rng.choice(_ADJ)} {rng.choice(_NOUNS)} of {rng.choice(_PLACES)} {rng.choice(_VERBS)} "
            f"{rng.randint(2, 9000)} crates in {rng.randint(1700, 1999)}."
        )
    return "\n".join(lines) + "\n"


def fingerprint(answer: Answer) -> tuple[Any, ...]:
    """What must not change between two loads of the same documents: the answer and where each quote sits."""
    return (answer.abstained, answer.answer, tuple((c.doc_id, c.start, c.end, c.quote) for c in answer.citations))


def answers(engine: Engine) -> list[tuple[Any, ...]]:
    """Fingerprints of the fixed questions."""
    return [fingerprint(engine.ask(q)) for q in QUESTIONS]


def assert_quotes_exact(answer: Answer, texts: dict[str, str]) -> None:
    """Every citation and passage is the exact slice of the given document texts."""
    for c in answer.citations:
        assert texts[c.doc_id][c.start : c.end] == c.quote, (c.doc_id, c.start, c.end)
    for p in answer.passages:
        assert texts[p.doc_id][p.start : p.end] == p.text, (p.doc_id, p.start, p.end)


# A child process that builds the index; `KILL_AT` makes it SIGKILL itself at the n-th file-system step
# (os.replace / rmtree / fsync), so every step boundary of a build can be hit exactly.
_CHILD = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from pathlib import Path
    from rag.search import store
    from rag.search.embedder import Embedder
    from rag.search.indexer import build_index
    from rag.settings import Settings

    docs, index, model, store_name = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[6]
    kill_at, load_model = int(sys.argv[4]), sys.argv[5] == "1"
    settings = Settings(docs_dir=Path(docs), index_dir=Path(index), model=model, batch_size=4, progress=False, store=store_name)
    embedder = Embedder(settings.model, batch_size=settings.batch_size, threads=1)
    steps = [0]

    def step(fn):
        def wrapped(*args, **kwargs):
            steps[0] += 1
            if steps[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return wrapped

    if kill_at > 0:
        store.os.replace = step(os.replace)
        store.os.fsync = step(os.fsync)
        store.shutil.rmtree = step(shutil.rmtree)
    if load_model:
        embedder.encode_one("warm up")
    print("started", flush=True)
    report = build_index(settings, embedder)
    print("built", report.generation, steps[0], flush=True)
    """
)


def spawn_builder(settings: Settings, kill_at: int = 0, load_model: bool = False) -> subprocess.Popen[str]:
    """Start a real build of `settings` in a child process (stdout: "started", then "built GEN STEPS")."""
    args = [str(settings.docs_dir), str(settings.index_dir), settings.model, str(kill_at), "1" if load_model else "0", settings.store]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", _CHILD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def leftovers(index_dir: Path) -> list[str]:
    """Names an interrupted build leaves behind."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("build-", "CURRENT.tmp-")))


def with_dirs(settings: Settings, docs: Path, index: Path) -> Settings:
    """The same settings over another folder pair."""
    return replace(settings, docs_dir=docs, index_dir=index)
