"""Make small Word files for tests with python-docx, as a word processor would write them."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import docx


def handbook_docx(properties_title: str = "", title: str = "Staff Handbook", image: bool = False) -> bytes:
    """A .docx with a Title-style line, headings, a bulleted and a numbered list, a table with a bold first row.

    >>> handbook_docx()[:2]
    b'PK'
    """
    doc = docx.Document()
    doc.core_properties.title = properties_title
    if title:
        doc.add_paragraph(title, style="Title")
    doc.add_heading("Working hours", level=1)
    doc.add_paragraph("Core hours are 10 am to 4 pm. Staff may start as early as 7:30 am.")
    if image:
        doc.add_picture(io.BytesIO(_png()))
    doc.add_paragraph("We accept the following:")
    doc.add_paragraph("Doctor's notes", style="List Bullet")
    doc.add_paragraph("Self-certification for up to 7 days", style="List Bullet")
    doc.add_heading("Expenses", level=2)
    doc.add_paragraph("Claim expenses within 30 days.", style="List Number")
    doc.add_paragraph("Attach every receipt.", style="List Number")
    table = doc.add_table(rows=3, cols=3)
    for i, row in enumerate([("Grade", "Daily limit", "Hotel"), ("Junior", "£25", "£90"), ("Senior", "£40", "£120")]):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
            table.cell(i, j).paragraphs[0].runs[0].bold = i == 0
    paragraph = doc.add_paragraph("Mileage is paid at ")
    paragraph.add_run("45p per mile").bold = True
    paragraph.add_run(" for the first 10,000 miles.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _png() -> bytes:
    """A one-pixel PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def with_footnote(data: bytes, after: str, note: str) -> bytes:
    """The .docx `data` with a footnote `note` referenced right after the text `after` (python-docx writes none)."""
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    footnotes = f'<w:footnotes {ns}><w:footnote w:id="1"><w:p><w:r><w:t>{note}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    edits = {
        "word/document.xml": (f"{after}</w:t></w:r>", f'{after}</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r>'),
        "word/_rels/document.xml.rels": (
            "</Relationships>",
            '<Relationship Id="rIdNotes" Target="footnotes.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"/></Relationships>',
        ),
        "[Content_Types].xml": (
            "</Types>",
            '<Override PartName="/word/footnotes.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename in edits:
                old, new = edits[item.filename]
                assert old.encode() in content, f"{old!r} not in {item.filename}"
                content = content.replace(old.encode(), new.encode(), 1)
            target.writestr(item, content)
        target.writestr("word/footnotes.xml", footnotes)
    return out.getvalue()
