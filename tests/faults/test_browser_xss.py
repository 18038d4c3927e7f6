"""XSS in the real browser: hostile file names, titles, texts, links and questions run nothing and break no CSP rule."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from browserkit import CHROMIUM_ARGS, Watch, ask
from playwright.sync_api import Page, sync_playwright
from serverkit import LiveServer, start_live, stop_live

from rag.engine import Engine
from rag.search.embedder import Embedder
from server.app import create_app
from tests.seed import copy_seed
from tests.stores import suite_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOSTILE_NAME = "\"><img src=x onerror=alert('name')>.txt"
HOSTILE_DOCS = {
    HOSTILE_NAME: (
        "<svg onload=alert('title')>\n\n"
        "The Quiet Lantern Guild repairs lanterns every Monday <a href=\"javascript:alert('href')\">in the tower</a>.\n"
        "Its treasurer writes <body onload=alert('body')> in red ink.\n"
    ),
    "ledger.md": (
        "# [Guild ledger](javascript:alert('md-title'))\n\n"
        "The Quiet Lantern Guild keeps its ledger [here](javascript:alert('md')) beside <iframe src=\"javascript:alert('if')\"></iframe> "
        "the oil store.\n"
    ),
    "page.html": "<html><body><p onclick=\"alert('click')\">The Quiet Lantern Guild was founded in 1744.</p></body></html>",
}
QUESTIONS = (
    "When does the Quiet Lantern Guild repair lanterns?",
    "Where does the Quiet Lantern Guild keep its ledger?",
    "\"><script>alert('q')</script><img src=x onerror=alert('q2')> What does the treasurer write?",
    "javascript:alert('q3')",
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("xss")
    docs = root / "docs"
    copy_seed(docs)
    for name, text in HOSTILE_DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    engine = Engine(suite_settings(docs_dir=docs, index_dir=root / "index"), embedder)
    engine.build()
    assert HOSTILE_NAME in engine.index.documents
    server = start_live(create_app(engine.settings, engine))
    yield server
    stop_live(server)


def test_hostile_documents_and_questions_run_no_script_in_the_browser(live: LiveServer) -> None:
    watch = Watch()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.on("page", watch.attach)
        page = context.new_page()
        page.goto(live.url + "/")
        page.locator("#doc-list li.doc").first.wait_for(state="attached", timeout=60_000)
        for n, question in enumerate(QUESTIONS):
            ask(page, question, n)
        page.wait_for_timeout(500)
        assert "Monday" in (page.locator(".turn").nth(0).text_content() or "")
        for link in page.locator(".turn a.source").all()[:4]:  # each cited document's page, as a user would open it
            with context.expect_page() as opened:
                link.click()
            opened.value.wait_for_load_state()
            opened.value.wait_for_timeout(300)
            _assert_inert(opened.value)
            opened.value.close()
        doc = context.new_page()
        for name in HOSTILE_DOCS:
            doc.goto(f"{live.url}/documents/{quote(name)}")
            doc.wait_for_timeout(300)
            assert "Quiet Lantern Guild" in (doc.text_content("body") or "")
            _assert_inert(doc)
        _assert_inert(page)
        browser.close()
    assert watch.dialogs == [], watch.dialogs
    assert watch.problems == [], watch.problems


def _assert_inert(page: Page) -> None:
    """No element of the hostile markup became real: no live javascript: link, no injected script, handler or frame."""
    found = page.evaluate(
        """() => ({
            js_links: [...document.querySelectorAll('a[href], iframe[src], [src]')]
                .filter(e => (e.getAttribute('href') || e.getAttribute('src') || '').trim().toLowerCase().startsWith('javascript:')).length,
            handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
            injected: document.querySelectorAll('img[src="x"], svg, iframe, body script:not([src])').length,
        })"""
    )
    assert found == {"js_links": 0, "handlers": 0, "injected": 0}, (page.url, found)
