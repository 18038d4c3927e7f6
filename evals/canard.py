"""How well follow-ups are rewritten: CANARD's dev questions (QuAC dialogues with a standalone rewrite by a person).

For each follow-up whose gold rewrite adds words to the question ("When did they disband?" -> "When did Zappa and
the Mothers of Invention disband?"), the searched question is a hit when it holds at least half of the content
words the rewrite adds; noise is the share of searched questions that add words the gold rewrite doesn't have.

Run: python -m evals.canard [--data ../shared/datasets/train/canard/dev.jsonl] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rag.answer.conversation import standalone_question
from rag.search.lexical import tokens


def turns(history: list[str]) -> list[dict[str, str]]:
    """CANARD's alternating question/answer strings as chat turns."""
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": text} for i, text in enumerate(history)]


def score(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Hit rate on the entity the rewrite adds, and the noise rate, over rows with a history."""
    hits = needed = noisy = asked = 0
    for row in rows:
        if not row["history"]:
            continue
        searched = standalone_question(row["question"], turns(row["history"]))
        q, gold, got = set(tokens(row["question"])), set(tokens(row["rewrite"])), set(tokens(searched))
        added = gold - q
        asked += 1
        noisy += bool((got - q) - gold)
        if added:
            needed += 1
            hits += len(added & got) * 2 >= len(added)
    return {"follow_ups": asked, "need_an_entity": needed, "entity_hit": hits / max(needed, 1), "noise": noisy / max(asked, 1)}


def main(argv: list[str] | None = None) -> int:
    """Print the figures as JSON."""
    p = argparse.ArgumentParser(prog="python -m evals.canard", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("../shared/datasets/train/canard/dev.jsonl"))
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args(argv)
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    figures = score(rows[: args.limit or None])
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
