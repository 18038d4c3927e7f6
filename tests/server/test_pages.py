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


def _uploaded_page(writer: TestClient, name: str, payload: bytes) -> str:
    """Upload a Markdown document and return its document page."""
    response = writer.post("/api/documents", files={"file": (name, payload, "text/markdown")})
    assert response.status_code == 201, response.text
    return writer.get(f"/documents/{response.json()['document']['doc_id']}").text


def _doc_text(page: str) -> str:
    """The inner HTML of a document page's text."""
    body = re.search(r'<div id="doc-text"[^>]*>(.*?)</div>\s*<div id="quote-bar"', page, re.S)
    assert body is not None
    return body.group(1)


def test_document_page_renders_the_text_escaped(writer: TestClient) -> None:
    payload = b"Markup <script>alert(1)</script> and <img src=x onerror=alert(1)> stays text in the Garnet archive.\n"
    html = _uploaded_page(writer, "garnet <b>.md", payload)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_document_page_text_is_the_document_text_exactly_and_its_lines_are_paragraphs(client: TestClient) -> None:
    text = client.get(f"/api/documents/{SEED_ID}").json()["text"]
    lines = re.findall(r'<div class="(\w+)">(.*?)</div>', _doc_text(client.get(f"/documents/{SEED_ID}").text), re.S)
    assert "".join(html.unescape(inner) for _, inner in lines) == text  # highlight offsets count on every character
    assert len(lines) == text.count("\n") + (not text.endswith("\n"))
    assert {kind for kind, _ in lines} == {"paragraph"}  # the seed separates its paragraphs by single line breaks


def test_document_page_mutes_markdown_heading_and_bold_marks_and_keeps_the_exact_text(writer: TestClient) -> None:
    payload = b"# Leave policy\n\n## Annual leave\n\nEvery employee gets **25 days** of paid leave.\n"
    body = _doc_text(_uploaded_page(writer, "leave.md", payload))
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == payload.decode()
    assert '<div class="heading"><span class="marker">## </span>Annual leave' in body
    assert 'gets <span class="marker">**</span>25 days<span class="marker">**</span> of' in body


def test_unknown_document_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/documents/%2e%2e%2fpyproject.toml")
    assert response.status_code == 404
    assert "No such document" in response.text
