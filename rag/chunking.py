"""Sentence splitting and chunking with exact character offsets into the document text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "al", "fig", "no", "nos", "vol",
        "pp", "p", "ed", "eds", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "rev", "inc", "ltd", "co", "corp",
        "dept", "est", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s",
        "u.k", "u.n", "a.m", "p.m", "d.c",
    }
)
_TERMINAL = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_BLOCK_START = re.compile(r"\s*(#{1,6}\s|[-*+\u2022]\s|\d{1,3}[.)]\s|>)")
MAX_SENTENCE_WORDS = 80
# Bump whenever the same text would be cut differently: indexes record it, and one cut by another version is rebuilt.
SPLITTER_VERSION = 4
MAX_SENTENCE_CHARS = 1000
HEADING_MAX_WORDS = 4
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s")
# Hard-wrapped text: at least this many lines, wrapped at a width in this range, and a line this close to the width
# is a wrapped one.
WRAP_MIN_LINES = 8
WRAP_WIDTHS = (30, 120)
WRAPPED_SHARE = 0.8


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
    for match in _TERMINAL.finditer(text, start, end):
        cut = match.end()
        if cut >= end or not text[cut].isspace():
            continue
        nxt = _next_visible(text, cut, end)
        if nxt is None or _is_abbreviation(text, match.start()) or not (nxt.isupper() or nxt.isdigit() or nxt in "\"'\u201c\u2018([*-#"):
            continue
        cuts.append(cut)
    cuts.extend(_line_breaks(text, start, end))
    spans: list[Span] = []
    pos = start
    for cut in sorted(set(cuts)):
        spans.extend(_trimmed(text, pos, cut))
        pos = cut
    spans.extend(_trimmed(text, pos, end))
    return [piece for span in spans for piece in _cap_length(text, span)]


def chunk_sentences(sentences: list[Span], text: str, size: int, overlap: int, max_words: int) -> list[ChunkSpan]:
    """Group sentences into windows of at most `size` sentences and `max_words` words, overlapping by `overlap`.

    Chunks never cross a blank-line paragraph break, so a chunk reads as one passage.

    >>> t = "Cats purr. Dogs bark. Birds sing."
    >>> [(c.first, c.last) for c in chunk_sentences(split_sentences(t), t, 2, 1, 100)]
    [(0, 2), (1, 3)]
    """
    chunks: list[ChunkSpan] = []
    for group in _paragraph_groups(sentences, text):
        i = 0
        while i < len(group):
            j, words = i, 0
            while j < len(group) and j - i < size:
                n = len(text[sentences[group[j]].start : sentences[group[j]].end].split())
                if j > i and words + n > max_words:
                    break
                words += n
                j += 1
            first, last = group[i], group[j - 1] + 1
            chunks.append(ChunkSpan(sentences[first].start, sentences[last - 1].end, first, last))
            if j >= len(group):
                break
            i = max(i + 1, j - overlap)
    return chunks


def is_heading(text: str, span: Span) -> bool:
    """True for a heading: a Markdown one, or a line of its own of a few words with no closing punctuation.

    Headings are context, never answers; in text from HTML or PDF they are short lines ("Warranty", "Early life").
    >>> t = "## Leave\\nWarranty\\nLinux is not officially supported\\nSee below."
    >>> [is_heading(t, s) for s in split_sentences(t)]
    [True, True, False, False]
    """
    sentence = text[span.start : span.end]
    if _MARKDOWN_HEADING.match(sentence):
        return True
    if len(sentence.split()) > HEADING_MAX_WORDS or sentence[-1] in ".!?:;,\u2026\"\u201d)" or not sentence[0].isupper():
        return False
    before, after = span.start - 1, span.end  # look at the line around the span only: no copy of the text before it
    while before >= 0 and text[before] in " \t":
        before -= 1
    while after < len(text) and text[after] in " \t":
        after += 1
    return (before < 0 or text[before] == "\n") and (after == len(text) or text[after] in "\n\r")


def _paragraph_groups(sentences: list[Span], text: str) -> list[list[int]]:
    """Indices of sentences grouped by paragraph; a paragraph of headings only joins the paragraph after it.

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
        if all(is_heading(text, sentences[i]) for i in group):
            pending.extend(group)
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
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _line_breaks(text: str, start: int, end: int) -> list[int]:
    """Newlines that end a sentence: after blank lines, headings, list items or short lines.

    A lone newline inside running prose (hard-wrapped text, PDFs) does not split; in hard-wrapped text a line
    is wrapped, however few its words, when it fills the width or the next line's first word would not have fit.
    """
    cuts: list[int] = []
    width = wrap_width(text[start:end])
    line_start = start
    pos = text.find("\n", start, end)
    while pos != -1:
        line = text[line_start:pos].strip()
        following = text[pos + 1 : min(end, pos + 80)]
        next_word = following.split(maxsplit=1)[0] if following.strip() else ""
        wrapped = width is not None and (
            len(line) >= WRAPPED_SHARE * width or len(text[line_start:pos].rstrip()) + 1 + len(next_word) > width
        )
        if (
            not line
            or _BLOCK_START.match(following)
            or _BLOCK_START.match(line)
            or not following.strip()
            # A wrapped line ends no sentence by itself: a full stop before it still does (split_sentences).
            or (not wrapped and _short_or_finished(line, next_word))
        ):
            cuts.append(pos)
        line_start = pos + 1
        pos = text.find("\n", pos + 1, end)
    return cuts


def _short_or_finished(line: str, next_word: str) -> bool:
    """A line of text that is not hard-wrapped ends its sentence: it closes with punctuation, or it is short."""
    return line[-1] in ".!?:;\u2026\"\u201d" or len(line.split()) <= 8 or (next_word[:1].isupper() and len(line) < 60)


def wrap_width(text: str) -> int | None:
    """The width a hard-wrapped text was wrapped at, or None when its lines are not wrapped.

    Hard-wrapped text (e-mail, plain-text books, RFCs) has many lines, none much longer than the width and most
    close to it; text with a paragraph on each line has long lines.
    >>> wrap_width("\\n".join(["Prose wrapped at a width of forty-one chars"] * 10))
    43
    >>> wrap_width("One paragraph on a line.\\nAnother one.") is None
    True
    """
    lengths = sorted(len(line.rstrip()) for line in text.split("\n") if line.strip())
    if len(lengths) < WRAP_MIN_LINES:
        return None
    width = lengths[int(0.95 * (len(lengths) - 1))]
    if not WRAP_WIDTHS[0] <= width <= WRAP_WIDTHS[1]:
        return None
    full = sum(1 for n in lengths if n >= WRAPPED_SHARE * width)
    return width if full >= 0.5 * len(lengths) else None


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
