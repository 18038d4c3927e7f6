"""The request and response bodies of the HTTP API (pydantic), so /openapi.json describes them exactly."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

MAX_HISTORY_TURNS = 50
MAX_TURN_CHARS = 20_000
MAX_TOP_K = 50
# Control characters other than tab, newline and carriage return carry no meaning in a question.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Reject lone surrogates (not encodable text) and blank out control characters.

    >>> clean_text("a\\x00b")
    'a b'
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("contains characters that are not valid Unicode text (lone surrogates)") from exc
    return _CONTROL.sub(" ", value)


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: StrictStr = Field(max_length=MAX_TURN_CHARS)

    @field_validator("content")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)


class AskRequest(BaseModel):
    """A question, the earlier turns (for follow-ups) and how many passages to return."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "What did Kellogg say about Europe?", "history": [], "top_k": 5}]},
    )

    # The pattern: some character that is neither a space nor a control character (those are blanked out).
    question: StrictStr = Field(
        min_length=1, pattern=r"[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]",
        description="The question, not blank; at most the server's max_question_chars characters.",
    )
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    top_k: int | None = Field(default=None, ge=1, le=MAX_TOP_K, description="Passages to return (default: the server's top_k).")

    @field_validator("top_k", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        """A JSON integer, 5.0 included (JSON Schema's "integer"), never a string, a boolean or 5.5."""
        if isinstance(value, (bool, str)) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("Input should be a valid integer")
        return int(value) if isinstance(value, float) else value

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = clean_text(value)
        if not value.strip():
            raise ValueError("the question is empty")
        return value


class CitationOut(BaseModel):
    """A verbatim quote: the document's text[start:end] is exactly `quote`."""

    n: int
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    page: int | None = Field(None, description="a PDF's quote: the page it is on (1-based)")
    boxes: list[list[float]] = Field(default_factory=list, description="a PDF's quote: its rectangles on the page, one "
                                     "per line, [x0, y0, x1, y1] in PDF points from the page's bottom left")


class PassageOut(BaseModel):
    """A retrieved passage with its scores."""

    chunk_id: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    dense: float
    lexical: float


class AnswerOut(BaseModel):
    """The engine's answer: quotes with numbered citations, or an abstention with the closest passages."""

    question: str
    answer: str
    abstained: bool
    confidence: float
    citations: list[CitationOut]
    passages: list[PassageOut]
    searched_question: str
    timings_ms: dict[str, float]


class DocumentSummary(BaseModel):
    """A document of the index, without its text."""

    doc_id: str
    title: str
    size: int
    chunks: int


class DocumentDetail(DocumentSummary):
    """A document of the index with its full text (offsets in citations index into it)."""

    sha256: str
    text: str


class PlaceOut(BaseModel):
    """Where a quote lies in a PDF: its page (1-based) and its rectangles on it, one per line, in PDF points."""

    page: int
    boxes: list[list[float]]


class PagesOut(BaseModel):
    """A PDF's pages, each [width, height] in points, and the place of the span asked about (null: not found)."""

    sizes: list[list[float]]
    quote: PlaceOut | None = None


class JobOut(BaseModel):
    """A background build: the uploaded files it indexes, how far the embedding is, and its outcome."""

    id: str
    files: list[str]
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    done: int = Field(description="texts embedded so far")
    total: int = Field(description="texts to embed (0 until the build has read the files)")
    message: str = Field(description="why files were not indexed, or why the job stopped")
    stage: str = Field("", description="what the build is doing now when it is slow, e.g. reading a scan by OCR")
    generation: str | None


class UploadOut(BaseModel):
    """The stored, indexed document and how long indexing took; `existing` when the same file was indexed already
    (under `document.doc_id`) and nothing was added; with 202, the `job` that indexes it in the background."""

    document: DocumentSummary | None
    generation: str | None
    seconds: float
    existing: bool = False
    job: JobOut | None = None


class DeleteOut(BaseModel):
    """The removed document id and the generation now served."""

    deleted: str
    generation: str


class HealthOut(BaseModel):
    """Whether the server can answer, and what it serves."""

    status: Literal["ready", "starting", "error"]
    ready: bool
    documents: int = 0
    chunks: int = 0
    model: str
    generation: str | None = None
    index_built: str | None = None
    uploads_need_token: bool = False
    max_question_chars: int
    max_upload_bytes: int
    error: str | None = None


class Problem(BaseModel):
    """One thing wrong with a request's body or parameters."""

    field: str = Field(description="where, as a dotted path (\"history.0.role\"); empty for the body as a whole")
    msg: str


class ErrorOut(BaseModel):
    """Every error the API gives: one readable line, and for 422 the problems one by one."""

    detail: str = Field(description="what went wrong, fit to show a user")
    errors: list[Problem] | None = Field(default=None, description="422 only: each invalid field")


def error_responses(*codes: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI entries for the error statuses a route can give, each with the ErrorOut body."""
    meaning = {
        400: "malformed request (e.g. an invalid Content-Length)", 401: "the API token is missing or wrong",
        403: "a write from another site", 404: "no document has this id", 413: "the body or file is too big",
        415: "unsupported file type", 422: "invalid input", 500: "internal error (the server log has the details)",
        503: "busy, starting, or the index is unusable (see Retry-After)", 507: "the disk is full; nothing was changed",
    }
    return {code: {"model": ErrorOut, "description": meaning[code]} for code in codes}
