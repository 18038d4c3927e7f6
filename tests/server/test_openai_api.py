"""The OpenAI-compatible chat completions, driven by the official `openai` client against the real server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import openai
import pytest
from serverkit import LiveServer, start_live, stop_live

from rag.answer.composer import ABSTAIN_TEXT
from rag.engine import Engine
from server.app import create_app
from server.openai_api import NO_QUESTION

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(seed_engine: Engine) -> Iterator[LiveServer]:
    server = start_live(create_app(seed_engine.settings, seed_engine))
    yield server
    stop_live(server)


def _client(live: LiveServer, key: str = "any-key") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0, timeout=60)


def test_the_openai_client_gets_the_quoted_answer_its_sources_and_the_citations(live: LiveServer, seed_engine: Engine) -> None:
    client = _client(live)
    assert [m.id for m in client.models.list().data] == ["rag-quotes"]
    question = [{"role": "user", "content": "Where did Rubio arrive on Saturday?"}]
    reply = client.chat.completions.create(model="rag-quotes", messages=question)  # type: ignore[arg-type]
    text = reply.choices[0].message.content or ""
    assert "Israel" in text and "[1]" in text and "\nSources:\n[1] " in text and reply.choices[0].finish_reason == "stop"
    rag = (reply.model_extra or {})["rag"]
    first = rag["citations"][0]
    assert seed_engine.index.documents[first["doc_id"]].text[first["start"] : first["end"]] == first["quote"]
    assert f"/documents/{first['doc_id']}#{first['start']}-{first['end']}" in text


def test_streaming_sends_the_same_text_in_chunks_ending_with_done(live: LiveServer) -> None:
    client = _client(live)
    question = [{"role": "user", "content": "Where did Rubio arrive on Saturday?"}]
    whole = client.chat.completions.create(model="rag-quotes", messages=question).choices[0].message.content  # type: ignore[arg-type]
    chunks = list(client.chat.completions.create(model="rag-quotes", messages=question, stream=True))  # type: ignore[arg-type]
    assert len(chunks) > 2 and chunks[-1].choices[0].finish_reason == "stop"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole


def test_follow_ups_in_the_messages_are_resolved_and_an_abstention_is_an_answer(live: LiveServer) -> None:
    client = _client(live)
    messages = [
        {"role": "system", "content": "Answer from the documents."},
        {"role": "user", "content": "Who is Keith Kellogg?"},
        {"role": "assistant", "content": "Keith Kellogg is the US envoy for Ukraine and Russia."},
        {"role": "user", "content": "What did he say about Europe?"},
    ]
    reply = client.chat.completions.create(model="rag-quotes", messages=messages)  # type: ignore[arg-type]
    assert "Kellogg" in (reply.model_extra or {})["rag"]["searched_question"]
    off = client.chat.completions.create(model="rag-quotes", messages=[{"role": "user", "content": "How do I bake banana bread?"}])
    text = off.choices[0].message.content or ""
    assert text.startswith(ABSTAIN_TEXT) and "Closest passages:" in text and (off.model_extra or {})["rag"]["abstained"]


def test_with_a_token_the_openai_client_needs_it_and_errors_come_in_openais_shape(seed_engine: Engine) -> None:
    settings = replace(seed_engine.settings, api_token="t0ken-for-openai")
    server = start_live(create_app(settings, Engine(settings, seed_engine.embedder, seed_engine.scorer)))
    try:
        with pytest.raises(openai.AuthenticationError) as refused:
            _client(server, "wrong").models.list()
        assert refused.value.body["type"] == "authentication_error"  # type: ignore[index]
        reply = _client(server, "t0ken-for-openai").chat.completions.create(
            model="rag-quotes", messages=[{"role": "user", "content": "Where did Rubio arrive on Saturday?"}])
        assert "Israel" in (reply.choices[0].message.content or "")
        no_question = [{"role": "assistant", "content": "hi"}]
        empty = _client(server, "t0ken-for-openai").chat.completions.create(model="rag-quotes", messages=no_question)  # type: ignore[arg-type]
        assert empty.choices[0].message.content == NO_QUESTION  # a reply, not an error, for a chat front end's empty turn
        with pytest.raises(openai.UnprocessableEntityError):
            _client(server, "t0ken-for-openai").chat.completions.create(model="rag-quotes", messages=[])
    finally:
        stop_live(server)
