"""Loading a folder: every supported type, and every kind of file that must be skipped with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.ingest.loaders import decode_text, load_file, load_folder
from tests.docxmake import handbook_docx
from tests.pdfmake import simple_pdf

LIMIT = 1_000_000
_WESTERN = "na\u00efve r\u00e9sum\u00e9 \u2013 \u201cquoted\u201d costs \u20ac5"


def _reasons(docs: Path) -> dict[str, str]:
    return {s.path: s.reason for s in load_folder(docs, LIMIT).skipped}


def _loaded(docs: Path) -> dict[str, str]:
    return {d.doc_id: d.text for d in load_folder(docs, LIMIT).documents}


def test_load_text_file_keeps_text_and_takes_first_line_as_title(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Quarterly report\nSales rose by 4%.\n", encoding="utf-8")
    doc = load_folder(tmp_path, LIMIT).documents[0]
    assert (doc.doc_id, doc.title) == ("note.txt", "Quarterly report")
    assert doc.text == "Quarterly report\nSales rose by 4%.\n"
    assert len(doc.sha256) == 64 and doc.size == len(doc.text.encode())


def test_load_markdown_title_is_first_heading(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text("Intro line\n\n# The Handbook\n\nVacation is 25 days.\n", encoding="utf-8")
    assert load_folder(tmp_path, LIMIT).documents[0].title == "The Handbook"


def test_load_html_keeps_visible_text_only(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>Policy</title><style>p{color:red}</style><script>var secret = 1;</script></head>"
        "<body><h1>Leave</h1><p>Staff get <b>25 days</b> off.</p><noscript>enable js</noscript></body></html>",
        encoding="utf-8",
    )
    doc = load_folder(tmp_path, LIMIT).documents[0]
    assert doc.title == "Policy"
    assert "Staff get" in doc.text and "25 days" in doc.text
    assert "secret" not in doc.text and "color" not in doc.text and "enable js" not in doc.text


def test_load_pdf_extracts_text_and_title(tmp_path: Path) -> None:
    (tmp_path / "memo.pdf").write_bytes(simple_pdf(["Budget memo.", "The budget grows by ten percent."], title="Budget 2025"))
    doc = load_folder(tmp_path, LIMIT).documents[0]
    assert doc.title == "Budget 2025"
    assert "The budget grows by ten percent." in doc.text


def test_load_nested_folders_use_relative_path_as_id(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.txt").write_text("Deep text.", encoding="utf-8")
    assert list(_loaded(tmp_path)) == ["a/b/deep.txt"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\t\n", "no text"),
        ("binary.txt", b"\x00\x01\x02binary\x00" * 50, "binary"),
        ("image.png", b"\x89PNG\r\n", "unsupported type"),
        (".env", b"SECRET_KEY=hunter2", "hidden"),
        (".hidden.txt", b"secret notes", "hidden"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("broken.docx", b"PK\x03\x04 this is not really a Word file", "Word"),
    ],
)
def test_load_folder_skips_bad_file_with_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.txt").write_text("A good document.", encoding="utf-8")
    assert reason in _reasons(tmp_path)[name]
    assert list(_loaded(tmp_path)) == ["good.txt"]


def test_load_folder_skips_too_big_file(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 1000, encoding="utf-8")
    result = load_folder(tmp_path, max_bytes=100)
    assert "too big" in result.skipped[0].reason and not result.documents


def test_load_folder_skips_symlink_leading_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("Private text.", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "link.txt").symlink_to(outside)
    (docs / "inner.txt").write_text("Inner text.", encoding="utf-8")
    (docs / "inner-link.txt").symlink_to(docs / "inner.txt")
    reasons = _reasons(docs)
    assert "outside" in reasons["link.txt"]
    # A link inside the folder is fine, but its content duplicates inner.txt, so only one of the two is kept.
    assert len(_loaded(docs)) == 1
    assert "same content" in (reasons.get("inner-link.txt", "") + reasons.get("inner.txt", ""))


def test_load_folder_keeps_the_shorter_name_of_two_copies(tmp_path: Path) -> None:
    for name in ("notes.md", "notes-2.md", "notes (copy).md"):
        (tmp_path / name).write_text("# Notes\n\nThe ferry leaves at seven.\n", encoding="utf-8")
    assert list(_loaded(tmp_path)) == ["notes.md"]  # "notes-2.md" sorts first
    reasons = _reasons(tmp_path)
    assert reasons["notes-2.md"] == reasons["notes (copy).md"] == "same content as notes.md"


@pytest.mark.timeout(60)
def test_load_folder_survives_symlink_loop_and_fifo(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "ok.txt").write_text("Fine.", encoding="utf-8")
    reasons = _reasons(tmp_path)  # opening the FIFO would block forever: the timeout mark fails the test then
    assert "not a regular file" in reasons["pipe.txt"]
    assert "symlink" in reasons["self.txt"]
    assert "loop/" in reasons
    assert list(_loaded(tmp_path)) == ["ok.txt"]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Caf\u00e9 cr\u00e8me".encode("utf-16"), "Caf\u00e9 cr\u00e8me"),
        ("\ufeffBOM text".encode(), "BOM text"),
        (_WESTERN.encode("cp1252"), _WESTERN),
    ],
)
def test_decode_text_handles_bom_utf16_and_cp1252(raw: bytes, text: str) -> None:
    assert decode_text(raw) == text


def test_decoded_file_offsets_quote_the_decoded_text(tmp_path: Path) -> None:
    (tmp_path / "legacy.txt").write_bytes("Le caf\u00e9 ouvre \u00e0 8h.\r\nIl ferme t\u00f4t.".encode("cp1252"))
    doc = load_file(tmp_path / "legacy.txt", "legacy.txt", LIMIT)
    assert doc.text == "Le caf\u00e9 ouvre \u00e0 8h.\nIl ferme t\u00f4t."


def test_one_bad_document_never_stops_the_others(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"doc{i}.txt").write_text(f"Document number {i}.", encoding="utf-8")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")
    assert sorted(_loaded(tmp_path)) == ["doc0.txt", "doc1.txt", "doc2.txt"]
    assert "bad.pdf" in _reasons(tmp_path)


def test_load_file_raises_document_error_for_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="not found"):
        load_folder(tmp_path / "nope", LIMIT)


def test_a_pdf_title_wrapped_over_two_lines_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(simple_pdf(["Greenfield Water Cooperative: 2023 Annual Water Quality and", "Operations Report",
                                 "Prepared by the Operations Department in March 2024."]))
    assert load_file(path, "report.pdf", LIMIT).title == "Greenfield Water Cooperative: 2023 Annual Water Quality and Operations Report"


def test_load_file_reads_a_word_file_with_its_title(tmp_path: Path) -> None:
    path = tmp_path / "handbook.docx"
    path.write_bytes(handbook_docx(properties_title="Old template title"))
    doc = load_file(path, "handbook.docx", LIMIT)
    assert doc.title == "Staff Handbook"  # the Title-style line the reader sees, before the properties
    assert "Senior | Daily limit: £40 | Hotel: £120" in doc.text


@pytest.mark.parametrize(("properties_title", "title"), [("Handbook 2025", "Handbook 2025"), ("", "team handbook")])
def test_load_file_titles_a_word_file_without_a_heading_by_its_properties_or_name(
    tmp_path: Path, properties_title: str, title: str
) -> None:
    path = tmp_path / "team_handbook.docx"
    path.write_bytes(handbook_docx(properties_title=properties_title, title=""))
    # The first heading, "Working hours", names a section, not the whole document.
    assert load_file(path, "team_handbook.docx", LIMIT).title == title
