"""The plain, frozen records that flow through the library."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One loaded document; `doc_id` is its path relative to the docs folder."""

    doc_id: str
    title: str
    text: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Chunk:
    """A few consecutive sentences of a document: `text == document.text[start:end]`."""

    chunk_id: int
    doc_id: str
    start: int
    end: int
    first_sentence: int  # global sentence ids [first_sentence, last_sentence)
    last_sentence: int


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its scores."""

    chunk_id: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    dense: float
    lexical: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the HTTP API."""
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A verbatim quote: `document.text[start:end] == quote`; a PDF's quote also has its `page` (1-based) and
    `boxes`, its rectangles on that page, one per line, in PDF points from the page's bottom left: [x0, y0, x1, y1]."""

    n: int
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    page: int | None = None
    boxes: tuple[tuple[float, float, float, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the HTTP API."""
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What `ask()` returns; `to_dict()` is the body of `POST /api/ask` and `rag ask --json`."""

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    searched_question: str
    confidence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the HTTP API."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "searched_question": self.searched_question,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
