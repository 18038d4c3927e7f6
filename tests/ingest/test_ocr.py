"""Scanned PDFs: pages without a text layer are read by Tesseract; real PDFs printed by Chromium from a screenshot."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.errors import BuildCancelledError, DocumentError
from rag.ingest import ocr
from rag.ingest.loaders import pdf_text
from rag.search.embedder import Embedder
from rag.settings import Settings
from tests.pdfmake import paged_pdf
from tests.pdfprint import SCANNED, print_scan

pytestmark = [pytest.mark.slow, pytest.mark.browser]
TYPED = "<h1>Ferry timetable</h1><p>The island ferry leaves the harbour at 7:15 every weekday morning.</p>"


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scans")
    print_scan(folder / "scan.pdf", "", SCANNED)
    print_scan(folder / "mixed.pdf", TYPED, SCANNED)
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


def test_what_ocr_read_is_kept_by_the_files_sha256_and_not_read_again(scans: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "scan-ocr.json"
    _, first = pdf_text(scans / "scan.pdf", 30.0, 1_000_000, cache)
    assert "Kestrel" in first and cache.exists()
    monkeypatch.setenv("PATH", "/nonexistent")  # no Tesseract now: the text can only come from the cache
    assert pdf_text(scans / "scan.pdf", 30.0, 1_000_000, cache)[1] == first
    cache.write_text("{not json", encoding="utf-8")  # a damaged cache is read again, never trusted
    with pytest.raises(DocumentError, match="apt install tesseract-ocr"):
        pdf_text(scans / "scan.pdf", 30.0, 1_000_000, cache)


MORE = ("<p>The harbour wall was rebuilt in granite in 1902.</p>", "<p>Ferries to the island sail twice a day in summer.</p>")


def test_a_long_scan_reports_each_page_read_and_a_cancel_stops_it_at_once(tmp_path: Path) -> None:
    path = print_scan(tmp_path / "three.pdf", "", SCANNED, *MORE)
    heard: list[tuple[int, int]] = []
    _, text = pdf_text(path, 30.0, 1_000_000, on_page=lambda done, total: heard.append((done, total)))
    assert heard == [(1, 3), (2, 3), (3, 3)] and "Kestrel" in text and "granite" in text and "twice a day" in text

    def cancel(done: int, total: int) -> None:
        raise BuildCancelledError("the build was cancelled")

    started = time.monotonic()
    with pytest.raises(BuildCancelledError):
        pdf_text(path, 30.0, 1_000_000, on_page=cancel)
    assert time.monotonic() - started < 6  # the first page, not all three


def test_a_build_says_which_page_of_a_scan_ocr_is_reading(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    print_scan(docs / "three.pdf", "", SCANNED, *MORE)
    stages: list[str] = []
    Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False), embedder).build(log=stages.append)
    assert "three.pdf: OCR read page 1 of 3" in stages and "three.pdf: OCR read page 3 of 3" in stages
