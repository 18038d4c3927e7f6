"""A PDF's quotes placed on their pages: the page and the boxes of a citation, checked against the characters' own
boxes as PDFium gives them (typed text), the words' boxes Tesseract gave (a scan), and the pages drawn as PNG."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from rag.engine import Engine
from rag.errors import DocumentError, DocumentNotFoundError
from rag.ingest import ocr
from rag.ingest.pdfpages import Box
from rag.schema import Citation
from rag.search.embedder import Embedder
from rag.settings import Settings
from tests.pdfprint import KEEPERS, SCANNED, print_pdf, print_scan

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    root = tmp_path_factory.mktemp("pdfpages")
    docs = root / "docs"
    docs.mkdir()
    print_pdf(docs / "keepers.pdf", KEEPERS)
    print_scan(docs / "scan.pdf", "", SCANNED)
    (docs / "notes.md").write_text("# Notes\n\nThe pier café opens at eight on Sundays.\n", encoding="utf-8")
    built = Engine(Settings(docs_dir=docs, index_dir=root / "index", cache_dir=root / "cache", progress=False), embedder)
    built.build()
    return built


def own_boxes(path: Path, first: str, last: str) -> tuple[int, list[Box]]:
    """The page (1-based) and PDFium's boxes of every visible character from `first` to the end of `last`."""
    document = pdfium.PdfDocument(path)
    for number in range(len(document)):
        textpage = document[number].get_textpage()
        start = textpage.search(first).get_next()
        end = textpage.search(last).get_next()
        if start and end:
            chars = range(start[0], end[0] + end[1])
            return number + 1, [textpage.get_charbox(i) for i in chars if not textpage.get_text_range(i, 1).isspace()]
    raise AssertionError(f"{first!r} is on no page")


def covered(char: Box, boxes: tuple[Box, ...]) -> bool:
    """True when the character's centre is inside one of the boxes."""
    x, y = (char[0] + char[2]) / 2, (char[1] + char[3]) / 2
    return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in boxes)


def first_pdf_citation(engine: Engine, question: str) -> Citation:
    answer = engine.ask(question)
    assert not answer.abstained, answer
    return answer.citations[0]


def test_a_typed_pdfs_citation_has_its_page_and_boxes_covering_the_quotes_characters(engine: Engine) -> None:
    cite = first_pdf_citation(engine, "Who rows out every Thursday to check the fog bell?")
    assert "Skerry Point rows out every Thursday" in cite.quote
    page, chars = own_boxes(engine.settings.docs_dir / "keepers.pdf", "The keeper of Skerry", "whatever the weather.")
    assert cite.page == page and page > 1  # the sentence is on the second page, not the first
    assert len(chars) > 60 and all(covered(c, cite.boxes) for c in chars)
    assert 1 <= len(cite.boxes) <= 3  # one box a line: the sentence wraps once or twice
    lows = min(c[1] for c in chars) - 3
    highs = max(c[3] for c in chars) + 3
    assert all(lows <= y0 and y1 <= highs for _, y0, _, y1 in cite.boxes)  # nothing marked above or below it


def test_a_table_rows_citation_marks_its_cells_on_the_page(engine: Engine) -> None:
    cite = first_pdf_citation(engine, "What was the population of York in 2021?")
    assert "Population 2021: 202,800" in cite.quote
    page, chars = own_boxes(engine.settings.docs_dir / "keepers.pdf", "York", "202,800")
    assert cite.page == page and all(covered(c, cite.boxes) for c in chars)


def test_a_scanned_pages_citation_is_marked_on_the_words_ocr_read(engine: Engine) -> None:
    assert ocr.available(), "tesseract-ocr is needed (apt install tesseract-ocr tesseract-ocr-eng; .ci/run installs it)"
    cite = first_pdf_citation(engine, "When was the Kestrel lighthouse automated?")
    assert cite.doc_id == "scan.pdf" and cite.page == 1 and cite.boxes
    doc = engine.index.documents["scan.pdf"]
    read = json.loads(ocr.cache_file(engine.settings.cache_dir or Path(), doc.sha256).read_text(encoding="utf-8"))
    words = {w[0]: tuple(w[1:]) for w in read["pages"]["0"]["words"]}
    assert all(covered(words[w], cite.boxes) for w in ("Kestrel", "automated", "1987"))
    assert not covered(words["Visitors"], cite.boxes)  # the next paragraph is not marked


def test_a_citation_of_another_kind_of_file_has_no_page(engine: Engine) -> None:
    cite = first_pdf_citation(engine, "When does the pier café open on Sundays?")
    assert cite.doc_id == "notes.md" and cite.page is None and cite.boxes == ()


def test_a_page_is_drawn_as_a_png_of_the_asked_scale_and_a_missing_page_is_not_found(engine: Engine) -> None:
    doc = engine.index.documents["keepers.pdf"]
    data = engine.pages.png(doc, 2, 1.5)
    width, height = struct.unpack(">II", data[16:24])
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and (width, height) == (918, 1188)  # US Letter at 1.5 px a point
    assert engine.pages.png(doc, 2, 1.6) is data  # cached: 1.6 snaps to 1.5
    pages = len(pdfium.PdfDocument(engine.settings.docs_dir / "keepers.pdf"))
    for page in (0, pages + 1):
        with pytest.raises(DocumentNotFoundError, match=f"the document has {pages}"):
            engine.pages.png(doc, page, 1.5)
    with pytest.raises(DocumentError, match="only a PDF"):
        engine.pages.png(engine.index.documents["notes.md"], 1, 1.5)


def test_a_pdf_changed_since_it_was_indexed_shows_no_page_and_its_quotes_still_stand(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    print_pdf(docs / "keepers.pdf", KEEPERS)
    engine = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False), embedder)
    engine.build()
    print_pdf(docs / "keepers.pdf", KEEPERS.replace("Thursday", "Friday"))  # not indexed again
    cite = first_pdf_citation(engine, "Who rows out every Thursday to check the fog bell?")
    assert "Thursday" in cite.quote and cite.page is None and cite.boxes == ()
    with pytest.raises(DocumentError, match="changed since it was indexed"):
        engine.pages.png(engine.index.documents["keepers.pdf"], 1, 1.5)
