"""Reading gold files: clear errors naming the line; the shared dataset and the project's own gold set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.gold import check_against_documents, load_gold
from evals.metrics import normalise
from rag.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "evals" / "gold.jsonl"
SEED = ROOT / "seeds" / "us-russia-ukraine-talks-saudi-arabia-2025-02.txt"
SQUAD = ROOT.parent / "shared" / "datasets" / "squad2-complexity" / "questions.jsonl"
# The shared development set sits beside the clone in CI and here; a clone elsewhere skips the tests that read it.
needs_squad = pytest.mark.skipif(not SQUAD.exists(), reason=f"{SQUAD} is not beside this clone")
GOOD = '{"id": "q1", "question": "Who attends?", "answers": ["Mike Waltz"], "answerable": true}'


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_gold_reads_history_doc_id_and_ignores_extra_fields(tmp_path: Path) -> None:
    row = {"id": 7, "question": "What did he say?", "answers": ["dual tracks"], "answerable": True, "paragraph": 3,
           "doc_id": "a.txt", "kind": "follow-up", "history": [{"role": "user", "content": "Who is Kellogg?"}]}
    (q1,) = (q for q in load_gold(write(tmp_path, "", json.dumps(row), "  ")))
    assert (q1.id, q1.answers, q1.doc_id, q1.kind, q1.line) == ("7", ("dual tracks",), "a.txt", "follow-up", 2)
    assert q1.history == ({"role": "user", "content": "Who is Kellogg?"},)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"id": "q2", "question": "Who?", "answers": ["x"], "answerable": true', "not valid JSON"),
        ('["q2", "Who?"]', "expected a JSON object"),
        ('{"id": "q2", "answers": ["x"], "answerable": true}', "missing field 'question'"),
        ('{"id": "q2", "question": "Who?", "answerable": true}', "missing field 'answers'"),
        ('{"id": "q2", "question": "Who?", "answers": "x", "answerable": true}', "'answers' must be a list"),
        ('{"id": "q2", "question": "Who?", "answers": ["x", 3], "answerable": true}', "'answers' must be a list"),
        ('{"id": "q2", "question": "Who?", "answers": ["x"], "answerable": "yes"}', "'answerable' must be true or false"),
        ('{"id": "q2", "question": "  ", "answers": ["x"], "answerable": true}', "'question' must be a non-empty string"),
        ('{"id": null, "question": "Who?", "answers": ["x"], "answerable": true}', "'id' must be"),
        ('{"id": "q2", "question": "Who?", "answers": [], "answerable": true}', "needs at least one answer"),
        ('{"id": "q2", "question": "Who?", "answers": ["x"], "answerable": false}', "must have an empty 'answers'"),
        ('{"id": "q2", "question": "Who?", "answers": ["x"], "answerable": true, "history": [{"role": "bot", "content": "hi"}]}',
         "history turn 1"),
        ('{"id": "q2", "question": "Who?", "answers": ["x"], "answerable": true, "history": "earlier"}', "'history' must be a list"),
        ('{"id": "q1", "question": "Who?", "answers": ["x"], "answerable": true}', "duplicate id 'q1' (first on line 1)"),
    ],
)
def test_broken_gold_line_is_named_in_the_error(tmp_path: Path, bad_line: str, message: str) -> None:
    path = write(tmp_path, GOOD, "", bad_line)
    with pytest.raises(ConfigError) as caught:
        load_gold(path)
    assert f"{path}:3: " in str(caught.value)
    assert message in str(caught.value)


def test_missing_or_empty_gold_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gold file not found"):
        load_gold(tmp_path / "nope.jsonl")
    with pytest.raises(ConfigError, match="no questions"):
        load_gold(write(tmp_path, "", ""))


@needs_squad
def test_the_shared_squad_questions_read_with_the_same_reader() -> None:
    questions = load_gold(SQUAD)
    assert len(questions) == 418
    assert sum(q.answerable for q in questions) == 197


def test_project_gold_set_meets_its_brief() -> None:
    questions = load_gold(GOLD)
    unanswerable = [q for q in questions if not q.answerable]
    assert len(questions) >= 40
    assert len(unanswerable) >= 10
    assert {q.kind for q in unanswerable} == {"off-topic", "near-miss"}
    assert len([q for q in questions if q.history and q.answerable]) >= 5


def test_every_gold_answer_is_verbatim_in_the_seed_and_every_paragraph_is_asked_about() -> None:
    text = SEED.read_text(encoding="utf-8")
    questions = load_gold(GOLD)
    for q in questions:
        for answer in q.answers:
            assert normalise(answer) in normalise(text), (q.id, answer)
    paragraphs = [p for p in text.splitlines() if p.strip()]
    for p in paragraphs:
        assert any(q.answerable and any(normalise(a) in normalise(p) for a in q.answers) for q in questions), p[:60]


def test_gold_questions_paraphrase_rather_than_copy_the_article() -> None:
    words = re.findall(r"[\w'’-]+", SEED.read_text(encoding="utf-8").lower())
    article_5grams = {tuple(words[i : i + 5]) for i in range(len(words) - 4)}
    for q in load_gold(GOLD):
        qw = re.findall(r"[\w'’-]+", q.question.lower())
        copied = [g for g in (tuple(qw[i : i + 5]) for i in range(len(qw) - 4)) if g in article_5grams]
        assert not copied, (q.id, copied)


def test_gold_checked_against_documents_refuses_unknown_doc_id_and_warns_on_unfindable_answers(tmp_path: Path) -> None:
    docs = {"a.txt": "Rubio met  Lavrov.", "b.txt": "Kellogg spoke in Munich."}
    rows = [
        {"id": "ok", "question": "Who met Lavrov?", "answers": ["rubio met lavrov"], "answerable": True, "doc_id": "a.txt"},
        {"id": "wrong-doc", "question": "Where?", "answers": ["Munich"], "answerable": True, "doc_id": "a.txt"},
        {"id": "typo", "question": "Where?", "answers": ["Munchen"], "answerable": True},
        {"id": "none", "question": "When?", "answers": [], "answerable": False},
    ]
    path = write(tmp_path, *(json.dumps(r) for r in rows))
    assert check_against_documents(load_gold(path), docs, path) == [
        f"{path}:2: no answer of question 'wrong-doc' appears verbatim in the documents",
        f"{path}:3: no answer of question 'typo' appears verbatim in the documents",
    ]
    missing = write(tmp_path, json.dumps({**rows[0], "doc_id": "c.txt"}))
    with pytest.raises(ConfigError, match=r"gold.jsonl:1: doc_id 'c.txt' is not a document"):
        check_against_documents(load_gold(missing), docs, missing)


def test_project_gold_answers_are_all_findable() -> None:
    seed = {SEED.name: SEED.read_text(encoding="utf-8")}
    assert check_against_documents(load_gold(GOLD), seed, GOLD) == []


@needs_squad
def test_squad_gold_answers_are_all_findable() -> None:
    article = SQUAD.parent / "docs" / "Computational_complexity_theory.txt"
    assert check_against_documents(load_gold(SQUAD), {article.name: article.read_text(encoding="utf-8")}, SQUAD) == []
