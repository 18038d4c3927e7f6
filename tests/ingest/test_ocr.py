"""Scanned PDFs: pages without a text layer are read by Tesseract; real PDFs printed by Chromium from a screenshot."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from rag.engine import Engine
from rag.errors import DocumentError
from rag.ingest import ocr
from rag.ingest.loaders import pdf_text
from rag.search.embedder import Embedder
from rag.settings import Settings
from tests.pdfmake import paged_pdf

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu"]
SCANNED = ("<h1>Harbour Report</h1><p>The Kestrel lighthouse was automated in 1987 after a storm damaged the keeper's "
           "cottage.</p><p>Visitors may climb the tower on Saturdays between April and September.</p>")
TYPED = "<h1>Ferry timetable</h1><p>The island ferry leaves the harbour at 7:15 every weekday morning.</p>"


def print_pdf(target: Path, typed_html: str, scanned_html: str) -> Path:
    """A PDF whose first page holds typed text (a text layer) and whose last holds only a picture of text (a scan)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM)
        page = browser.new_page(viewport={"width": 900, "height": 500})
        page.set_content(f"<body style='font:22px serif;padding:30px'>{scanned_html}</body>")
        picture = base64.b64encode(page.screenshot()).decode()
        typed = f"<div style='page-break-after:always'>{typed_html}</div>" if typed_html else ""
        page.set_content(f"<body style='margin:0'>{typed}<img style='width:100%' src='data:image/png;base64,{picture}'></body>")
        page.pdf(path=str(target))
        browser.close()
    return target


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scans")
    print_pdf(folder / "scan.pdf", "", SCANNED)
    print_pdf(folder / "mixed.pdf", TYPED, SCANNED)
    return folder


def test_a_scanned_page_is_read_by_ocr_and_its_sentence_answered_verbatim(scans: Path, tmp_path: Path, embedder: Embedder) -> None:
    assert ocr.available(), "tesseract-ocr is needed (apt install tesseract-ocr tesseract-ocr-eng; .ci/run installs it)"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "scan.pdf").write_bytes((scans / "scan.pdf").read_bytes())
    engine = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False), embedder)
    engine.build()
    answer = engine.ask("When was the Kestrel lighthouse automated?")
    assert not answer.abstained and "1987" in answer.citations[0].quote
    doc = engine.index.documents["scan.pdf"]
    assert doc.text[answer.citations[0].start : answer.citations[0].end] == answer.citations[0].quote
    assert doc.title == "Harbour Report"


def test_typed_pages_keep_their_text_layer_and_only_the_scanned_page_is_read_by_ocr(scans: Path) -> None:
    title, text = pdf_text(scans / "mixed.pdf", 30.0, 1_000_000)
    assert title == "Ferry timetable"
    assert text.index("leaves the harbour at 7:15") < text.index("Kestrel lighthouse was automated in 1987")


def test_without_tesseract_a_scan_is_refused_saying_how_to_install_it(scans: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert not ocr.available()
    with pytest.raises(DocumentError, match="apt install tesseract-ocr"):
        pdf_text(scans / "scan.pdf", 30.0, 1_000_000)
    _, text = pdf_text(scans / "mixed.pdf", 30.0, 1_000_000)  # the typed page is still read
    assert "7:15" in text and "Kestrel" not in text


@pytest.mark.timeout(120)
def test_a_pdf_of_hundreds_of_blank_pages_is_refused_without_reading_each_by_ocr(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    path.write_bytes(paged_pdf([[] for _ in range(300)]))
    with pytest.raises(DocumentError, match="OCR found no text"):
        pdf_text(path, 30.0, 1_000_000)
