"""Reading gold question files (JSON Lines), with errors that name the file and the line."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import normalise
from rag.errors import ConfigError

_ROLES = ("user", "assistant")


@dataclass(frozen=True)
class GoldQuestion:
    """One gold question: acceptable answers (empty when unanswerable) and the earlier turns, if a follow-up."""

    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    history: tuple[dict[str, str], ...] = ()
    doc_id: str | None = None
    kind: str | None = None  # optional label for breakdowns: fact, follow-up, off-topic, near-miss, ...
    line: int = 0


def load_gold(path: Path) -> tuple[GoldQuestion, ...]:
    """Read and check a gold file; raise ConfigError naming the line of the first problem.

    Blank lines are ignored; fields other than the known ones (e.g. SQuAD's `paragraph`) are allowed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"gold file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"can't read gold file {path}: {exc}") from exc
    questions: list[GoldQuestion] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        gold = parse_gold_line(raw, number, path)
        if gold.id in seen:
            raise ConfigError(f"{path}:{number}: duplicate id {gold.id!r} (first on line {seen[gold.id]})")
        seen[gold.id] = number
        questions.append(gold)
    if not questions:
        raise ConfigError(f"{path}: no questions in the gold file")
    return tuple(questions)


def parse_gold_line(raw: str, number: int, path: Path | str = "<gold>") -> GoldQuestion:
    """Parse one line of a gold file.

    >>> parse_gold_line('{"id": "q1", "question": "Who?", "answers": ["Ann"], "answerable": true}', 1).answers
    ('Ann',)
    """
    where = f"{path}:{number}"
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for name in ("id", "question", "answers", "answerable"):
        if name not in obj:
            raise ConfigError(f"{where}: missing field {name!r}")
    qid = obj["id"]
    if isinstance(qid, bool) or not isinstance(qid, str | int) or str(qid).strip() == "":
        raise ConfigError(f"{where}: 'id' must be a non-empty string or integer")
    question = _text(obj["question"], "question", where)
    answerable = obj["answerable"]
    if not isinstance(answerable, bool):
        raise ConfigError(f"{where}: 'answerable' must be true or false, not {answerable!r}")
    answers = obj["answers"]
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise ConfigError(f"{where}: 'answers' must be a list of non-empty strings")
    if answerable and not answers:
        raise ConfigError(f"{where}: an answerable question needs at least one answer in 'answers'")
    if not answerable and answers:
        raise ConfigError(f"{where}: an unanswerable question must have an empty 'answers' list")
    return GoldQuestion(
        id=str(qid), question=question, answers=tuple(answers), answerable=answerable,
        history=_history(obj.get("history"), where), doc_id=_optional_text(obj, "doc_id", where),
        kind=_optional_text(obj, "kind", where), line=number,
    )


def check_against_documents(questions: Sequence[GoldQuestion], documents: Mapping[str, str], path: Path | str) -> list[str]:
    """Refuse a `doc_id` that names no document; return a warning for each answerable question none of whose
    answers appears in the documents (it can never be hit: usually a typo or a paraphrased answer)."""
    texts = {doc_id: normalise(text) for doc_id, text in documents.items()}
    warnings = []
    for q in questions:
        if q.doc_id is not None and q.doc_id not in texts:
            raise ConfigError(f"{path}:{q.line}: doc_id {q.doc_id!r} is not a document of the documents folder")
        scope = [texts[q.doc_id]] if q.doc_id is not None else list(texts.values())
        if q.answerable and not any(normalise(a) in text for a in q.answers for text in scope):
            warnings.append(f"{path}:{q.line}: no answer of question {q.id!r} appears verbatim in the documents")
    return warnings


def _text(value: Any, name: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {name!r} must be a non-empty string")
    return value


def _optional_text(obj: dict[str, Any], name: str, where: str) -> str | None:
    value = obj.get(name)
    return None if value is None else _text(value, name, where)


def _history(value: Any, where: str) -> tuple[dict[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: 'history' must be a list of {{role, content}} turns")
    turns = []
    for i, turn in enumerate(value, start=1):
        if not isinstance(turn, dict) or turn.get("role") not in _ROLES or not isinstance(turn.get("content"), str):
            raise ConfigError(f"{where}: history turn {i} must be {{\"role\": \"user\"|\"assistant\", \"content\": \"...\"}}")
        turns.append({"role": turn["role"], "content": turn["content"]})
    return tuple(turns)
