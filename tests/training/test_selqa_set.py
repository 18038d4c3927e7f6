"""SelQA's questions become an eval set: each article a document holding every answer sentence, split by article."""

from __future__ import annotations

import json
from pathlib import Path

from training.selqa_set import main


def _train_dir(root: Path) -> Path:
    rows = []
    for a, title in enumerate(["Kiln", "Harbour", "Glacier", "Orchard", "Lighthouse", "Normans", "Quarry", "Canal"]):
        for s, sentence in enumerate([f"The {title} was built in {1800 + a}.", f"The {title} is visited by {a + 2} thousand people."]):
            rows.append({"id": f"q{a}-s{s}", "qid": f"q{a}", "question": f"When was the {title} built?", "title": title,
                         "section": "History", "is_paraphrase": bool(a % 2), "sentence": sentence, "label": int(s == 0)})
    (root / "selqa").mkdir(parents=True)
    (root / "selqa" / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


def test_selqa_folds_share_no_article_and_every_answer_is_in_its_document(tmp_path: Path) -> None:
    train_dir = _train_dir(tmp_path / "train")
    sides = {}
    for fold in ("train", "heldout"):
        out = tmp_path / fold
        assert main(["--train-dir", str(train_dir), "--fold", fold, "--out", str(out)]) == 0
        gold = [json.loads(line) for line in (out / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
        for row in gold:
            text = (out / "docs" / f"{row['article']}.txt").read_text(encoding="utf-8")
            assert row["answerable"] and all(answer in text for answer in row["answers"])
        sides[fold] = {row["article"] for row in gold}
    assert sides["train"] and sides["heldout"] and not sides["train"] & sides["heldout"]
    assert "Normans" not in sides["train"] | sides["heldout"]
