"""Training examples are made by the product's own reader, splitter and retriever, labelled by the gold answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.settings import Settings
from training.data import squad_examples

PARAGRAPHS = [
    "The Brenzo kiln was built in 1874 by the potter Ada Quist. It burns wood from the nearby forest.",
    "Quist trained twelve apprentices. Her glazes are kept in the town museum today.",
]


def _squad_dir(root: Path) -> Path:
    rows = [
        {"id": "q1", "title": "Brenzo_kiln", "context": PARAGRAPHS[0], "question": "Who built the Brenzo kiln?",
         "answers": ["Ada Quist"], "answerable": True, "paragraph_index": 0},
        {"id": "q2", "title": "Brenzo_kiln", "context": PARAGRAPHS[1], "question": "Where are her glazes kept?",
         "answers": ["the town museum"], "answerable": True, "paragraph_index": 1},
        {"id": "q3", "title": "Brenzo_kiln", "context": PARAGRAPHS[1], "question": "Who trained forty apprentices?",
         "answers": [], "answerable": False, "paragraph_index": 1},
        {"id": "q4", "title": "Normans", "context": "The Normans came from Normandy.", "question": "Where?",
         "answers": ["Normandy"], "answerable": True, "paragraph_index": 0},
    ]
    for name in ("squad2-dev-explorer", "squad11-dev-explorer"):
        (root / name).mkdir(parents=True)
        mine = rows if name.startswith("squad2") else []
        (root / name / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in mine), encoding="utf-8")
    return root


@pytest.mark.slow
def test_squad_questions_become_candidates_labelled_by_the_sentence_holding_the_answer(tmp_path: Path) -> None:
    examples = {ex.qid: ex for ex in squad_examples(_squad_dir(tmp_path / "train"), tmp_path / "work", Settings(), log=False)}
    assert set(examples) == {"q1", "q2", "q3"}  # the Normans article is never used
    q1, q2, q3 = examples["q1"], examples["q2"], examples["q3"]
    assert "Ada Quist" in q1.sentences[q1.label] and q1.group == "squad2:Brenzo_kiln"
    assert "town museum" in q2.sentences[q2.label]
    assert q2.contexts[q2.label] == "Quist trained twelve apprentices."  # the sentence before, as at inference
    assert q3.label == -1 and q3.positives == () and q3.sentences  # unanswerable: its plausible sentences are negatives
