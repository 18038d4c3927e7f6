"""The document view's layout: the text cut into headings, paragraphs and lines without changing a character."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest.lines import is_heading, line_breaks
from rag.ingest.tables import is_row

_PIECE = re.compile(r"[^\n]+\n*|\n+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_MARKER = re.compile(r"[ \t]*#{1,6}[ \t]+")
_QUOTED = re.compile(r"[ \t]*(?:>[ \t]?)+")  # a quoted e-mail's marks: kept, shown muted


_EMPHASIS = re.compile(r"\*\*")  # Markdown's bold marks, around words: "**25 days**" ("__" is in too much code)


@dataclass(frozen=True)
class Block:
    """One line of a document with the line breaks after it; `kind` is "heading", "paragraph", "line", "row" (of
    a plain-text table, shown in a fixed-width font so its columns line up) or "wrap" (a line of a paragraph that
    goes on below, as a PDF breaks it: shown flowing into the next).

    `marker` is the start of `text` that is markup, not words ("## " of a Markdown heading, "> " of a quoted
    e-mail): shown muted.
    """

    text: str
    kind: str
    marker: str = ""

    @property
    def parts(self) -> list[tuple[str, bool]]:
        """The text as (piece, is markup) pairs: the heading marker and Markdown's bold marks are markup.

        >>> Block("## Leave of **25 days**\\n", "heading", "## ").parts
        [('## ', True), ('Leave of ', False), ('**', True), ('25 days', False), ('**', True), ('\\n', False)]
        """
        out: list[tuple[str, bool]] = [(self.marker, True)] if self.marker else []
        pos = len(self.marker)
        for match in _EMPHASIS.finditer(self.text, pos):
            out += [(self.text[pos : match.start()], False), (match.group(), True)]
            pos = match.end()
        out.append((self.text[pos:], False))
        return [part for part in out if part[0]]


def blocks(text: str) -> list[Block]:
    """Cut a text into display blocks whose texts join back into it exactly (highlight offsets depend on it).

    A line whose break ends no sentence is a "wrap" (PDFs, hard-wrapped e-mail), shown flowing into the next. A text
    with no blank line separates its paragraphs by single line breaks, so each other line is a paragraph; otherwise
    blank lines already space paragraphs.
    >>> [(b.text, b.kind) for b in blocks("Title\\nOne. Two.\\nThree.")]
    [('Title\\n', 'heading'), ('One. Two.\\n', 'paragraph'), ('Three.', 'paragraph')]
    """
    spaced = _BLANK_LINE.search(text) is None
    # A line break that ends no sentence is a wrap (PDFs, hard-wrapped e-mail): shown flowing into the next line.
    breaks = set(line_breaks(text, 0, len(text)))
    out: list[Block] = []
    row = False  # the line before is a table row: a row whose cell overflows its column has one gap left
    for match in _PIECE.finditer(text):
        piece = match.group()
        line = piece.rstrip("\n")
        stripped = line.strip()
        start, end = match.start() + len(line) - len(line.lstrip()), match.start() + len(line.rstrip())
        # A short line that a wrapped paragraph goes on from is no heading: it has to end its paragraph.
        ends_paragraph = spaced or piece.count("\n") != 1
        row = is_row(line, after_row=row)
        if not stripped:
            kind = "line"
        elif row:
            kind = "row"
        elif (ends_paragraph or stripped.startswith("#")) and is_heading(text, start, end):
            kind = "heading"
        elif piece.count("\n") == 1 and match.start() + len(line) not in breaks and not _QUOTED.match(line):
            kind = "wrap"  # a quoted e-mail keeps its lines, as mail readers show it
        else:
            kind = "paragraph" if spaced else "line"
        marker = _MARKER.match(piece) if kind == "heading" else _QUOTED.match(piece)
        out.append(Block(piece, kind, marker.group() if marker else ""))
    return out

