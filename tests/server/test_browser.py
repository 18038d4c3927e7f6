"""The chat page in Debian's Chromium (Playwright) against a real uvicorn server: ask, cite, open, follow up, upload hostile text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest
from browserkit import CHROMIUM_ARGS, Watch, ask
from playwright.sync_api import Browser, expect, sync_playwright
from serverkit import LiveServer, private_engine, start_live, stop_live

from rag.engine import Engine
from rag.search.embedder import Embedder
from server.app import create_app
from tests.stores import suite_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
HOSTILE = (
    "Owl society minutes\n\n"
    "The Pellucid Owl Society meets every Thursday in the old mill <script>alert(1)</script> by the river.\n"
    "Its badge shows <img src=x onerror=alert(1)> a silver owl on a green field.\n"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[LiveServer]:
    """A real server on a loopback port over a private copy of the seed (this module uploads to it)."""
    engine = private_engine(tmp_path_factory.mktemp("browser"), embedder)
    server = start_live(create_app(engine.settings, engine))
    yield server
    stop_live(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_chat_page_end_to_end(live: LiveServer, browser: Browser, tmp_path: Path) -> None:
    watch = Watch()
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.on("page", watch.attach)  # every page of the context: the chat and each document view it opens
    page = context.new_page()
    page.goto(live.url + "/")
    page.locator("#doc-list li.doc").first.wait_for(state="attached", timeout=60_000)

    # A question about the seed: an answer with a citation marker and a source card.
    ask(page, "Who is Keith Kellogg?", 0)
    first = page.locator(".turn").nth(0)
    expect(first.locator(".answer-text")).to_contain_text("Russia-Ukraine envoy")
    cite = first.locator(".answer-text a.cite").first
    expect(cite).to_have_text("1")
    quote = first.locator(".source .excerpt").first.text_content() or ""
    assert "Keith Kellogg" in quote
    expect(first.locator(".source .file").first).to_have_text("us-russia-ukraine-talks-saudi-arabia-2025-02.txt")  # titles may repeat

    # The marker opens the document with exactly the quote highlighted, in view.
    with context.expect_page() as opened:
        cite.click()
    doc = opened.value
    mark = doc.locator("mark.quote")
    expect(mark).to_have_text(quote)
    expect(mark).to_be_in_viewport()
    doc.close()

    # A follow-up: the history goes with the question, so "he" is searched as Kellogg.
    ask(page, "What did he say about Europe?", 1)
    expect(page.locator(".turn").nth(1).locator(".meta")).to_contain_text("Kellogg")
    follow_up = page.locator(".turn").nth(1).locator(".answer").text_content() or ""  # asserted at the end, after the XSS checks

    # A document with script and event-handler markup is uploaded, indexed, quoted as text.
    hostile = tmp_path / "owl-society.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    page.set_input_files("#upload-input", str(hostile))
    page.locator("#upload-button").click()
    expect(page.locator("#upload-status")).to_contain_text("Added owl-society.txt", timeout=60_000)
    expect(page.locator("#doc-list")).to_contain_text("owl-society.txt")
    ask(page, "When does the Pellucid Owl Society meet?", 2)
    third = page.locator(".turn").nth(2)
    expect(third.locator(".answer-text")).to_contain_text("<script>alert(1)</script>")
    ask(page, "What does the badge of the Pellucid Owl Society show? <img src=x onerror=alert(1)>", 3)
    fourth = page.locator(".turn").nth(3)
    expect(fourth.locator(".question")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(fourth.locator(".answer")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator(".conversation script, .conversation img, .doc-list img").count() == 0

    # Its document view shows the markup as text too.
    with context.expect_page() as opened:
        third.locator("a.source").first.click()
    doc = opened.value
    expect(doc.locator("mark.quote")).to_contain_text("<script>alert(1)</script>")
    expect(doc.locator("#doc-text")).to_contain_text("<img src=x onerror=alert(1)>")
    assert doc.locator("#doc-text script, #doc-text img").count() == 0
    doc.close()

    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".turn").nth(2).scroll_into_view_if_needed()  # the hostile quotes, shown as text
    page.screenshot(path=str(ARTIFACTS / "chat.png"))
    assert watch.dialogs == [], watch.dialogs
    assert watch.problems == [], watch.problems
    context.close()
    assert "European nations would not be part of the negotiations" in follow_up and "Not found" not in follow_up, follow_up[:300]


@pytest.mark.parametrize(("name", "viewport", "scheme"), [
    ("chat-phone", {"width": 390, "height": 844}, "light"),
    ("chat-dark", {"width": 1280, "height": 860}, "dark"),
])
def test_chat_page_on_a_phone_and_in_the_dark(live: LiveServer, browser: Browser, name: str, viewport: dict[str, int], scheme: str) -> None:
    watch = Watch()
    context = browser.new_context(viewport=viewport, color_scheme=scheme)  # type: ignore[arg-type]
    context.on("page", watch.attach)
    page = context.new_page()
    page.goto(live.url + "/")
    page.locator("#doc-list li.doc").first.wait_for(state="attached", timeout=60_000)
    ask(page, "Who is Keith Kellogg?", 0)
    expect(page.locator(".answer-text a.cite").first).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], "no sideways scrolling"
    if viewport["width"] < 800:  # the documents panel is a drawer, opened and closed by keyboard
        toggle = page.locator("#toggle-docs")
        toggle.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#docs-panel")).to_be_in_viewport()
        page.keyboard.press("Escape")
        expect(toggle).to_be_focused()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert watch.dialogs == [] and watch.problems == [], (watch.dialogs, watch.problems)
    context.close()


def test_composer_says_why_an_empty_or_overlong_question_is_not_sent(live: LiveServer, browser: Browser) -> None:
    watch = Watch()
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone: the keyboard hint is hidden there
    context.on("page", watch.attach)
    page = context.new_page()
    page.goto(live.url + "/")
    box, note = page.locator("#question"), page.locator("#composer-note")
    box.fill("   ")
    box.press("Enter")
    expect(note).to_be_visible()
    expect(note).to_have_text("Type a question first.")
    assert page.locator(".turn").count() == 0

    limit = int(box.get_attribute("maxlength") or 0)
    box.fill("")
    box.press_sequentially("Who is Keith Kellogg? ")
    expect(note).to_be_hidden()
    page.keyboard.insert_text("x" * (limit + 500))  # as a paste: the box keeps `limit` characters and says so
    assert len(box.input_value()) == limit
    expect(note).to_contain_text(f"limited to {limit:,} characters")
    box.fill("Who is Keith Kellogg?")
    box.dispatch_event("input")
    expect(note).to_be_hidden()
    box.press("Enter")
    page.locator(".turn .answer:not(.thinking)").first.wait_for(timeout=60_000)
    expect(page.locator(".turn .answer-text").first).to_contain_text("Russia-Ukraine envoy")
    assert watch.dialogs == [] and watch.problems == [], (watch.dialogs, watch.problems)
    context.close()


def test_document_view_highlights_a_range_across_lines_and_spaces_paragraphs(live: LiveServer, browser: Browser) -> None:
    seed = "us-russia-ukraine-talks-saudi-arabia-2025-02.txt"
    with urlopen(f"{live.url}/api/documents/{seed}") as response:
        text = json.load(response)["text"]
    first_break = text.index("\n")
    start, end = first_break - 20, first_break + 1 + 30  # the end of the first paragraph and the start of the second
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{live.url}/documents/{seed}#{start}-{end}")
    marks = page.locator("mark.quote")
    expect(marks).to_have_count(2)
    assert marks.all_text_contents() == [text[start:first_break], text[first_break + 1 : end]]
    expect(marks.first).to_be_in_viewport()
    assert page.locator("#doc-text").text_content() == text
    lines = page.locator("#doc-text .paragraph")
    gap = lines.nth(1).bounding_box()["y"] - (lines.nth(0).bounding_box()["y"] + lines.nth(0).bounding_box()["height"])
    assert gap > 8, gap  # paragraphs that are single lines still read as paragraphs
    bar = page.locator("#quote-bar")
    expect(bar).to_be_hidden()  # the quote is on screen: nothing to show
    page.set_viewport_size({"width": 1100, "height": 300})
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(bar).to_be_visible()  # scrolled away from the quote: the note offers to bring it back
    bar.get_by_role("button", name="Show it").click()
    expect(marks.first).to_be_in_viewport()
    expect(bar).to_be_hidden()
    page.goto(f"{live.url}/documents/{seed}")
    expect(marks).to_have_count(0)
    expect(page.locator("#quote-bar")).to_be_hidden()
    page.close()


def test_answers_and_passages_show_markdown_marks_muted(tmp_path: Path, browser: Browser, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "office.md").write_text(
        "# Office Wi-Fi\n\nThe guest network is called **Larkspur-Guest** and its password changes every month.\n\n"
        "## Printing\n\nTo print a document you must:\n- Log in at the printer with your badge.\n- Pick up the pages within an hour.\n",
        encoding="utf-8",
    )
    engine = Engine(suite_settings(docs_dir=docs, index_dir=tmp_path / "index"), embedder)
    engine.build()
    server = start_live(create_app(engine.settings, engine))
    try:
        page = browser.new_page()
        page.goto(server.url + "/")
        ask(page, "What is the guest network called?", 0)
        answer = page.locator(".answer-text").first
        expect(answer).to_contain_text("Larkspur-Guest")
        assert answer.locator(".marker").all_text_contents() == ["**", "**"]  # verbatim, but muted
        ask(page, "What is the boiling point of water at sea level?", 1)  # abstains: the closest passages are shown
        marks = [m.strip() for m in page.locator(".answer.abstained .excerpt .marker").all_text_contents()]
        assert "##" in marks and "-" in marks, marks  # the heading's and the list's marks, muted like the bold ones
        page.close()
    finally:
        stop_live(server)


def test_several_files_are_uploaded_at_once_each_with_its_outcome(live: LiveServer, browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "ferry.md").write_text("# Ferry\n\nThe Quillon ferry leaves Portmere at 07:15 every weekday.\n", encoding="utf-8")
    (tmp_path / "gym.txt").write_text("The staff gym on level 2 opens at 6:30 am.\n", encoding="utf-8")
    (tmp_path / "budget.csv").write_text("year,budget\n2025,100\n", encoding="utf-8")
    page = browser.new_page()
    page.goto(live.url + "/")
    page.set_input_files("#upload-input", [str(tmp_path / n) for n in ("ferry.md", "gym.txt", "budget.csv")])
    page.locator("#upload-button").click()
    status = page.locator("#upload-status")
    expect(status).to_contain_text("budget.csv not added", timeout=60_000)  # the last, after the two that are
    expect(status).to_contain_text("Added ferry.md")
    expect(status).to_contain_text("Added gym.txt")
    expect(status).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#doc-list")).to_contain_text("gym.txt")
    ask(page, "When does the staff gym open?", 0)
    expect(page.locator(".turn").nth(0).locator(".answer-text")).to_contain_text("6:30 am")
    page.close()


@pytest.mark.parametrize("width", [1300, 1024, 390])
def test_the_upload_controls_stay_inside_their_box(live: LiveServer, browser: Browser, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(live.url + "/")
    form, button = page.locator("#upload-form").bounding_box(), page.locator("#upload-button").bounding_box()
    assert form is not None and button is not None
    assert button["x"] >= form["x"] and button["x"] + button["width"] <= form["x"] + form["width"] + 0.5
    page.close()
