"""The HTML pages as served: local assets only, no inline script, document text escaped."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow
SEED_ID = "us-russia-ukraine-talks-saudi-arabia-2025-02.txt"


@pytest.mark.parametrize("path", ["/", f"/documents/{SEED_ID}", "/docs", "/documents/no-such.txt"])
def test_pages_use_only_local_external_scripts(client: TestClient, path: str) -> None:
    html = client.get(path).text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert all(re.search(r'src="/static/[\w.-]+\.js"', s) for s in scripts), scripts
    assert all(not body.strip() for body in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)), "no inline script"
    assert not re.search(r"\son\w+=", html), "no inline event handlers"
    assert "http://" not in html and "https://" not in html, "no CDN or other remote asset"


def test_chat_page_has_the_conversation_the_composer_and_the_documents_panel(client: TestClient) -> None:
    html = client.get("/").text
    for part in ('id="conversation"', 'id="question"', 'id="new-chat"', 'id="doc-list"', 'id="upload-input"', 'maxlength="2000"'):
        assert part in html


def test_static_assets_are_served_locally(client: TestClient) -> None:
    for name in ("app.css", "dom.js", "chat.js", "documents.js", "document.js", "apidocs.js", "icon.svg"):
        assert client.get(f"/static/{name}").status_code == 200, name
    for name in ("chat.js", "documents.js", "document.js", "dom.js", "apidocs.js"):
        assert "innerHTML" not in client.get(f"/static/{name}").text, name


def test_document_page_renders_the_text_escaped(writer: TestClient) -> None:
    payload = b"Markup <script>alert(1)</script> and <img src=x onerror=alert(1)> stays text in the Garnet archive.\n"
    response = writer.post("/api/documents", files={"file": ("garnet <b>.md", payload, "text/markdown")})
    assert response.status_code == 201, response.text
    doc_id = response.json()["document"]["doc_id"]
    html = writer.get(f"/documents/{doc_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_document_page_text_is_the_document_text_exactly_and_its_lines_are_paragraphs(client: TestClient) -> None:
    text = client.get(f"/api/documents/{SEED_ID}").json()["text"]
    page = client.get(f"/documents/{SEED_ID}").text
    body = re.search(r'<div id="doc-text"[^>]*>(.*?)</div>\s*<div id="quote-bar"', page, re.S)
    assert body is not None
    lines = re.findall(r'<div class="(\w+)">(.*?)</div>', body.group(1), re.S)
    assert "".join(html.unescape(inner) for _, inner in lines) == text  # highlight offsets count on every character
    assert len(lines) == text.count("\n") + (not text.endswith("\n"))
    assert {kind for kind, _ in lines} == {"paragraph"}  # the seed separates its paragraphs by single line breaks


def test_document_page_mutes_markdown_heading_marks_and_keeps_the_exact_text(writer: TestClient) -> None:
    payload = b"# Leave policy\n\n## Annual leave\n\nEvery employee gets 25 days of paid leave.\n"
    response = writer.post("/api/documents", files={"file": ("leave.md", payload, "text/markdown")})
    assert response.status_code == 201, response.text
    doc_id = response.json()["document"]["doc_id"]
    page = writer.get(f"/documents/{doc_id}").text
    body = re.search(r'<div id="doc-text"[^>]*>(.*?)</div>\s*<div id="quote-bar"', page, re.S)
    assert body is not None
    assert html.unescape(re.sub(r"<[^>]+>", "", body.group(1))) == payload.decode()
    assert '<div class="heading"><span class="marker">## </span>Annual leave' in body.group(1)


def test_unknown_document_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/documents/%2e%2e%2fpyproject.toml")
    assert response.status_code == 404
    assert "No such document" in response.text
