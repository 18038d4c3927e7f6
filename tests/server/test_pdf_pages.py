"""A PDF's pages over HTTP and in the browser: citations with page and boxes, the page as PNG, and the document view
that shows the page with the quote marked (Chromium, at desktop and phone widths)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from browserkit import CHROMIUM_ARGS, Watch, ask
from playwright.sync_api import expect, sync_playwright
from serverkit import LiveServer, serve_built

from rag.search.embedder import Embedder
from tests.pdfprint import KEEPERS, print_pdf
from tests.stores import suite_settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]
QUESTION = "Who rows out every Thursday to check the fog bell?"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("pdf-pages")
    (root / "docs" / "reports").mkdir(parents=True)
    print_pdf(root / "docs" / "reports" / "Keepers 2024.pdf", KEEPERS)  # a folder and a space in the id
    (root / "docs" / "notes.md").write_text("# Notes\n\nThe pier café opens at eight on Sundays.\n", encoding="utf-8")
    yield from serve_built(suite_settings(docs_dir=root / "docs", index_dir=root / "index", cache_dir=root / "cache"), embedder)


def test_the_apis_pdf_citation_has_a_page_and_boxes_and_the_pages_endpoint_agrees(live: LiveServer) -> None:
    cite = httpx.post(f"{live.url}/api/ask", json={"question": QUESTION}, timeout=60).json()["citations"][0]
    assert cite["doc_id"] == "reports/Keepers 2024.pdf" and cite["page"] >= 2 and cite["boxes"]
    pages = httpx.get(f"{live.url}/api/documents/reports/Keepers 2024.pdf/pages",
                      params={"start": cite["start"], "end": cite["end"]}, timeout=60).json()
    assert pages["quote"] == {"page": cite["page"], "boxes": cite["boxes"]}
    assert pages["sizes"][0] == [612.0, 792.0] and len(pages["sizes"]) >= cite["page"]


def test_a_page_is_served_as_png_and_bad_pages_and_other_files_are_clear_errors(live: LiveServer) -> None:
    url = f"{live.url}/api/documents/reports/Keepers 2024.pdf/pages"
    png = httpx.get(f"{url}/1.png", params={"scale": 1}, timeout=60)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert httpx.get(f"{url}/99.png", timeout=60).status_code == 404
    assert httpx.get(f"{url}/one.png", timeout=60).status_code == 422
    assert httpx.get(f"{url}/1.png", params={"scale": 50}, timeout=60).status_code == 422
    other = httpx.get(f"{live.url}/api/documents/notes.md/pages", timeout=60)
    assert other.status_code == 422 and "only a PDF" in other.json()["detail"]
    assert httpx.get(f"{live.url}/api/documents/nope.pdf/pages/1.png", timeout=60).status_code == 404


@pytest.mark.parametrize("width", [1280, 390])
def test_clicking_a_pdf_citation_shows_its_page_with_the_quote_marked(live: LiveServer, width: int) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        watch = Watch()
        watch.attach(page)
        page.goto(live.url + "/")
        ask(page, QUESTION, 0)
        expect(page.locator(".source-list .file").first).to_contain_text("reports/Keepers 2024.pdf, page ")
        with context.expect_page() as opened:
            page.locator(".turn .answer a.cite").first.click()
        view = opened.value
        watch.attach(view)
        mark = view.locator("#page-frame .page-mark").first
        expect(mark).to_be_visible(timeout=30_000)
        expect(view.locator("#page-label")).to_contain_text("of")
        image = view.locator("#page-img")
        view.wait_for_load_state("networkidle")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        frame, box = image.bounding_box(), mark.bounding_box()
        assert frame and box and frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        assert frame["y"] < box["y"] < frame["y"] + frame["height"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= 800  # scrolled into view
        assert box["x"] + box["width"] <= width + 1  # no sideways scrolling at phone width
        assert view.locator("#doc-text").is_hidden() and view.locator("#quote-bar").is_hidden()
        # The keyboard turns the pages: the mark belongs to its own page only.
        label = view.locator("#page-label").inner_text()
        view.locator("#page-frame").focus()
        view.keyboard.press("ArrowLeft")
        expect(view.locator("#page-label")).not_to_have_text(label)
        expect(view.locator("#page-frame .page-mark")).to_have_count(0)
        view.keyboard.press("ArrowRight")
        expect(view.locator("#page-label")).to_have_text(label)
        expect(mark).to_be_visible()
        # The text view marks the same quote in the text the answers quote.
        view.locator("#show-text").click()
        expect(view.locator("#doc-text mark.quote").first).to_be_visible()
        assert "Skerry Point" in " ".join(view.locator("#doc-text mark.quote").all_inner_texts())
        assert view.locator("#page-view").is_hidden()
        assert watch.problems == [] and watch.dialogs == []
        browser.close()
