"""Write SelQA's questions as a `rag eval` set: one document per article (its sections in the order met) and every
question of one side of the article split. Every SelQA question has an answer, and half are a crowd worker's
paraphrase of another: answerable questions that don't copy the text, which SQuAD's rarely are (`evals.fit`).

Run: python -m training.selqa_set --fold train --out artifacts/train/selqa
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from training.data import EXCLUDED_TITLES, file_name
from training.folds import one_side


def selqa_questions(train_dir: Path) -> dict[str, list[dict[str, object]]]:
    """SelQA's rows grouped by question id, excluded articles left out."""
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for line in (train_dir / "selqa" / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["title"] not in EXCLUDED_TITLES:
            groups[str(row["qid"])].append(row)
    return dict(groups)


def article_texts(questions: dict[str, list[dict[str, object]]]) -> dict[str, str]:
    """Each article's text: its title, then each section's sentences as one paragraph, in the order first met.

    >>> rows = [{"title": "Kiln", "section": "History", "sentence": s} for s in ("It was built in 1874.", "It burns wood.")]
    >>> article_texts({"q1": rows})["Kiln"]
    'Kiln\\n\\nIt was built in 1874. It burns wood.\\n'
    """
    sections: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for rows in questions.values():
        for r in rows:
            sentences = sections[str(r["title"])].setdefault(str(r["section"]), [])
            if r["sentence"] not in sentences:
                sentences.append(str(r["sentence"]))
    return {title: "\n\n".join([title, *(" ".join(s) for s in secs.values())]) + "\n" for title, secs in sections.items()}


def main(argv: list[str] | None = None) -> int:
    """Write docs/ (one article a file) and gold.jsonl (each question with its answer sentences)."""
    p = argparse.ArgumentParser(prog="python -m training.selqa_set", description=__doc__.splitlines()[0])
    p.add_argument("--train-dir", type=Path, default=Path("../shared/datasets/train"))
    p.add_argument("--out", type=Path, default=Path("artifacts/train/selqa"))
    p.add_argument("--fold", choices=("heldout", "train"), default="train", help="which side of the article split to write")
    args = p.parse_args(argv)
    every = selqa_questions(args.train_dir)
    # The split the model was trained with.
    mine = {q: every[q] for q in one_side({q: f"selqa:{rows[0]['title']}" for q, rows in every.items()}, args.fold == "heldout")}
    texts = article_texts(mine)
    docs = args.out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for title, text in texts.items():
        (docs / f"{file_name(title)}.txt").write_text(text, encoding="utf-8")
    with (args.out / "gold.jsonl").open("w", encoding="utf-8") as out:
        for qid, rows in sorted(mine.items()):
            answers = [str(r["sentence"]) for r in rows if r["label"]]
            if answers:
                row = {"id": qid, "kind": "selqa paraphrase" if rows[0]["is_paraphrase"] else "selqa answerable",
                       "question": rows[0]["question"], "answers": answers, "answerable": True, "article": rows[0]["title"]}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(mine)} questions over {len(texts)} {args.fold} articles in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
