"""Write the held-out SQuAD articles of the training data as a `rag eval` set (documents and gold questions), so the
shipped model and the composer are compared on the same unseen articles, end to end, by the product's own metrics;
`--fold train` writes the other articles instead, the set the composer's weights are fitted on (`evals.fit`).

Run: python -m training.heldout --out artifacts/train/heldout
     rag eval --gold artifacts/train/heldout/gold.jsonl --docs artifacts/train/heldout/docs --index /tmp/ho-idx --out /tmp/ho
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.data import squad_articles, write_articles
from training.folds import one_side


def main(argv: list[str] | None = None) -> int:
    """Write docs/ (one article a file) and gold.jsonl (every question of those articles)."""
    p = argparse.ArgumentParser(prog="python -m training.heldout", description=__doc__.splitlines()[0])
    p.add_argument("--train-dir", type=Path, default=Path("../shared/datasets/train"))
    p.add_argument("--out", type=Path, default=Path("artifacts/train/heldout"))
    p.add_argument("--fold", choices=("heldout", "train"), default="heldout", help="which side of the article split to write")
    args = p.parse_args(argv)
    every = squad_articles(args.train_dir)
    # The folds are drawn per source, so the SQuAD articles alone give the split the model was trained with.
    articles = {t: every[t] for t in one_side({t: f"{qs[0]['set']}:{t}" for t, qs in every.items()}, args.fold == "heldout")}
    write_articles(articles, args.out / "docs")
    with (args.out / "gold.jsonl").open("w", encoding="utf-8") as out:
        for title, qs in sorted(articles.items()):
            for q in qs:
                row = {"id": q["id"], "kind": f"{q['set']} {'answerable' if q['answerable'] else 'unanswerable'}",
                       "question": q["question"], "answers": q["answers"], "answerable": q["answerable"], "article": title}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{sum(len(q) for q in articles.values())} questions over {len(articles)} {args.fold} articles in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
