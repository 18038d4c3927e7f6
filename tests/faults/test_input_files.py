"""Hostile and odd input files: decoded right or skipped with a reason; nothing hangs, nothing secret is ingested."""

from __future__ import annotations

import hashlib
import io
import os
import random
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from docxmake import handbook_docx  # the Word file writer of tests/
from pdfmake import simple_pdf  # the hand-made PDF writer of tests/

from rag.engine import Engine
from rag.errors import DocumentError
from rag.ingest.chunking import chunk_sentences, split_sentences
from rag.ingest.loaders import LoadResult, load_file, load_folder
from rag.ingest.pageview import PageViews
from rag.schema import Document
from rag.search.embedder import Embedder
from rag.search.indexer import build_index
from rag.settings import Settings
from tests.stores import suite_settings

DEFAULT_LIMIT = Settings().max_file_bytes


def _load(folder: Path, **kwargs: float) -> tuple[dict[str, str], dict[str, str]]:
    result: LoadResult = load_folder(folder, int(kwargs.get("max_bytes", DEFAULT_LIMIT)), kwargs.get("pdf_timeout_s", 30.0))
    return {d.doc_id: d.text for d in result.documents}, {s.path: s.reason for s in result.skipped}


ENCODED = {
    "utf16.txt": ("The lighthouse keeper of Orvik counted 412 ships in 1901.", "utf-16"),
    "utf8bom.txt": ("The café on Quay Street served crème brûlée to 37 sailors.", "utf-8-sig"),
    "cp1252.txt": ("The “Salt Ledger” records naïve entries by the clerk Zoë, who wrote 88 pages.", "cp1252"),
}


def test_text_in_other_encodings_is_decoded_and_quoted_exactly(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, (text, encoding) in ENCODED.items():
        (docs / name).write_bytes((text + "\r\n").encode(encoding))
    # UTF-8 with one stray invalid byte: still UTF-8 (a code-page guess would garble every accented letter).
    (docs / "stray.txt").write_bytes("The brasserie in Lübeck sold 19 crêpes.".encode() + b" \xff\n")
    texts, skipped = _load(docs)
    assert not skipped
    for name, (text, _) in ENCODED.items():
        assert texts[name] == text + "\n"
    assert texts["stray.txt"].startswith("The brasserie in Lübeck sold 19 crêpes.")
    settings = suite_settings(docs_dir=docs, index_dir=tmp_path / "index")
    build_index(settings, embedder)
    engine = Engine(settings, embedder)
    for question, name in [("How many ships did the lighthouse keeper count?", "utf16.txt"), ("Who wrote 88 pages?", "cp1252.txt")]:
        answer = engine.ask(question)
        assert not answer.abstained and answer.citations, answer.to_dict()
        for c in answer.citations:
            assert c.doc_id == name and c.quote == texts[name][c.start : c.end] and c.quote in ENCODED[name][0]


def test_binary_junk_renamed_txt_is_skipped_even_without_nul_bytes(tmp_path: Path) -> None:
    rng = random.Random(5)
    (tmp_path / "noise.txt").write_bytes(bytes(rng.randrange(1, 256) for _ in range(20_000)))
    (tmp_path / "archive.txt").write_bytes(zlib.compress(b"compressed words " * 4000).replace(b"\x00", b"\x01"))
    (tmp_path / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(5000)))
    (tmp_path / "good.txt").write_text("A good document.", encoding="utf-8")
    texts, skipped = _load(tmp_path)
    assert list(texts) == ["good.txt"]
    assert all("binary" in skipped[name] or "undecodable" in skipped[name] for name in ("noise.txt", "archive.txt", "photo.md")), skipped


def test_fifty_megabyte_single_line_is_skipped_as_too_big_at_once(tmp_path: Path) -> None:
    with open(tmp_path / "huge.txt", "wb") as fh:
        for _ in range(50):
            fh.write(b"word " * 200_000)  # 1 MB per write, no newline anywhere
    (tmp_path / "ok.txt").write_text("Fine.", encoding="utf-8")
    started = time.process_time()  # CPU time: a busy machine doesn't change it, reading 50 MB would
    texts, skipped = _load(tmp_path)
    assert time.process_time() - started < 5
    assert "too big" in skipped["huge.txt"] and list(texts) == ["ok.txt"]


@pytest.mark.parametrize("unit", ["word ", "x", "Short one. "])
def test_several_megabyte_single_line_is_cut_into_quotable_pieces_in_bounded_time_and_memory(tmp_path: Path, unit: str) -> None:
    size = 4 * 1024 * 1024
    path = tmp_path / "line.txt"
    path.write_bytes((unit * (size // len(unit))).encode())
    tracemalloc.start()
    started = time.process_time()  # CPU time, which another process's load doesn't inflate
    doc = load_file(path, "line.txt", DEFAULT_LIMIT)
    sentences = split_sentences(doc.text)
    chunks = chunk_sentences(sentences, doc.text, 4, 1, 160)
    seconds = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 30, seconds
    assert peak < 40 * size, peak  # linear in the file, not quadratic
    assert max(s.end - s.start for s in sentences) <= 1000
    assert max(c.end - c.start for c in chunks) <= 4 * 1000 + 3
    assert sentences[0].start == 0 and sentences[-1].end == len(doc.text.rstrip())


def test_a_long_single_line_file_is_indexed_and_quoted(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    filler = " ".join(f"Row {i} holds {i * 7} grams of pepper." for i in range(2000))  # ~70 KB, one line
    (docs / "line.txt").write_text(filler + " The pepper vault of Maraq was sealed by Ilse Brandt.", encoding="utf-8")
    settings = suite_settings(docs_dir=docs, index_dir=tmp_path / "index")
    started = time.process_time()  # CPU time of every thread of this process: load elsewhere doesn't count
    build_index(settings, embedder)
    assert time.process_time() - started < 240
    answer = Engine(settings, embedder).ask("Who sealed the pepper vault of Maraq?")
    assert "Ilse Brandt" in answer.answer
    text = (docs / "line.txt").read_text(encoding="utf-8")
    assert all(text[c.start : c.end] == c.quote for c in answer.citations)


def test_html_scripts_styles_comments_and_handlers_are_not_indexed(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>Harbour notes</title><style>body{color:red} .secret-style{}</style>"
        "<script>alert('pwned-script')</script></head><body>"
        "<h1 onclick=\"alert('pwned-handler')\">Harbour notes</h1><!-- pwned-comment -->"
        "<p>The harbour opens at dawn.<script type='module'>fetch('/pwned-module')</script></p>"
        "<noscript>pwned-noscript</noscript><template>pwned-template</template>"
        "<a href=\"javascript:alert('pwned-link')\">the tide table</a><iframe srcdoc='pwned-iframe'></iframe></body></html>",
        encoding="utf-8",
    )
    texts, _ = _load(tmp_path)
    text = texts["page.html"]
    assert "The harbour opens at dawn." in text and "the tide table" in text
    for bad in ("pwned", "alert", "color:red", "secret-style", "javascript:"):
        assert bad not in text, (bad, text)


def _cyclic_pages_pdf() -> bytes:
    """A PDF whose page tree contains itself."""
    good = simple_pdf(["Loop"])
    return good.replace(b"/Kids [3 0 R]", b"/Kids [3 0 R 2 0 R]").replace(b"/Count 1", b"/Count 2")


def _slow_pdf(ops: int) -> bytes:
    """A valid PDF whose page draws `ops` tiny text pieces: slow to extract, a stand-in for a hostile file."""
    lines = ["x"] * ops
    return simple_pdf(lines)


def _bomb_pdf(megabytes: int, repeats: int = 1) -> bytes:
    """A PDF whose compressed content stream inflates to `megabytes` MB of text operators."""
    body = b"BT /F1 12 Tf 72 720 Td " + b"(AAAAAAAAAAAAAAAA) Tj " * (megabytes * 1024 * 1024 // 22) + b"ET"
    packed = zlib.compress(body, 9)
    good = simple_pdf(["x"])
    start = good.index(b"4 0 obj\n")
    end = good.index(b"endobj\n", start) + len(b"endobj\n")
    obj = b"4 0 obj\n<< /Length " + str(len(packed)).encode() + b" /Filter /FlateDecode >>\nstream\n" + packed + b"\nendstream\nendobj\n"
    # pypdf rebuilds a broken cross-reference table, so the shifted offsets don't matter. Repeating the one stream in
    # /Contents gets past pypdf's own per-stream limit, so only the child's memory limit stands in the way.
    contents = b"/Contents [" + b" ".join([b"4 0 R"] * repeats) + b"]" if repeats > 1 else b"/Contents 4 0 R"
    return (good[:start] + obj + good[end:]).replace(b"/Contents 4 0 R", contents)


@pytest.mark.slow
def test_hostile_pdfs_are_skipped_within_the_time_and_memory_limits_and_the_build_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.pdf").write_bytes(simple_pdf(["The quarry of Tolland shipped granite."], title="Quarry"))
    (tmp_path / "truncated.pdf").write_bytes(simple_pdf(["Cut short"])[:120])
    (tmp_path / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(random.Random(3).randrange(256) for _ in range(4000)))
    (tmp_path / "cyclic.pdf").write_bytes(_cyclic_pages_pdf())
    (tmp_path / "slow.pdf").write_bytes(_slow_pdf(400_000))
    (tmp_path / "bomb.pdf").write_bytes(_bomb_pdf(400))
    (tmp_path / "multibomb.pdf").write_bytes(_bomb_pdf(60, repeats=24))
    (tmp_path / "textbomb.pdf").write_bytes(_bomb_pdf(70))  # under pypdf's limit: ~50 M characters of text
    started = time.monotonic()
    texts, skipped = _load(tmp_path, pdf_timeout_s=4.0)
    elapsed = time.monotonic() - started
    assert "The quarry of Tolland shipped granite." in texts["good.pdf"]
    for name in ("truncated.pdf", "garbage.pdf", "slow.pdf", "bomb.pdf", "multibomb.pdf", "textbomb.pdf"):
        assert name in skipped and ("PDF" in skipped[name] or "too" in skipped[name]), (name, skipped, list(texts))
    assert "cyclic.pdf" in skipped or "Loop" in texts.get("cyclic.pdf", "")
    assert elapsed < 8 * 4.0 + 10, elapsed
    print(skipped)


@pytest.mark.slow
def test_hostile_pdfs_are_drawn_and_searched_for_quotes_within_the_limits_or_refused(tmp_path: Path) -> None:
    """The page view reads a PDF again (PDFium, not pypdf): each hostile file is drawn or refused, in bounded time."""
    files = {"truncated.pdf": simple_pdf(["Cut short"])[:120], "cyclic.pdf": _cyclic_pages_pdf(),
             "garbage.pdf": b"%PDF-1.7\n" + bytes(random.Random(3).randrange(256) for _ in range(4000)),
             "slow.pdf": _slow_pdf(400_000), "bomb.pdf": _bomb_pdf(400), "multibomb.pdf": _bomb_pdf(60, repeats=24)}
    views = PageViews(tmp_path, timeout_s=4.0)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        doc = Document(name, name, "Cut short Loop x", hashlib.sha256(data).hexdigest(), len(data))
        started = time.monotonic()
        for work in ("png", "layout"):
            try:
                views.png(doc, 1, 3.0) if work == "png" else views.layout(doc, [(0, 9)])
            except DocumentError as exc:
                assert "PDF" in str(exc) or "page" in str(exc), (name, work, exc)
                if work == "layout":  # refused at once from now on: no answer waits on this file again
                    again = time.monotonic()
                    with pytest.raises(DocumentError):
                        views.layout(doc, [(0, 5)])
                    assert time.monotonic() - again < 0.5, name
        assert time.monotonic() - started < 2 * 4.0 + 4, name


@pytest.mark.timeout(60)
def test_symlinks_fifos_hidden_files_and_secrets_are_never_ingested(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text("PRIVATE-OUTSIDE diary.", encoding="utf-8")
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / ".git").mkdir()
    (docs / ".ssh").mkdir()
    (docs / ".env").write_text("API_KEY=SECRET-ENV-1", encoding="utf-8")
    (docs / ".env.txt").write_text("API_KEY=SECRET-ENV-2", encoding="utf-8")
    (docs / ".git" / "notes.md").write_text("SECRET-GIT notes.", encoding="utf-8")
    (docs / ".ssh" / "id_rsa.txt").write_text("SECRET-SSH key.", encoding="utf-8")
    (docs / "credentials.env").write_text("SECRET-ENV-3", encoding="utf-8")
    (docs / "notes.txt").symlink_to(docs / ".env")  # a visible name for a hidden file
    (docs / "diary.txt").symlink_to(outside / "private.txt")
    (docs / "escape").symlink_to(outside, target_is_directory=True)
    (docs / "sub" / "up").symlink_to(docs, target_is_directory=True)  # a loop
    (docs / "a.txt").symlink_to(docs / "b.txt")
    (docs / "b.txt").symlink_to(docs / "a.txt")
    os.mkfifo(docs / "pipe.txt")
    os.mkfifo(docs / "sub" / "pipe.md")
    (docs / "sub" / "pipe-link.txt").symlink_to(docs / "pipe.txt")
    (docs / "real.txt").write_text("The real document.", encoding="utf-8")
    texts, skipped = _load(docs)  # a FIFO opened for reading would block forever: the timeout mark fails the test then
    assert list(texts) == ["real.txt"]
    assert "SECRET" not in repr(skipped) and "PRIVATE" not in repr(skipped)  # reasons name files, never content
    assert "hidden" in skipped["notes.txt"] and "outside" in skipped["diary.txt"]
    never = (".env", ".env.txt", ".git/", ".ssh/", "credentials.env", "escape/", "sub/up/", "a.txt", "pipe.txt")
    assert all(name in skipped for name in never), skipped
    assert "not a regular file" in skipped["sub/pipe.md"] and "not a regular file" in skipped["sub/pipe-link.txt"]


def test_a_small_pdf_that_inflates_to_too_much_text_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "inflating.pdf"
    path.write_bytes(_bomb_pdf(1))  # a few KB on disk, about 760 000 characters of text
    assert path.stat().st_size < 10_000
    _, skipped = _load(tmp_path, max_bytes=10_000)
    assert "too much text" in skipped["inflating.pdf"], skipped


def _zipped(parts: dict[str, bytes]) -> bytes:
    """A zip archive holding `parts`, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


_WORD = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b"]>" + _WORD + b"<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


@pytest.mark.slow
def test_hostile_word_files_are_skipped_within_the_time_and_memory_limits_and_the_build_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.docx").write_bytes(handbook_docx())
    (tmp_path / "zipbomb.docx").write_bytes(_zipped({"word/document.xml": _WORD + b" " * 30_000_000 + b"</w:body></w:document>"}))
    (tmp_path / "laughs.docx").write_bytes(_zipped({"word/document.xml": _LAUGHS}))
    (tmp_path / "truncated.docx").write_bytes(handbook_docx()[:3000])
    (tmp_path / "garbage.docx").write_bytes(b"PK\x03\x04" + bytes(random.Random(5).randrange(256) for _ in range(4000)))
    many = b"".join(b"<w:p><w:r><w:t>Row %d of the ledger.</w:t></w:r></w:p>" % n for n in range(40_000))
    (tmp_path / "textbomb.docx").write_bytes(_zipped({"word/document.xml": _WORD + many + b"</w:body></w:document>"}))
    started = time.monotonic()
    texts, skipped = _load(tmp_path, max_bytes=1_000_000, pdf_timeout_s=10.0)
    elapsed = time.monotonic() - started
    assert "Senior | Daily limit: £40 | Hotel: £120" in texts["good.docx"]
    assert "too big unpacked" in skipped["zipbomb.docx"]  # 30 MB of XML from 30 KB: refused before it is parsed
    assert "too much text" in skipped["textbomb.docx"]  # about 1 MB of text from a small file
    for name in ("truncated.docx", "garbage.docx"):
        assert "Word file" in skipped[name], (name, skipped)
    assert "laughs.docx" in skipped or len(texts["laughs.docx"]) < 1_000_000  # entities never blow up
    assert elapsed < 60, elapsed  # each file has 10 s at most
