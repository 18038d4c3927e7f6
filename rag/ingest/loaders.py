"""Reading a folder of documents: text, Markdown, HTML, PDF and Word, skipping what can't be read safely."""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rag.errors import DocumentError
from rag.ingest import ocr
from rag.ingest.child import run_child
from rag.ingest.htmltext import html_text
from rag.ingest.pdftext import document_text, first_line
from rag.ingest.titles import file_title, text_title, wrapped_title
from rag.schema import Document

Say = Callable[[str], None]  # hears a line on how far a long reading is
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES


@dataclass(frozen=True)
class Skipped:
    """A file left out of the index, with the one-line reason (and its sha256 when it failed to parse)."""

    path: str
    reason: str
    sha256: str = ""


class ParseError(DocumentError):
    """A file was read but its contents could not be turned into text; `sha256` names the bytes that failed."""

    def __init__(self, reason: str, sha256: str) -> None:
        super().__init__(reason)
        self.sha256 = sha256


@dataclass(frozen=True)
class LoadResult:
    """The documents read from a folder and the files skipped."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]


def load_folder(
    docs_dir: Path, max_bytes: int, pdf_timeout_s: float = 30.0, known: Mapping[str, Document] | None = None,
    failed: Mapping[str, str] | None = None, ocr_cache: Path | None = None, say: Say | None = None,
) -> LoadResult:
    """Load every supported file under `docs_dir`; unreadable files are skipped with a reason.

    A document whose text equals an earlier one's (even in another encoding or with other line ends) is skipped too,
    so one text is never cited twice. `known` holds documents read before (by the index): a file whose bytes are the
    same is not parsed again, so a rebuild after one upload doesn't re-read every PDF. `failed` maps the sha256 of
    files that failed to parse before to their reason: they are skipped again without a parse until they change.
    `ocr_cache` is a folder keeping what OCR read of each scanned PDF, by its sha256 (see `pdf_text`); `say` hears
    how far a long reading is (OCR of a scan, page by page) and may raise BuildCancelledError to stop it.
    """
    root = docs_dir.resolve()
    if not root.is_dir():
        raise DocumentError(f"documents folder not found: {docs_dir}")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    seen: dict[str, Document] = {}
    copies: list[tuple[str, str]] = []  # (path, text hash) of files whose text another file holds
    for rel, problem in iter_files(root):
        if problem:
            skipped.append(Skipped(rel, problem))
            continue
        try:
            doc = load_file(root / rel, rel, max_bytes, pdf_timeout_s, (known or {}).get(rel), failed, ocr_cache, say)
        except ParseError as exc:
            skipped.append(Skipped(rel, str(exc), exc.sha256))
            continue
        except DocumentError as exc:
            skipped.append(Skipped(rel, str(exc)))
            continue
        text_hash = hashlib.sha256(doc.text.encode("utf-8", "surrogatepass")).hexdigest()
        kept = seen.get(text_hash)
        if kept is not None:
            # Of two copies the shorter name stays ("notes.md" over "notes-2.md", which sorts first), so the
            # original keeps its id and the links to it.
            if (len(rel), rel) < (len(kept.doc_id), kept.doc_id):
                documents[documents.index(kept)] = seen[text_hash] = doc
                rel = kept.doc_id
            copies.append((rel, text_hash))
            continue
        seen[text_hash] = doc
        documents.append(doc)
    skipped.extend(Skipped(rel, f"same content as {seen[text_hash].doc_id}") for rel, text_hash in copies)
    return LoadResult(tuple(documents), tuple(skipped))


def iter_files(root: Path) -> Iterator[tuple[str, str]]:
    """Yield `(relative path, problem)` for each file under root, sorted; problem is "" when loadable."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            rel = (here / name).relative_to(root).as_posix()
            if name.startswith("."):
                yield rel + "/", "hidden folder"
            elif (here / name).is_symlink():
                yield rel + "/", "symlinked folder (not followed)"
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            rel = path.relative_to(root).as_posix()
            yield rel, _problem(root, path, name)


def _problem(root: Path, path: Path, name: str) -> str:
    """Why a file must not be read, or "" when it may be."""
    if name.startswith("."):
        return "hidden file"
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return f"unsupported type {path.suffix or '(none)'}"
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "broken or looping symlink"
        if not target.is_relative_to(root):
            return "symlink leading outside the documents folder"
        if any(part.startswith(".") for part in target.relative_to(root).parts):
            return "symlink to a hidden file"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return ""


def load_file(
    path: Path, doc_id: str, max_bytes: int, pdf_timeout_s: float = 30.0, known: Document | None = None,
    failed: Mapping[str, str] | None = None, ocr_cache: Path | None = None, say: Say | None = None,
) -> Document:
    """Read one file into a Document, or raise DocumentError with the reason (ParseError when its contents are at
    fault); `known` is returned when its bytes are the same, and bytes named in `failed` fail again unparsed."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(f"too big ({size:,} bytes; the limit is {max_bytes:,})")
        if size == 0:
            raise DocumentError("empty file")
        # O_NONBLOCK: should a FIFO or device replace the file after the checks, opening it must not hang the build.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise DocumentError("not a regular file")
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise DocumentError(f"unreadable: {exc.strerror}") from exc
    sha256 = hashlib.sha256(data).hexdigest()
    if known is not None and known.sha256 == sha256 and known.doc_id == doc_id:
        return known
    if failed and sha256 in failed:
        raise ParseError(failed[sha256], sha256)
    try:
        return _parse(path, doc_id, data, sha256, size, max_bytes, pdf_timeout_s, ocr_cache, say)
    except ParseError:
        raise
    except DocumentError as exc:
        raise ParseError(str(exc), sha256) from exc


def _parse(
    path: Path, doc_id: str, data: bytes, sha256: str, size: int, max_bytes: int, pdf_timeout_s: float, ocr_cache: Path | None,
    say: Say | None = None,
) -> Document:
    """Turn a file's bytes into a Document by its type."""
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        title, text = pdf_text(path, pdf_timeout_s, max_bytes, ocr.cache_file(ocr_cache, sha256) if ocr_cache else None,
                               (lambda done, total: say(f"{doc_id}: OCR read page {done} of {total}")) if say else None)
        title = wrapped_title(title, text)
    elif suffix in HTML_SUFFIXES:
        title, text = html_text(decode_text(data))
    elif suffix in DOCX_SUFFIXES:
        title, text = docx_text(path, pdf_timeout_s, max_bytes)
    else:
        text = normalise_newlines(decode_text(data))
        title = text_title(text, markdown=suffix in (".md", ".markdown"))
    if not text.strip():
        raise DocumentError("no text (empty or whitespace only)")
    return Document(doc_id, title or file_title(doc_id), text, sha256, size)


def decode_text(data: bytes) -> str:
    """Decode bytes honouring a BOM, then UTF-8, then the best detected charset; binary raises DocumentError.

    >>> decode_text("caf\\u00e9".encode("cp1252"))
    'café'
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise DocumentError(f"undecodable {encoding} text") from exc
    if b"\x00" in data[:8192]:
        raise DocumentError("binary file (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mostly_utf8 = _mostly_utf8(data)
    if mostly_utf8 is not None:
        return mostly_utf8
    from charset_normalizer import from_bytes

    sample = data[:1_000_000]
    # Mostly-ASCII text with a few high bytes is, by far most often, Windows-1252 (Western Europe).
    text = _decoded(data, "cp1252") if sum(1 for b in sample if b < 0x80) >= 0.5 * len(sample) else None
    if text is None:
        # Without a BOM, UTF-16/32 is not guessed.
        matches = [m for m in from_bytes(sample) if not m.encoding.startswith(("utf_16", "utf_32"))]
        if not matches:
            raise DocumentError("undecodable text (unknown encoding)")
        encoding = matches[0].encoding
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DocumentError(f"undecodable text (guessed {encoding})") from exc
    if _control_share(text) > 0.01:
        raise DocumentError("binary file (control characters)")
    return text


def normalise_newlines(text: str) -> str:
    """Turn CRLF and CR into LF so offsets mean the same on every platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def pdf_text(
    path: Path, timeout_s: float, max_chars: int, ocr_cache: Path | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> tuple[str, str]:
    """Extract a PDF's title and text in a child process with a time and memory limit, so a hostile file can't hang
    the build; pages without a text layer (scans) are then read by OCR in another child, given time per page
    (`on_page(done, total)` after each), or taken from `ocr_cache` (a file: what OCR read of these bytes before,
    written after each reading)."""
    payload = run_child("rag.ingest.pdftext", "PDF", path, timeout_s, max_chars)
    pages = [str(p) for p in payload["pages"]]
    scanned = [i for i, page in enumerate(pages) if ocr.needs_ocr(page)]
    read = ocr.cached(ocr_cache, scanned) if ocr_cache and scanned else None
    can_read = bool(scanned) and (read is not None or ocr.available())
    if can_read and read is None:
        limit = ocr.time_limit(len(scanned), timeout_s)
        read = run_child("rag.ingest.ocr", "scanned PDF", path, limit, max_chars, [str(i) for i in scanned], on_progress=on_page)
        if ocr_cache:
            ocr.keep(ocr_cache, read)
    for number, page in (read or {}).get("pages", {}).items():
        pages[int(number)] = str(page["text"])
    text = normalise_newlines(document_text(pages))
    if scanned and not text.strip():
        if not can_read:
            raise DocumentError("its pages are images of text (a scan) and OCR is not installed: "
                                "apt install tesseract-ocr tesseract-ocr-eng, then index again")
        raise DocumentError("its pages are images in which OCR found no text")
    return str(payload["title"]) or first_line(text), text


def docx_text(path: Path, timeout_s: float, max_chars: int) -> tuple[str, str]:
    """Extract a Word file's title and text in a child process with a time and memory limit, as for a PDF."""
    return _read_in_child("rag.ingest.docxtext", "Word file", path, timeout_s, max_chars)


def _read_in_child(module: str, kind: str, path: Path, timeout_s: float, max_chars: int) -> tuple[str, str]:
    """Run `python -m module FILE MAXMEM MAXCHARS` and take the title and text it prints as JSON."""
    payload = run_child(module, kind, path, timeout_s, max_chars)
    try:
        return str(payload["title"]), normalise_newlines(str(payload["text"]))
    except KeyError as exc:
        raise DocumentError(f"unreadable {kind}: the text extractor gave no usable output") from exc


def _decoded(data: bytes, encoding: str) -> str | None:
    """The bytes decoded, or None when they are not valid in the encoding."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few stray invalid bytes, decoded with U+FFFD in their place; None when it is not UTF-8.

    Guessing a legacy code page for such a file would garble every accented letter, so every quote would differ
    from what the user sees in the file.
    """
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return text if multibyte >= 1 and bad <= max(2, multibyte // 4) and bad <= len(text) // 100 + 2 else None


def _control_share(text: str) -> float:
    """Share of characters that are control characters other than whitespace."""
    if not text:
        return 0.0
    bad = sum(1 for ch in text[:100_000] if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return bad / min(len(text), 100_000)
