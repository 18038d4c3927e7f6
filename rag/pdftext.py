"""Child-process entry point: print a PDF's title and text as JSON (`python -m rag.pdftext FILE MAXMEM MAXCHARS`)."""

from __future__ import annotations

import json
import resource
import sys


def main(path: str, max_memory: int, max_chars: int) -> None:
    """Extract text page by page under an address-space limit, giving up once the text passes `max_chars`."""
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    from pypdf import PdfReader

    reader = PdfReader(path)
    pages: list[str] = []
    total = 0
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        total += len(pages[-1])
        if total > max_chars:
            sys.exit(f"too much text (more than {max_chars:,} characters)")
    title = ""
    if reader.metadata is not None and reader.metadata.title:
        title = str(reader.metadata.title)
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not title:
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")[:120]
    json.dump({"title": title, "text": text}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
