"""Ask every question of a gold file of the local store and of the Milvus store, and print the answers that differ:
`python -m evals.store_parity DOCS INDEX GOLD` (builds the index first when needed; docs/scale-out.md has the figures)."""

from __future__ import annotations

import sys
from pathlib import Path

from evals.gold import load_gold
from evals.metrics import contains_answer
from rag.engine import Engine
from rag.search.embedder import Embedder
from rag.settings import Settings


def main(docs: Path, index: Path, gold: Path) -> int:
    """Print each differing answer and the count; 0 always (a comparison, not a gate)."""
    embedder = Embedder()
    local = Engine(Settings(docs_dir=docs, index_dir=index, progress=False), embedder)
    lite = Engine(Settings(docs_dir=docs, index_dir=index, progress=False, store="milvus"), embedder)
    local.build()
    lite.build()  # publishes the same generation to Milvus Lite
    questions = load_gold(gold)
    differ = 0
    hits, abstained = [0, 0], [0, 0]  # local, milvus: answerable questions answered with a gold answer; abstentions
    for q in questions:
        a, b = local.ask(q.question, list(q.history)), lite.ask(q.question, list(q.history))
        for n, x in enumerate((a, b)):
            hits[n] += q.answerable and not x.abstained and contains_answer(x.answer, q.answers)
            abstained[n] += x.abstained
        if (a.answer, a.abstained) != (b.answer, b.abstained):
            differ += 1
            print(f"differs: {q.question}\n  local:  {a.answer[:100]}\n  milvus: {b.answer[:100]}")
    answerable = sum(q.answerable for q in questions) or 1
    print(f"{differ} of {len(questions)} answers differ; hit rate local {hits[0] / answerable:.1%}, milvus "
          f"{hits[1] / answerable:.1%} (of {answerable} answerable); abstentions local {abstained[0]}, milvus {abstained[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
