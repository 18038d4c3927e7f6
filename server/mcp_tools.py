"""`rag mcp`: the documents as a Model Context Protocol server over stdio, for agents and MCP clients.

Three tools, `ask` (verbatim quotes with offsets an agent can check), `search` (the passages retrieval ranks first)
and `get_document` (a document's text, or a slice of it by character offsets), and every indexed document as a
resource `rag://documents/{doc_id}`. Each call runs the same `Engine` as the page and `POST /api/ask`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import Resource as MCPResource
from pydantic import Field

from rag.engine import Engine
from rag.errors import RagError
from rag.schema import Document
from rag.settings import Settings

URI_PREFIX = "rag://documents/"
MAX_K = 50
INSTRUCTIONS = (
    "Answers questions from the user's own documents with verbatim quotes. Each citation's quote is exactly "
    "get_document(doc_id).text[start:end], so every claim can be checked. An abstained answer means the documents "
    "don't say; don't guess then."
)
log = logging.getLogger("server.mcp")


def document_uri(doc_id: str) -> str:
    """A document's resource URI (its id percent-encoded, slashes kept).

    >>> document_uri("notes/team handbook.md")
    'rag://documents/notes/team%20handbook.md'
    """
    return URI_PREFIX + quote(doc_id, safe="/")


class DocumentsServer(MCPServer[Any]):
    """An MCPServer whose resource list is the engine's current documents (the index may change while it runs)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__("rag-quotes", instructions=INSTRUCTIONS)
        self.engine = engine

    async def list_resources(self) -> list[MCPResource]:
        """One resource per indexed document."""
        docs = await anyio.to_thread.run_sync(lambda: list(self.engine.index.documents.values()))
        return [MCPResource(uri=document_uri(d.doc_id), name=d.doc_id, title=d.title, mime_type="text/plain", size=d.size)
                for d in docs]


def build_server(engine: Engine) -> DocumentsServer:
    """The MCP server over one engine, its tools and resources registered."""
    server = DocumentsServer(engine)

    def document(doc_id: str) -> Document:
        doc = engine.index.documents.get(doc_id)
        if doc is None:
            raise ToolError(f"no document {doc_id!r}; list them with resources/list or see the doc_id of a citation")
        return doc

    @server.tool(description="Answer a question from the documents: verbatim quotes with numbered citations, or abstained "
                             "when the documents don't say. Follow-ups: pass the earlier turns as history.")
    async def ask(
        question: Annotated[str, Field(min_length=1)],
        history: Annotated[list[dict[str, str]] | None, Field(description="earlier turns: [{role, content}, ...]")] = None,
    ) -> dict[str, Any]:
        _check_length("question", question, engine.settings.max_question_chars)
        answer = await _run(engine.ask, question, history)
        return {"answer": answer.answer, "abstained": answer.abstained, "searched_question": answer.searched_question,
                "confidence": round(answer.confidence, 4),
                "citations": [{"n": c.n, "doc_id": c.doc_id, "title": c.title, "quote": c.quote, "start": c.start,
                               "end": c.end} for c in answer.citations],
                "passages": [_passage(p) for p in answer.passages] if answer.abstained else []}

    @server.tool(description="The passages of the documents that hybrid (meaning and keyword) search ranks first.")
    async def search(
        query: Annotated[str, Field(min_length=1)], k: Annotated[int, Field(ge=1, le=MAX_K)] = 5
    ) -> list[dict[str, Any]]:
        _check_length("query", query, engine.settings.max_question_chars)
        return [_passage(p) for p in await _run(engine.search, query, k)]

    @server.tool(description="A document's text, whole or the characters [start, end) (the offsets citations give).")
    async def get_document(
        doc_id: str, start: Annotated[int | None, Field(ge=0)] = None, end: Annotated[int | None, Field(ge=0)] = None
    ) -> dict[str, Any]:
        doc = await anyio.to_thread.run_sync(document, doc_id)
        lo, hi = start or 0, len(doc.text) if end is None else min(end, len(doc.text))
        if lo > hi:
            raise ToolError(f"start ({lo}) is after end ({hi}); the document has {len(doc.text)} characters")
        return {"doc_id": doc.doc_id, "title": doc.title, "start": lo, "end": hi, "length": len(doc.text),
                "text": doc.text[lo:hi]}

    @server.resource(URI_PREFIX + "{+doc_id}", name="document", mime_type="text/plain",
                     description="An indexed document's text, as quoted by citations")
    async def read_document(doc_id: str) -> str:
        return (await anyio.to_thread.run_sync(document, doc_id)).text

    return server


def _check_length(name: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise ToolError(f"the {name} is longer than {limit:,} characters")


async def _run(fn: Any, *args: Any) -> Any:
    """Run CPU-bound engine work off the event loop; the library's errors become tool errors the client reads."""
    try:
        return await anyio.to_thread.run_sync(fn, *args)
    except RagError as exc:
        raise ToolError(str(exc)) from exc


def _passage(p: Any) -> dict[str, Any]:
    return {"doc_id": p.doc_id, "title": p.title, "text": p.text, "start": p.start, "end": p.end, "score": p.score}


def serve_stdio(settings: Settings) -> None:
    """Serve MCP over this process's stdin and stdout until the client closes them.

    Stdout carries only protocol messages: anything else printed (a library's progress line) goes to stderr.
    """
    protocol_out = os.dup(1)
    os.dup2(2, 1)  # stray prints, from Python or a C library, land on stderr
    sys.stdout = os.fdopen(protocol_out, "w", encoding="utf-8", buffering=1)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = Engine(settings)
    if engine.is_stale():
        log.info("indexing %s into %s first", settings.docs_dir, settings.index_dir)
        engine.build()
    engine.warm_up()
    log.info("serving %d documents of %s over MCP (stdio)", len(engine.index.documents), settings.docs_dir)
    anyio.run(build_server(engine).run_stdio_async)
