"""OCR of scanned PDF pages: each page is rendered with PDFium and read by Tesseract, in a child process with a memory
limit (`python -m rag.ingest.ocr FILE MAXMEM MAXCHARS PAGE...`, pages 0-based), which prints
{"pages": {page: {"text": text, "words": [[word, x0, y0, x1, y1], ...]}}}: each word's box in PDF points from the
page's bottom left, so a quote read by OCR is marked on its page as a typed one is.

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
from pathlib import Path
from typing import Any

MIN_TEXT_CHARS = 20  # a page with fewer visible characters than this in its text layer is read by OCR
DPI = 300
MAX_SIDE_PX = 4200  # a page is rendered at most this many pixels on its longer side (a poster-sized page is scaled down)
SECONDS_PER_PAGE = 10.0  # time allowed per page read (1-2 s is usual), on top of the PDF's own limit
MAX_SECONDS = 600.0  # ... and in all, per file: a build never waits longer on one scan
MAX_PAGES = 200  # pages read by OCR per file at most: a 500-page scan would take a quarter of an hour on two cores
BLANK_LEVEL = 200  # a rendered page with no pixel darker than this (of 255) is blank: nothing to read
LANGUAGE = "eng"
CACHE_VERSION = 1  # of what is kept in the OCR cache: text and word boxes per page


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


def read_page(page: object) -> dict[str, Any]:
    """One PDFium page read by Tesseract: rendered in grey at DPI (at most MAX_SIDE_PX on its longer side); its text
    and its words with their boxes in points."""
    width, height = page.get_size()  # type: ignore[attr-defined]
    scale = min(DPI / 72, MAX_SIDE_PX / max(width, height, 1.0))
    pixels = page.render(scale=scale, grayscale=True).to_numpy()  # type: ignore[attr-defined]
    if pixels.size == 0 or int(pixels.min()) > BLANK_LEVEL:
        return {"text": "", "words": []}  # a blank page (or a hostile file's thousands of them) costs no Tesseract run
    rows, cols = pixels.shape[:2]
    image = b"P5 %d %d 255\n" % (cols, rows) + pixels.reshape(rows, cols).tobytes()  # PGM: Tesseract reads it as is
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread: the build runs on a small machine beside the server
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANGUAGE, "tsv"], input=image, capture_output=True,
                          env=env, check=False)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"tesseract failed: {said[-1] if said else done.returncode}")
    return from_tsv(done.stdout.decode("utf-8", "replace"), scale, height)


def from_tsv(tsv: str, scale: float, height: float) -> dict[str, Any]:
    r"""Tesseract's TSV as text (words by spaces, lines by a line break, paragraphs by a blank line, as its plain
    text output) and words with their boxes in points (pixels / scale, y from the page's bottom).

    >>> head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    >>> row = "5\t1\t1\t1\t{}\t{}\t{}\t100\t50\t20\t96\t{}\n"
    >>> out = from_tsv(head + row.format(1, 1, 10, "Ships") + row.format(1, 2, 70, "sail.") + row.format(2, 1, 10, "Now"), 2.0, 792.0)
    >>> out["text"], out["words"][0]
    ('Ships sail.\nNow', ['Ships', 5.0, 732.0, 30.0, 742.0])
    """
    text, words, last = "", [], None
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        where = (cols[2], cols[3], cols[4])
        left, top, w, h = (float(c) / scale for c in cols[6:10])
        if last is not None:
            text += " " if where == last else "\n" if where[:2] == last[:2] else "\n\n"
        text += cols[11]
        words.append([cols[11], round(left, 1), round(height - top - h, 1), round(left + w, 1), round(height - top, 1)])
        last = where
    return {"text": text, "words": words}


def cache_file(folder: Path, sha256: str) -> Path:
    """Where what OCR read of a file with these bytes is kept."""
    return folder / "ocr" / f"{sha256}-v{CACHE_VERSION}.json"


def cached(path: Path, pages: list[int] | None = None) -> dict[str, Any] | None:
    """What OCR read before (of exactly these pages, when given), or None: read them again."""
    try:
        read = json.loads(path.read_text(encoding="utf-8"))
        if pages is not None and sorted(int(n) for n in read["pages"]) != sorted(pages[:MAX_PAGES]):
            return None
        return {"pages": {str(n): {"text": str(p["text"]), "words": list(p["words"])} for n, p in read["pages"].items()}}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def keep(path: Path, read: dict[str, Any]) -> None:
    """Write what OCR read to the cache (whole or not at all); a cache that can't be written is only slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(read), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def main(path: str, max_memory: int, max_chars: int, pages: list[int]) -> None:
    """Read the given pages under an address-space limit and print them as JSON."""
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    out: dict[str, dict[str, Any]] = {}
    total = 0
    todo = pages[:MAX_PAGES]
    for done, number in enumerate(todo, 1):
        out[str(number)] = read_page(document[number])
        print(f"progress {done} {len(todo)}", file=sys.stderr, flush=True)  # the build shows how far a long scan is
        total += len(out[str(number)]["text"])
        if total > max_chars:
            sys.exit(f"too much text (more than {max_chars:,} characters)")
    json.dump({"pages": out}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(p) for p in sys.argv[4:]])
