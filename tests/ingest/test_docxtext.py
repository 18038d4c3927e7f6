"""Word files: read as HTML, so headings, lists and tables keep their structure; bad files are refused clearly."""

from __future__ import annotations

import io
import zipfile

import pytest

from rag.errors import DocumentError
from rag.ingest.docxtext import EXPANSION_LIMIT, docx_html
from rag.ingest.htmltext import html_text
from tests.docxmake import handbook_docx, with_footnote

LIMIT = 1_000_000


def test_docx_html_keeps_headings_lists_and_a_table_with_its_header() -> None:
    html, _ = docx_html(handbook_docx(), LIMIT)
    title, text = html_text(html, page=False)
    assert title == "Staff Handbook"  # Word's Title style is a heading
    assert text.startswith("# Staff Handbook\n\n# Working hours\n\nCore hours are 10 am to 4 pm.")
    assert "We accept the following:\n- Doctor's notes\n- Self-certification for up to 7 days" in text
    assert "## Expenses\n\n1. Claim expenses within 30 days.\n2. Attach every receipt." in text
    # The bold first row is the table's header, so each value carries its column's name.
    assert "Grade | Daily limit | Hotel\nJunior | Daily limit: £25 | Hotel: £90\nSenior | Daily limit: £40 | Hotel: £120" in text
    assert "Mileage is paid at 45p per mile for the first 10,000 miles." in text


def test_docx_html_gives_the_title_line_else_the_title_in_the_document_properties() -> None:
    assert docx_html(handbook_docx(properties_title="Old template"), LIMIT)[1] == "Staff Handbook"
    assert docx_html(handbook_docx(properties_title="Handbook  2025", title=""), LIMIT)[1] == "Handbook 2025"
    assert docx_html(handbook_docx(title=""), LIMIT)[1] == ""


def test_docx_html_leaves_images_out() -> None:
    html, _ = docx_html(handbook_docx(image=True), LIMIT)
    assert "data:image" not in html and "Core hours" in html


def test_docx_html_refuses_a_file_that_unpacks_too_big() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document/>" + b" " * (EXPANSION_LIMIT * 10_000))
    with pytest.raises(DocumentError, match="too big unpacked"):
        docx_html(out.getvalue(), 10_000)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"PK\x03\x04 not really a zip", "unreadable Word file"),
        (b"plain text saved with the wrong name", "unreadable Word file"),
    ],
)
def test_docx_html_refuses_a_file_that_is_no_word_file(content: bytes, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        docx_html(content, LIMIT)


def test_docx_html_refuses_a_zip_without_a_document() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(DocumentError, match=r"no word/document\.xml"):
        docx_html(out.getvalue(), LIMIT)


def test_docx_html_refuses_a_document_of_broken_xml() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><unclosed")
    with pytest.raises(DocumentError, match="unreadable Word file"):
        docx_html(out.getvalue(), LIMIT)


def test_docx_html_drops_footnote_markers_and_keeps_the_notes_at_the_end() -> None:
    data = with_footnote(handbook_docx(), "Staff may start as early as 7:30 am.", "Agreed by the board in 2021.")
    _, text = html_text(docx_html(data, LIMIT)[0], page=False)
    assert "Staff may start as early as 7:30 am.\n" in text  # no "[1]" to be taken for a citation
    assert text.endswith("\n\n1. Agreed by the board in 2021.")  # no back-link arrow


def test_a_word_paragraph_that_is_only_a_link_is_kept() -> None:
    # A web page's link-only lines are furniture; a Word file's ("Further reading" lists) are what it says.
    html = "<p>Further reading:</p><ul><li><a href='https://example.org/r42'>Report 42: Paying for Pipes</a></li></ul>"
    assert "Report 42: Paying for Pipes" in html_text(html, page=False)[1]
    assert "Report 42" not in html_text(html)[1]
