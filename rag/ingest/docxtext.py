"""Word (.docx) to HTML with `mammoth`, so a Word file is read by the same code as a web page (`rag.ingest.htmltext`):
its headings, lists and tables keep their structure. Also a child-process entry point that prints a Word file's
title and text as JSON (`python -m rag.ingest.docxtext FILE MAXMEM MAXCHARS`), as `rag.ingest.pdftext` does for a PDF."""

from __future__ import annotations

import io
import json
import re
import resource
import sys
import zipfile
from typing import Any

from rag.errors import DocumentError
from rag.ingest.htmltext import soup_text

# Word's own title and subtitle styles are headings too, so they are never quoted as answers.
_STYLE_MAP = """
p[style-name='Title'] => h1.title:fresh
p[style-name='Subtitle'] => h2:fresh
"""
EXPANSION_LIMIT = 20  # a .docx may unpack to at most this many times the file size limit: a zip bomb stops here
_CORE_TITLE = re.compile(rb"<dc:title>([^<]*)</dc:title>")
_TEXT_RUN = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_PARAGRAPH = re.compile(rb"<w:p[\s>/]")


def text_size(document_xml: bytes) -> int:
    """The characters of text a Word body will give: its text runs, plus a blank line between paragraphs.

    Counted on the raw XML in one pass, so a text bomb (40,000 short paragraphs) is refused in milliseconds,
    before mammoth spends seconds converting it.

    >>> text_size(b'<w:p><w:r><w:t>Hello</w:t></w:r></w:p><w:p><w:r><w:t xml:space="preserve"> you</w:t></w:r></w:p>')
    13
    """
    return sum(len(run) for run in _TEXT_RUN.findall(document_xml)) + 2 * len(_PARAGRAPH.findall(document_xml))


def docx_html(data: bytes, max_bytes: int) -> tuple[str, str]:
    """A .docx file's body as HTML and its title: its Title-style line, else the title in its properties, else ""."""
    soup, title = docx_soup(data, max_bytes)
    return str(soup), title


def docx_soup(data: bytes, max_bytes: int) -> tuple[Any, str]:
    """`docx_html` as a parsed page (BeautifulSoup), so its text is read without parsing the HTML again.

    Images are left out without being unpacked. An unreadable file raises DocumentError.
    """
    import mammoth
    from bs4 import BeautifulSoup

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > EXPANSION_LIMIT * max_bytes:
                raise DocumentError(f"too big unpacked ({unpacked:,} bytes; the limit is {EXPANSION_LIMIT * max_bytes:,})")
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                raise DocumentError("unreadable Word file: no word/document.xml inside")
            core = archive.read("docProps/core.xml")[:100_000] if "docProps/core.xml" in names else b""
            size = text_size(archive.read("word/document.xml"))
            if size > max_bytes:
                raise DocumentError(f"too much text (about {size:,} characters; the limit is {max_bytes:,})")
        no_images = mammoth.images.img_element(lambda image: {})
        html = mammoth.convert_to_html(io.BytesIO(data), style_map=_STYLE_MAP, convert_image=no_images).value
    except DocumentError:
        raise
    except Exception as exc:  # zipfile and mammoth raise many kinds of error on a damaged file; none may stop a build
        raise DocumentError(f"unreadable Word file: {type(exc).__name__}: {str(exc)[:200]}") from exc
    soup = BeautifulSoup(html, "html.parser")
    # Footnote markers ("[1]") would read like this product's own citations, and the notes' back-links ("↑") like
    # text: both go; the notes stay, as a numbered list at the end.
    for link in soup.select('a[href^="#footnote-"], a[href^="#endnote-"]'):
        (link.parent if link.parent is not None and link.parent.name == "sup" else link).decompose()
    title_line = soup.find("h1", class_="title")
    if title_line is not None:
        return soup, " ".join(title_line.get_text(" ").split())
    found = _CORE_TITLE.search(core)
    return soup, " ".join(found.group(1).decode("utf-8", "replace").split()) if found else ""


def main(path: str, max_memory: int, max_chars: int) -> None:
    """Read the Word file under an address-space limit; print {"title", "text"}, or {"error"} for a file it refuses."""
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        soup, title = docx_soup(data, max_chars)
    except DocumentError as exc:
        json.dump({"error": str(exc)}, sys.stdout)
        return
    text = soup_text(soup, page=False)[1]  # its first heading is a section's, not the document's title
    if len(text) > max_chars:
        json.dump({"error": f"too much text (more than {max_chars:,} characters)"}, sys.stdout)
        return
    json.dump({"title": title[:120], "text": text}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
