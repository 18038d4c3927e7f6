"""Sentence splitting and chunking with exact character offsets into the document text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest.lines import is_enumerator, is_heading, is_list_item, line_breaks
from rag.ingest.tables import TABLE_CELL, in_column_row, in_short_cell

# Words after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "al", "fig", "no", "nos", "vol",
        "pp", "p", "ed", "eds", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "rev", "inc", "ltd", "co", "corp",
        "dept", "est", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s",
        "u.k", "u.n", "a.m", "p.m", "d.c", "messrs", "mme", "mmes", "hon", "mt", "ft", "esq",
    }
)
# Abbreviations only before a number ("No. 5", "p. 12"): "No. It only renames files." is two sentences.
BEFORE_NUMBERS = frozenset({"no", "nos", "vol", "fig", "pp", "est"})
_TERMINAL = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
SHORT_ITEM_WORDS = 12  # a list item this short counts as _SHORT_ITEM of a sentence in a chunk's size
_SHORT_ITEM = 0.5
MAX_SENTENCE_WORDS = 80
# Bump whenever the same file would be read or cut differently: indexes record it, and one made by another version is
# rebuilt. 12: titles; HTML keeps inline markup in its sentence, table rows with their headers, numbered lists, code
# lines and headings; numbered headings, headings in capitals, chapters, code blocks; hanging indents; lines that run
# on; PDF page headers and footers, ligatures.
# 22: a bold first table row is a header; 23: "Chair: Daniel Okafor" is no heading; 24: page furniture; 25: a header
# block's fields; 26: a table's rows are embedded under their header row; 27: a plain-text table's too; 28: "I'm".
# 29: a PDF table's rows with their cells and header (rag/ingest/pdftables.py); scanned pages by OCR.
# 30: an HTML definition list's terms are headings.
SPLITTER_VERSION = 30
MAX_SENTENCE_CHARS = 1000


@dataclass(frozen=True)
class Span:
    """A half-open character range `[start, end)` of a text."""

    start: int
    end: int


@dataclass(frozen=True)
class ChunkSpan:
    """A chunk's character range and its sentences `[first, last)` by index in the document."""

    start: int
    end: int
    first: int
    last: int


def paragraphs(text: str) -> list[Span]:
    """Split on blank lines; spans are trimmed of surrounding whitespace.

    >>> [("a\\n\\nb c"[p.start:p.end]) for p in paragraphs("a\\n\\nb c")]
    ['a', 'b c']
    """
    spans: list[Span] = []
    pos = 0
    for match in _BLANK_LINE.finditer(text):
        spans.extend(_trimmed(text, pos, match.start()))
        pos = match.end()
    spans.extend(_trimmed(text, pos, len(text)))
    return spans


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Split `text[start:end]` into sentences with exact offsets into `text`.

    >>> t = "Dr. Smith arrived. He met Mr. Jones! Then left."
    >>> [t[s.start:s.end] for s in split_sentences(t)]
    ['Dr. Smith arrived.', 'He met Mr. Jones!', 'Then left.']
    """
    end = len(text) if end is None else end
    cuts: list[int] = []
    cells = text.find(TABLE_CELL, start, end) != -1  # a table row's cells: "Address: ul. Floriańska 3"
    for match in _TERMINAL.finditer(text, start, end):
        cut = match.end()
        if cut >= end or not text[cut].isspace():
            continue
        nxt = _next_visible(text, cut, end)
        if nxt is None or _is_abbreviation(text, match.start()) or is_enumerator(text, match.start()):
            continue
        if text.startswith("  ", cut) and in_column_row(text, cut):  # a table cell ends "No." or "Done."
            continue
        if (nxt.isupper() or nxt.isdigit() or nxt in "\"'\u201c\u2018([*-#") and not (cells and in_short_cell(text, match.start())):
            cuts.append(cut)
    cuts.extend(line_breaks(text, start, end))
    spans: list[Span] = []
    pos = start
    for cut in sorted(set(cuts)):
        spans.extend(_trimmed(text, pos, cut))
        pos = cut
    spans.extend(_trimmed(text, pos, end))
    return [piece for span in spans for piece in _cap_length(text, span)]


def chunk_sentences(sentences: list[Span], text: str, size: int, overlap: int, max_words: int) -> list[ChunkSpan]:
    """Group sentences into windows of at most `size` sentences and `max_words` words, overlapping by `overlap`.

    Chunks never cross a blank-line paragraph break, so a chunk reads as one passage; a short list item counts as
    half a sentence, so a list stays with its lead-in ("We accept the following:").

    >>> t = "Cats purr. Dogs bark. Birds sing."
    >>> [(c.first, c.last) for c in chunk_sentences(split_sentences(t), t, 2, 1, 100)]
    [(0, 2), (1, 3)]
    """
    chunks: list[ChunkSpan] = []
    for group in _paragraph_groups(sentences, text):
        i = 0
        while i < len(group):
            j, words, count = i, 0, 0.0
            while j < len(group) and count < size:
                sentence = text[sentences[group[j]].start : sentences[group[j]].end]
                n = len(sentence.split())
                if j > i and words + n > max_words:
                    break
                words += n
                count += _SHORT_ITEM if n <= SHORT_ITEM_WORDS and is_list_item(sentence) else 1.0
                j += 1
            first, last = group[i], group[j - 1] + 1
            chunks.append(ChunkSpan(sentences[first].start, sentences[last - 1].end, first, last))
            if j >= len(group):
                break
            i = max(i + 1, j - overlap)
    return chunks


def _paragraph_groups(sentences: list[Span], text: str) -> list[list[int]]:
    """Indices of sentences grouped by paragraph; a paragraph of headings only joins the paragraph after it, and a
    list joins the paragraph ending in ":" that leads into it.

    A paragraph ends at a blank line, or at a line break right after a finished sentence (news and handbooks
    often put one paragraph on each line); a line break inside running prose does not end one. A heading alone
    would make a passage that says nothing; with the text under it, its words help find that text.
    """
    groups: list[list[int]] = []
    prev: Span | None = None
    for i, s in enumerate(sentences):
        if prev is None or _paragraph_break(text, prev, s):
            groups.append([])
        groups[-1].append(i)
        prev = s
    merged: list[list[int]] = []
    pending: list[int] = []
    for group in groups:
        if all(is_heading(text, sentences[i].start, sentences[i].end) for i in group):
            pending.extend(group)
            continue
        first = sentences[group[0]]
        if merged and not pending and text[sentences[merged[-1][-1]].end - 1] == ":" and is_list_item(text[first.start : first.end]):
            merged[-1].extend(group)  # a lead-in and its list: "We accept the following:" / "- Visa"
            continue
        merged.append(pending + group)
        pending = []
    if pending:
        merged.append(pending)
    return merged


def _paragraph_break(text: str, prev: Span, sentence: Span) -> bool:
    """A blank line between the two sentences, or a line break after a finished one."""
    gap = text[prev.end : sentence.start]
    return bool(_BLANK_LINE.search(gap)) or ("\n" in gap and text[prev.end - 1] in ".!?\u2026\"\u201d\u2019)")


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    """The span without leading and trailing whitespace, or nothing if it is blank."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if start < end else []


def _next_visible(text: str, pos: int, end: int) -> str | None:
    while pos < end and text[pos].isspace():
        pos += 1
    return text[pos] if pos < end else None


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the word before the full stop at `dot` is a known abbreviation or an initial."""
    if text[dot] != ".":
        return False
    begin = dot
    while begin > 0 and not text[begin - 1].isspace() and text[begin - 1] not in "(\"'\u201c":
        begin -= 1
    word = text[begin:dot].lower()
    if word in BEFORE_NUMBERS:
        following = _next_visible(text, dot + 1, len(text))
        return following is not None and following.isdigit()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _cap_length(text: str, span: Span) -> list[Span]:
    """Cut runaway sentences (tables, one-line files) into pieces of at most MAX_SENTENCE_WORDS words and
    MAX_SENTENCE_CHARS characters, so a file that is one endless line still yields quotable pieces.
    """
    if span.end - span.start <= MAX_SENTENCE_CHARS and len(text[span.start : span.end].split()) <= MAX_SENTENCE_WORDS:
        return [span]
    pieces: list[Span] = []
    words = list(re.finditer(r"\S+", text[span.start : span.end]))
    for i in range(0, len(words), MAX_SENTENCE_WORDS):
        group = words[i : i + MAX_SENTENCE_WORDS]
        pieces.extend(_cap_chars(Span(span.start + group[0].start(), span.start + group[-1].end())))
    return pieces


def _cap_chars(span: Span) -> list[Span]:
    """Hard-cut a span into pieces of at most MAX_SENTENCE_CHARS characters (words that long have no better cut)."""
    return [Span(s, min(s + MAX_SENTENCE_CHARS, span.end)) for s in range(span.start, span.end, MAX_SENTENCE_CHARS)]
