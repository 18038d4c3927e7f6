"""PDF text: running headers and footers dropped, pages that end mid-sentence run on, ligatures spelled out."""

from __future__ import annotations

from pathlib import Path

from rag.ingest.chunking import split_sentences
from rag.ingest.loaders import load_file
from rag.ingest.pdftext import LIGATURES, join_pages, without_running_lines
from tests.pdfmake import paged_pdf, simple_pdf


def test_running_headers_and_footers_are_dropped_but_text_that_recurs_inside_pages_is_kept() -> None:
    bodies = ["The roof was mended.", "Visitors rose again.", "A barn was bought."]
    pages = [f"Museum Annual Report\n{body}\nSee the museum.\n{body}\nPage {n} of 3" for n, body in enumerate(bodies, 1)]
    assert without_running_lines(pages) == [f"{body}\nSee the museum.\n{body}" for body in bodies]
    assert without_running_lines(["Only one page\nPage 1 of 1"]) == ["Only one page\nPage 1 of 1"]


def test_a_page_ending_mid_sentence_runs_on_into_the_next() -> None:
    assert join_pages(["Energy costs fell by 11 per", "cent in May.", "A new page."]) == (
        "Energy costs fell by 11 per\ncent in May.\n\nA new page."
    )


def test_a_sentence_across_a_page_break_and_a_footer_is_one_sentence(tmp_path: Path) -> None:
    pdf = paged_pdf([
        ["Merrowby Museum Annual Report", "The Staff costs rose by 4 per cent. Energy costs fell by 11 per", "Merrowby Museum - Page 1"],
        ["Merrowby Museum Annual Report", "cent after the solar panels came into use.", "Merrowby Museum - Page 2"],
    ])
    (tmp_path / "report.pdf").write_bytes(pdf)
    text = load_file(tmp_path / "report.pdf", "report.pdf", 1_000_000).text
    assert "Page" not in text and "Annual Report" not in text
    sentences = [" ".join(text[s.start : s.end].split()) for s in split_sentences(text)]
    assert "Energy costs fell by 11 per cent after the solar panels came into use." in sentences


def test_ligatures_are_spelled_out() -> None:
    assert "Sta\ufb00 costs are signi\ufb01cant".translate(LIGATURES) == "Staff costs are significant"


def test_a_pdf_titled_with_a_file_name_by_its_printer_takes_its_first_line(tmp_path: Path) -> None:
    for junk in ("r.html", "Microsoft Word - draft.docx", "Untitled"):
        path = tmp_path / "report.pdf"
        path.write_bytes(simple_pdf(["Fenwold Reservoir Annual Report", "The reservoir held 4.2 million cubic metres."], title=junk))
        assert load_file(path, "report.pdf", 1_000_000).title == "Fenwold Reservoir Annual Report", junk
    path.write_bytes(simple_pdf(["Some first line"], title="Water Board Minutes"))
    assert load_file(path, "report.pdf", 1_000_000).title == "Water Board Minutes"  # a real title is kept
