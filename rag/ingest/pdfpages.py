"""A PDF's pages as people see them, read with PDFium in a child process with the PDF's memory limit:
`python -m rag.ingest.pdfpages FILE MAXMEM MAXCHARS locate` (quotes as JSON on stdin) prints each page's size and
where each quote lies (its page and its boxes, one per line it spans); `... MAXCHARS render PAGE SCALE` prints a page
as a PNG.

A quote is found by its letters and digits alone, lower-cased: the document's text comes from another extraction
(pypdf's, with tables as rows and running headers dropped), so spaces, hyphens and line breaks may differ, never
the characters people read. A table row ("York | Population 2021: 202,800") is found by its cells, in order.
"""

from __future__ import annotations

import base64
import json
import resource
import struct
import sys
import zlib
from typing import Any

Box = tuple[float, float, float, float]

LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
MAX_SIDE_PX = 3000  # a rendered page is at most this many pixels on its longer side
MAX_KEY = 60  # a quote's page is found by its first 60 letters and digits: enough to be unique, and within a page
MAX_HITS = 50  # a key found more often than this on the document's pages is no use to place a quote


def compact(text: str) -> tuple[str, list[int]]:
    """The text's letters and digits, lower-cased and ligatures spelled out, with each one's index in `text`.

    >>> compact("Sta\\ufb00 met, 9-5.")
    ('staffmet95', [0, 1, 2, 3, 3, 5, 6, 7, 10, 12])
    """
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in LIGATURES.get(ch, ch).lower():
            if c.isalnum():
                out.append(c)
                where.append(i)
    return "".join(out), where


def cells(quote: str) -> list[str]:
    """The parts of a table row that stand on the page: each cell's value, without the header the row repeats.

    >>> cells("York | Population 2011: 198,000 | Population 2021: 202,800")
    ['York', '198,000', '202,800']
    """
    return [part.rsplit(": ", 1)[-1].strip() for part in quote.split(" | ") if part.strip()]


def nearest(haystack: str, key: str, target: float) -> int:
    """Where `key` occurs in `haystack` closest to position `target`, or -1.

    >>> nearest("abcXabcXabc", "abc", 7.0)
    8
    """
    best, pos, seen = -1, haystack.find(key), 0
    while pos >= 0 and seen < MAX_HITS:
        if best < 0 or abs(pos - target) < abs(best - target):
            best = pos
        pos, seen = haystack.find(key, pos + 1), seen + 1
    return best


def line_boxes(boxes: list[Box]) -> list[Box]:
    """Character boxes (in reading order) merged into one box per line: a new line starts where a character sits
    below the line so far or goes back left.

    >>> line_boxes([(10, 700, 15, 710), (15, 700, 20, 712), (10, 686, 14, 696)])
    [(10, 700, 20, 712), (10, 686, 14, 696)]
    """
    lines: list[list[float]] = []
    for left, bottom, right, top in boxes:
        middle = (bottom + top) / 2
        line = lines[-1] if lines else None
        if line is None or not line[1] <= middle <= line[3] or left < line[0] - 1:
            lines.append([left, bottom, right, top])
        else:
            line[:] = [min(line[0], left), min(line[1], bottom), max(line[2], right), max(line[3], top)]
    return [(round(a, 1), round(b, 1), round(c, 1), round(d, 1)) for a, b, c, d in lines]


def png(rows: int, cols: int, channels: int, pixels: bytes) -> bytes:
    """8-bit grey (1 channel) or RGB (3) pixels, row by row, as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    stride = cols * channels
    raw = b"".join(b"\x00" + pixels[r * stride : (r + 1) * stride] for r in range(rows))  # filter 0 on every row
    header = struct.pack(">IIBBBBB", cols, rows, 8, 0 if channels == 1 else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def word_chars(words: list[list[Any]]) -> tuple[str, list[Box]]:
    """OCR'd words ([word, x0, y0, x1, y1]) as one text, words by spaces, with a box for each character: its share
    of its word's box.

    >>> word_chars([["Hi", 0, 0, 10, 5], ["yo", 12, 0, 20, 5]])
    ('Hi yo', [(0.0, 0.0, 5.0, 5.0), (5.0, 0.0, 10.0, 5.0), (10.0, 0.0, 12.0, 5.0), (12.0, 0.0, 16.0, 5.0), (16.0, 0.0, 20.0, 5.0)])
    """
    text, boxes = "", list[Box]()
    for word, x0, y0, x1, y1 in ([w, float(a), float(b), float(c), float(d)] for w, a, b, c, d in words):
        if text:
            text += " "
            boxes.append((boxes[-1][2], y0, x0, y1))
        step = (x1 - x0) / max(len(word), 1)
        text += word
        boxes += [(x0 + i * step, y0, x0 + (i + 1) * step, y1) for i in range(len(word))]
    return text, boxes


class _Page:
    """One page's letters and digits (as `compact`) and a box for each, from PDFium's characters or OCR's words."""

    def __init__(self, document: Any, number: int, words: list[list[Any]] | None) -> None:
        if words is not None:
            text, self._ocr_boxes = word_chars(words)
        else:
            import pypdfium2.raw as pdfium_c

            self._textpage = document[number].get_textpage()
            count = self._textpage.count_chars()
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(self._textpage.raw, i) or 32) for i in range(count))
        self.letters, self._index = compact(text)
        self._text = text
        self._ocr = words is not None

    def boxes(self, start: int, end: int) -> list[Box]:
        """The line boxes of letters `start` to `end` and the punctuation right after them ("week."), in PDF points
        (origin at the page's bottom left)."""
        chars = self._index[start:end]
        while chars and chars[-1] + 1 < len(self._text) and not self._text[chars[-1] + 1].isspace() \
                and not self._text[chars[-1] + 1].isalnum() and chars[-1] + 1 - self._index[end - 1] <= 2:
            chars.append(chars[-1] + 1)
        return line_boxes([self._ocr_boxes[i] if self._ocr else self._textpage.get_charbox(i) for i in chars])


def _place(document: Any, texts: list[str], ocr: dict[str, list[list[Any]]], quote: str, at: float) -> dict[str, Any] | None:
    """Where a quote lies: its page (1-based) and line boxes, or None when its characters are not on the pages.

    `at` is the quote's position in the document as a fraction of its text, to choose among repeats.
    """
    starts, total = [], 0
    for text in texts:
        starts.append(total)
        total += len(text)
    joined = "".join(texts)
    whole = compact(quote)[0]
    parts = [whole] if whole and nearest(joined, whole[:MAX_KEY], at * total) >= 0 else [compact(c)[0] for c in cells(quote)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    first = nearest(joined, parts[0][:MAX_KEY], at * total)
    if first < 0:
        return None
    number = max(i for i, s in enumerate(starts) if s <= first)
    page = _Page(document, number, ocr.get(str(number)))
    # The two readings of one page agree on its letters but may not on what precedes it (an inserted character);
    # search near where the whole-document reading put the quote.
    pos, boxes = max(0, first - starts[number] - 20), []
    for part in parts:
        found = page.letters.find(part[:MAX_KEY], pos)
        if found < 0:
            found = page.letters.find(part[:MAX_KEY])
        if found < 0:
            continue  # a cell that is not on this page (a row split by a page break)
        end = min(found + len(part), len(page.letters))
        boxes += page.boxes(found, end)
        pos = end
    return {"page": number + 1, "boxes": [list(b) for b in line_boxes(boxes)]} if boxes else None


def locate(path: str, quotes: list[dict[str, Any]], ocr: dict[str, list[list[Any]]]) -> dict[str, Any]:
    """Each page's size in points, and each quote's place (see `_place`); `ocr` holds the words OCR read on scanned
    pages, by page number (0-based), with their boxes."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    sizes, texts = [], []
    for i in range(len(document)):
        page = document[i]
        sizes.append(list(page.get_size()))
        if quotes:
            words = ocr.get(str(i))
            texts.append(compact(word_chars(words)[0] if words is not None else page.get_textpage().get_text_range())[0])
    return {"sizes": sizes, "places": [_place(document, texts, ocr, str(q["quote"]), float(q["at"])) for q in quotes]}


def render(path: str, page: int, scale: float) -> dict[str, Any]:
    """A page (1-based) as a base64 PNG at `scale` pixels per point (less when that passes MAX_SIDE_PX)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    if not 1 <= page <= len(document):
        return {"missing": f"no page {page}: the document has {len(document)}"}
    width, height = document[page - 1].get_size()
    scale = min(scale, MAX_SIDE_PX / max(width, height, 1.0))
    bitmap = document[page - 1].render(scale=scale, rev_byteorder=True, may_draw_forms=False)  # RGB; forms stay undrawn
    pixels = bitmap.to_numpy()
    rows, cols = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    data = png(rows, cols, channels, pixels[:, :, :3].tobytes() if channels > 3 else pixels.tobytes())
    return {"png": base64.b64encode(data).decode("ascii"), "scale": scale}


def main(argv: list[str]) -> None:
    """`FILE MAXMEM MAXCHARS locate` or `FILE MAXMEM MAXCHARS render PAGE SCALE`, under an address-space limit."""
    path, max_memory, command = argv[0], int(argv[1]), argv[3]
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    if command == "locate":
        asked = json.load(sys.stdin)
        out = locate(path, asked["quotes"], asked.get("ocr", {}))
    else:
        out = render(path, int(argv[4]), float(argv[5]))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
