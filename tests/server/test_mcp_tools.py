"""`rag mcp`: the real command over stdio, driven by the MCP SDK's own client."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from rag.engine import Engine
from server.mcp_tools import document_uri

pytestmark = pytest.mark.slow
RAG = str(Path(sys.executable).with_name("rag"))


@asynccontextmanager
async def session(engine: Engine) -> AsyncIterator[ClientSession]:
    s = engine.settings
    params = StdioServerParameters(command=RAG, args=["mcp", "--docs", str(s.docs_dir), "--index", str(s.index_dir)])
    async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
        await client.initialize()
        yield client


def result(reply: Any) -> Any:
    """A tool's structured result (a list comes wrapped in {"result": [...]})."""
    assert not reply.is_error, reply.content
    data = reply.structured_content
    return data["result"] if set(data) == {"result"} else data


def test_ask_quotes_verbatim_with_offsets_that_get_document_returns(seed_engine: Engine) -> None:
    async def steps(client: ClientSession) -> Any:
        tools = {t.name for t in (await client.list_tools()).tools}
        answer = result(await client.call_tool("ask", {"question": "Where did Rubio arrive on Saturday?"}))
        cited = answer["citations"][0]
        args = {"doc_id": cited["doc_id"], "start": cited["start"], "end": cited["end"]}
        return tools, answer, cited, result(await client.call_tool("get_document", args))

    tools, answer, cited, doc = anyio.run(lambda: _with(seed_engine, steps))
    assert tools == {"ask", "search", "get_document"}
    assert not answer["abstained"] and "Israel" in answer["answer"] and "[1]" in answer["answer"]
    assert doc["text"] == cited["quote"] == seed_engine.index.documents[cited["doc_id"]].text[cited["start"] : cited["end"]]


async def _with(engine: Engine, steps: Any) -> Any:
    async with session(engine) as client:
        return await steps(client)


def test_a_follow_up_uses_its_history_and_an_off_corpus_question_abstains_with_passages(seed_engine: Engine) -> None:
    history = [{"role": "user", "content": "Where did Rubio arrive on Saturday?"},
               {"role": "assistant", "content": "Rubio arrived in Israel."}]

    async def steps(client: ClientSession) -> Any:
        follow = result(await client.call_tool("ask", {"question": "Who did he meet there?", "history": history}))
        off = result(await client.call_tool("ask", {"question": "What is the boiling point of mercury in kelvin?"}))
        return follow, off

    follow, off = anyio.run(lambda: _with(seed_engine, steps))
    assert "Rubio" in follow["searched_question"]
    assert off["abstained"] and off["citations"] == [] and off["passages"]


def test_search_returns_k_passages_that_are_slices_of_their_documents(seed_engine: Engine) -> None:
    async def steps(client: ClientSession) -> Any:
        return result(await client.call_tool("search", {"query": "talks in Saudi Arabia", "k": 3}))

    passages = anyio.run(lambda: _with(seed_engine, steps))
    assert len(passages) == 3
    for p in passages:
        assert seed_engine.index.documents[p["doc_id"]].text[p["start"] : p["end"]] == p["text"]


def test_bad_calls_come_back_as_tool_errors_saying_what_is_wrong(seed_engine: Engine) -> None:
    async def steps(client: ClientSession) -> Any:
        return [await client.call_tool("get_document", {"doc_id": "no-such.md"}),
                await client.call_tool("get_document", {"doc_id": next(iter(seed_engine.index.documents)), "start": 9, "end": 2}),
                await client.call_tool("search", {"query": "x", "k": 0}),
                await client.call_tool("ask", {"question": ""})]

    replies = anyio.run(lambda: _with(seed_engine, steps))
    assert all(r.is_error for r in replies)
    texts = [r.content[0].text for r in replies]
    assert "no document 'no-such.md'" in texts[0] and "start (9) is after end (2)" in texts[1]


def test_every_document_is_a_resource_whose_text_is_the_indexed_text(seed_engine: Engine) -> None:
    async def steps(client: ClientSession) -> Any:
        listed = (await client.list_resources()).resources
        first = listed[0]
        return listed, (await client.read_resource(str(first.uri))).contents[0]

    listed, content = anyio.run(lambda: _with(seed_engine, steps))
    docs = seed_engine.index.documents
    assert sorted(str(r.uri) for r in listed) == sorted(document_uri(d) for d in docs)
    assert content.text == docs[listed[0].name].text
    assert {r.name: r.title for r in listed} == {d.doc_id: d.title for d in docs.values()}
