"""OpenAI-compatible chat completions, so chat front ends (Open WebUI, LibreChat) and the `openai` client can ask the
documents: the last user message is the question, the earlier messages its history; the reply is the answer with
its [n] markers, then the sources, and the structured citations in the extra field `rag`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.errors import ConfigError
from rag.schema import Answer
from server.state import State

MODEL_ID = "rag-quotes"
router = APIRouter(prefix="/v1", tags=["openai"])


class ContentPart(BaseModel):
    """One part of a message's content; only text parts are read."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """A message of the conversation (system and tool messages are ignored)."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text, its text parts joined."""
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.text)
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's chat-completions request; sampling options are accepted and ignored (answers are quotes)."""

    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False


def reply_text(answer: Answer) -> str:
    """The answer with its [n] markers, then one line per source: title, quote, and the link that opens it."""
    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources:")
        lines += [f"[{c.n}] {c.title}: \"{c.quote}\" (/documents/{c.doc_id}#{c.start}-{c.end})" for c in answer.citations]
    elif answer.passages:
        lines.append("Closest passages:")
        lines += [f"- {p.title}: \"{' '.join(p.text.split()[:40])}\" (/documents/{p.doc_id}#{p.start}-{p.end})" for p in answer.passages]
    return "\n".join(lines).strip()


NO_QUESTION = "There is no question to answer yet: ask one about your documents."


def _conversation(request: ChatRequest) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message, "" when there is none) and the history before it."""
    turns = [m for m in request.messages if m.role in ("user", "assistant")]
    last = max((i for i, m in enumerate(turns) if m.role == "user"), default=None)
    if last is None:
        return "", []
    return turns[last].text(), [{"role": m.role, "content": m.text()} for m in turns[:last]]


class OpenAIError(BaseModel):
    """OpenAI's error body: {"error": {"message", "type", "param", "code"}}."""

    error: dict[str, str | None]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": OpenAIError, "description": "an error in OpenAI's shape"} for code in codes}


@router.get("/models", responses=_errors(400, 401, 413, 500))
def models() -> dict[str, Any]:
    """The one model: rag-quotes."""
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag-quotes"}]}


_STREAM: dict[int | str, dict[str, Any]] = {200: {
    "description": "the completion; with `stream: true`, Server-Sent Events of chunks ending with [DONE]",
    "content": {"text/event-stream": {"schema": {"type": "object", "properties": {"data": {"type": "string"}}}}},
}}


@router.post("/chat/completions", responses={**_STREAM, **_errors(400, 401, 403, 413, 422, 500, 503)})
async def chat_completions(body: ChatRequest, state: State) -> Any:
    """Answer the last user message from the documents (OpenAI's shape; `stream: true` sends Server-Sent Events)."""
    question, history = _conversation(body)
    if len(question) > state.settings.max_question_chars:
        raise ConfigError(f"the question is longer than {state.settings.max_question_chars:,} characters")
    state.index()  # 503 while starting
    made, ident = int(time.time()), f"chatcmpl-{uuid.uuid4().hex[:24]}"
    if not question.strip():  # a chat front end's system-only or empty turn: a reply, not an error
        text, extra = NO_QUESTION, {"question": "", "answer": NO_QUESTION, "abstained": True, "citations": [], "passages": []}
    else:
        with state.ask_gate.slot():
            answer = await run_in_threadpool(state.engine.ask, question, history)
        text, extra = reply_text(answer), answer.to_dict()
    if body.stream:
        return StreamingResponse(_events(ident, made, text, extra), media_type="text/event-stream")
    return {
        "id": ident, "object": "chat.completion", "created": made, "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, "rag": extra,
    }


def _events(ident: str, made: int, text: str, extra: dict[str, Any]) -> Iterator[str]:
    """OpenAI's chunk stream: the role, the text line by line, the stop (with `rag`), then [DONE]."""
    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        body = {"id": ident, "object": "chat.completion.chunk", "created": made, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for line in text.splitlines(keepends=True):
        yield chunk({"content": line})
    yield chunk({}, "stop", rag=extra)
    yield "data: [DONE]\n\n"
