"""OCR of scanned PDF pages: each page is rendered with PDFium and read by Tesseract, in a child process with a memory
limit (`python -m rag.ingest.ocr FILE MAXMEM MAXCHARS PAGE...`, pages 0-based), which prints {"pages": {page: text}}.

Only pages with (almost) no text layer are read: a scan, a photographed page, a screenshot printed to PDF.
Tesseract is a system program (Debian: `apt install tesseract-ocr tesseract-ocr-eng`); without it such pages are
reported, never a crash.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys

MIN_TEXT_CHARS = 20  # a page with fewer visible characters than this in its text layer is read by OCR
DPI = 300
MAX_SIDE_PX = 4200  # a page is rendered at most this many pixels on its longer side (a poster-sized page is scaled down)
SECONDS_PER_PAGE = 10.0  # time allowed per page read (1-2 s is usual), on top of the PDF's own limit
MAX_SECONDS = 600.0  # ... and in all, per file: a build never waits longer on one scan
MAX_PAGES = 200  # pages read by OCR per file at most: a 500-page scan would take a quarter of an hour on two cores
BLANK_LEVEL = 200  # a rendered page with no pixel darker than this (of 255) is blank: nothing to read
LANGUAGE = "eng"


def needs_ocr(page_text: str) -> bool:
    """True when a page's text layer is (almost) empty.

    >>> needs_ocr(""), needs_ocr("  3 \\n"), needs_ocr("The keeper rows out every Tuesday.")
    (True, True, False)
    """
    return sum(not c.isspace() for c in page_text) < MIN_TEXT_CHARS


def time_limit(pages: int, base_s: float) -> float:
    """Seconds the OCR child may take for `pages` pages.

    >>> time_limit(3, 30.0), time_limit(500, 30.0)
    (60.0, 600.0)
    """
    return min(base_s + SECONDS_PER_PAGE * min(pages, MAX_PAGES), MAX_SECONDS)


def available() -> bool:
    """True when the `tesseract` program is installed."""
    return shutil.which("tesseract") is not None


def read_page(page: object) -> str:
    """One PDFium page as text: rendered in grey at DPI (at most MAX_SIDE_PX on its longer side), read by Tesseract."""
    width, height = page.get_size()  # type: ignore[attr-defined]
    scale = min(DPI / 72, MAX_SIDE_PX / max(width, height, 1.0))
    pixels = page.render(scale=scale, grayscale=True).to_numpy()  # type: ignore[attr-defined]
    if pixels.size == 0 or int(pixels.min()) > BLANK_LEVEL:
        return ""  # a blank page (or a hostile file's thousands of them) costs no Tesseract run
    rows, cols = pixels.shape[:2]
    image = b"P5 %d %d 255\n" % (cols, rows) + pixels.reshape(rows, cols).tobytes()  # PGM: Tesseract reads it as is
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread: the build runs on a small machine beside the server
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANGUAGE], input=image, capture_output=True, env=env,
                          check=False)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"tesseract failed: {said[-1] if said else done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def main(path: str, max_memory: int, max_chars: int, pages: list[int]) -> None:
    """Read the given pages under an address-space limit and print them as JSON."""
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    out: dict[str, str] = {}
    total = 0
    for number in pages[:MAX_PAGES]:
        out[str(number)] = read_page(document[number])
        total += len(out[str(number)])
        if total > max_chars:
            sys.exit(f"too much text (more than {max_chars:,} characters)")
    json.dump({"pages": out}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(p) for p in sys.argv[4:]])
