"""The pages of the indexed PDFs: where a quote lies on its page and each page as a PNG, read from the document's file
by PDFium in a child process with the PDF's time and memory limits (rag/ingest/pdfpages.py), and cached."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import DocumentError, DocumentNotFoundError
from rag.ingest import ocr
from rag.ingest.child import run_child
from rag.schema import Document

Box = tuple[float, float, float, float]
MIN_SCALE, MAX_SCALE = 0.5, 3.0  # pixels per PDF point of a rendered page (1.5 is 108 dpi)
PNG_CACHE_BYTES = 64 * 1024 * 1024
PLACE_CACHE = 4096  # quotes whose places are kept
_MAX_CHARS = 1  # the page children read no text into the parent: their output is bounded by the request


@dataclass(frozen=True)
class Place:
    """A quote's page (1-based) and its boxes on it, one per line: [x0, y0, x1, y1] in PDF points."""

    page: int
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class Layout:
    """A PDF's page sizes (width, height in points) and the places of the quotes asked about (None: not found)."""

    sizes: tuple[tuple[float, float], ...]
    places: tuple[Place | None, ...]


def is_pdf(doc_id: str) -> bool:
    """True for a document read as a PDF.

    >>> is_pdf("reports/Annual.PDF"), is_pdf("notes.txt")
    (True, False)
    """
    return doc_id.lower().endswith(".pdf")


def snap_scale(scale: float) -> float:
    """A page scale within bounds, in steps of 0.25 (so a few sizes are cached, not every float).

    >>> snap_scale(1.6), snap_scale(40.0), snap_scale(0.0)
    (1.5, 3.0, 0.5)
    """
    return min(MAX_SCALE, max(MIN_SCALE, round(scale * 4) / 4))


class PageViews:
    """Layouts and page images of the PDFs in `docs_dir`, for files whose bytes are still the ones indexed."""

    def __init__(self, docs_dir: Path, timeout_s: float, ocr_cache: Path | None = None) -> None:
        self.docs_dir = docs_dir
        self.timeout_s = timeout_s
        self.ocr_cache = ocr_cache  # what OCR read of scanned pages, with each word's box (rag/ingest/ocr.py)
        self._lock = threading.Lock()
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._sizes: OrderedDict[str, tuple[tuple[float, float], ...]] = OrderedDict()
        self._places: OrderedDict[tuple[str, int, int], Place | None] = OrderedDict()
        self._pngs: OrderedDict[tuple[str, int, float], bytes] = OrderedDict()
        self._failed: dict[str, str] = {}  # sha256 -> why its quotes could not be placed

    def source(self, doc: Document) -> Path:
        """The document's file, or DocumentError when it is no PDF or its bytes changed since it was indexed."""
        if not is_pdf(doc.doc_id):
            raise DocumentError("only a PDF has pages to show")
        path = self.docs_dir / doc.doc_id
        try:
            stat = path.stat()
            key = (str(path), stat.st_size, stat.st_mtime_ns)
            with self._lock:
                digest = self._hashes.get(key)
            if digest is None:
                digest = _sha256(path)
                with self._lock:
                    self._hashes[key] = digest
        except OSError as exc:
            raise DocumentError("the document's file is gone from the documents folder") from exc
        if digest != doc.sha256:
            raise DocumentError("the document's file changed since it was indexed: index it again to see its pages")
        return path

    def layout(self, doc: Document, spans: Sequence[tuple[int, int]], timeout_s: float | None = None) -> Layout:
        """The PDF's page sizes and where each (start, end) span of its text lies on its pages."""
        path = self.source(doc)
        with self._lock:
            sizes = self._sizes.get(doc.sha256)
            known = {span: self._places[(doc.sha256, *span)] for span in spans if (doc.sha256, *span) in self._places}
        todo = [span for span in dict.fromkeys(spans) if span not in known]
        if sizes is None or todo:
            quotes = [{"quote": doc.text[s:e], "at": s / max(len(doc.text), 1)} for s, e in todo]
            read = ocr.cached(ocr.cache_file(self.ocr_cache, doc.sha256)) if self.ocr_cache else None
            words = {n: page["words"] for n, page in (read or {"pages": {}})["pages"].items()}
            if doc.sha256 in self._failed:
                raise DocumentError(self._failed[doc.sha256])
            try:
                out = self._child(path, ["locate"], timeout_s, json.dumps({"quotes": quotes, "ocr": words}).encode())
            except DocumentError as exc:  # a file PDFium can't read in time is not tried again on every answer
                with self._lock:
                    self._failed[doc.sha256] = str(exc)
                raise
            sizes = tuple((float(w), float(h)) for w, h in out["sizes"])
            found = [_place(p) for p in out["places"]]
            with self._lock:
                self._sizes[doc.sha256] = sizes
                _trim(self._sizes, 256)
                for span, place in zip(todo, found, strict=True):
                    self._places[(doc.sha256, *span)] = known[span] = place
                _trim(self._places, PLACE_CACHE)
        return Layout(sizes, tuple(known[span] for span in spans))

    def png(self, doc: Document, page: int, scale: float) -> bytes:
        """Page `page` (1-based) of the PDF as a PNG, `scale` pixels per point (snapped to 0.5-3.0 by 0.25)."""
        path = self.source(doc)
        key = (doc.sha256, page, snap_scale(scale))
        with self._lock:
            data = self._pngs.get(key)
        if data is not None:
            return data
        out = self._child(path, ["render", str(page), str(key[2])], None)
        if "missing" in out:
            raise DocumentNotFoundError(str(out["missing"]))
        try:
            data = base64.b64decode(out["png"], validate=True)
        except (KeyError, binascii.Error) as exc:
            raise DocumentError("the page could not be drawn") from exc
        with self._lock:
            self._pngs[key] = data
            while sum(len(v) for v in self._pngs.values()) > PNG_CACHE_BYTES:
                self._pngs.popitem(last=False)
        return data

    def _child(self, path: Path, args: list[str], timeout_s: float | None, stdin: bytes = b"") -> dict[str, Any]:
        """Run rag.ingest.pdfpages on the file with the PDF's limits."""
        return run_child("rag.ingest.pdfpages", "PDF", path, timeout_s or self.timeout_s, _MAX_CHARS, args, stdin)


def _place(raw: Any) -> Place | None:
    """A place as the child printed it."""
    if not raw:
        return None
    return Place(int(raw["page"]), tuple((float(a), float(b), float(c), float(d)) for a, b, c, d in raw["boxes"]))


def _trim(cache: OrderedDict[Any, Any], size: int) -> None:
    """Drop the oldest entries past `size`."""
    while len(cache) > size:
        cache.popitem(last=False)


def _sha256(path: Path) -> str:
    """The file's sha256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
