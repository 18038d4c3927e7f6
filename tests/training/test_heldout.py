"""The training data's articles split into a held-out fold and a training fold, each written as an eval set."""

from __future__ import annotations

import json
from pathlib import Path

from training.heldout import main


def _train_dir(root: Path) -> Path:
    rows = [
        {"id": f"q{i}", "title": title, "context": f"The {title} article says {i}.", "question": f"What does {title} say?",
         "answers": [str(i)], "answerable": True, "paragraph_index": 0}
        for i, title in enumerate(["Kiln", "Harbour", "Glacier", "Orchard", "Lighthouse", "Normans", "Quarry", "Canal"])
    ]
    for name in ("squad2-dev-explorer", "squad11-dev-explorer"):
        (root / name).mkdir(parents=True)
        mine = rows if name.startswith("squad2") else []
        (root / name / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in mine), encoding="utf-8")
    return root


def _articles(out: Path) -> set[str]:
    return {json.loads(line)["article"] for line in (out / "gold.jsonl").read_text(encoding="utf-8").splitlines()}


def test_the_held_out_and_training_folds_share_no_article_and_leave_out_the_excluded_ones(tmp_path: Path) -> None:
    train_dir = _train_dir(tmp_path / "train")
    assert main(["--train-dir", str(train_dir), "--out", str(tmp_path / "held")]) == 0
    assert main(["--train-dir", str(train_dir), "--fold", "train", "--out", str(tmp_path / "fit")]) == 0
    held, fit = _articles(tmp_path / "held"), _articles(tmp_path / "fit")
    assert held and fit and not held & fit
    assert held | fit == {"Kiln", "Harbour", "Glacier", "Orchard", "Lighthouse", "Quarry", "Canal"}  # never Normans
    assert len(list((tmp_path / "fit" / "docs").glob("*.txt"))) == len(fit)
