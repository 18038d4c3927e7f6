"""Child-process entry point: print a PDF's metadata title and its pages' text as JSON
(`python -m rag.ingest.pdftext FILE MAXMEM MAXCHARS`); `document_text` joins the pages in the parent, after any
page without a text layer has been read by OCR (rag/ingest/ocr.py)."""

from __future__ import annotations

import json
import re
import resource
import sys
from collections import Counter

from rag.ingest.pdftables import with_tables
from rag.ingest.titles import is_junk_title

# Typographic ligatures (U+FB00-FB06) as their letters, so "Staﬀ" is found by "staff".
LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
)
_DIGIT = re.compile(r"\d")
EDGE_LINES = 2  # a page header or footer is among the first or last two lines of a page
_SENTENCE_END = (".", "!", "?", ":", "\"", "\u201d", "\u2026")


def main(path: str, max_memory: int, max_chars: int) -> None:
    """Extract text page by page under an address-space limit, giving up once the text passes `max_chars`."""
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    from pypdf import PdfReader

    reader = PdfReader(path)
    pages: list[str] = []
    total = 0
    for page in reader.pages:
        text = page.extract_text() or ""
        # A table's rows and their cells are seen in the layout text (columns by spaces); only a page with numbers
        # in it can hold a table, and the second extraction is skipped on the others.
        pages.append(with_tables(text, page.extract_text(extraction_mode="layout") or "") if _DIGIT.search(text) else text)
        total += len(pages[-1])
        if total > max_chars:
            sys.exit(f"too much text (more than {max_chars:,} characters)")
    title = ""
    if reader.metadata is not None and reader.metadata.title and not is_junk_title(str(reader.metadata.title)):
        title = str(reader.metadata.title)  # not "r.html" or "Microsoft Word - draft.docx": the first line is better
    json.dump({"title": title, "pages": pages}, sys.stdout)


def document_text(pages: list[str]) -> str:
    """The pages as the document's text: ligatures spelled out, running headers and footers dropped, pages joined.

    >>> document_text(["Report\\nThe sta\\ufb00 met.\\nPage 1", "Report\\nThey agreed.\\nPage 2"])
    'The staff met.\\n\\nThey agreed.'
    """
    return join_pages(without_running_lines([p.translate(LIGATURES) for p in pages]))


def first_line(text: str) -> str:
    """A title for a document with none: its first non-empty line (at most 120 characters)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:120]


def without_running_lines(pages: list[str]) -> list[str]:
    """The pages without their running headers and footers: edge lines that recur, numbers aside, on most pages.

    >>> without_running_lines(["Report 2024\\nFirst page text.\\nPage 1 of 2", "Report 2024\\nSecond page.\\nPage 2 of 2"])
    ['First page text.', 'Second page.']
    """
    if len(pages) < 2:
        return pages
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [line for line in page.splitlines() if line.strip()]
        counts.update({_shape(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]})
    running = {shape for shape, n in counts.items() if n >= max(2, len(pages) / 2)}
    out = []
    for page in pages:
        lines = [line for line in page.splitlines() if line.strip()]
        for _ in range(EDGE_LINES):
            if lines and _shape(lines[0]) in running:
                lines.pop(0)
            if lines and _shape(lines[-1]) in running:
                lines.pop()
        out.append("\n".join(lines))
    return out


def join_pages(pages: list[str]) -> str:
    """The pages as one text: a page that ends mid-sentence runs on into the next, others are paragraphs apart.

    >>> join_pages(["Costs fell by 11 per", "cent after the change.", "New page."])
    'Costs fell by 11 per\\ncent after the change.\\n\\nNew page.'
    """
    text = ""
    for page in (p.strip() for p in pages):
        if page:
            text += ("\n" if not text.endswith(_SENTENCE_END) else "\n\n") + page if text else page
    return text


def _shape(line: str) -> str:
    """A line with its numbers as '#', so "Page 2 of 9" and "Page 3 of 9" are the same running line."""
    return re.sub(r"\d+", "#", " ".join(line.split()))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
