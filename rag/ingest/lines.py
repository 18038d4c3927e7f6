"""What a line break means in a document: the end of a sentence, a heading, a list item, a table row, or a wrap."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.ingest.tables import ROW_MAX, TABLE_CELL, bar_bounds, is_header_row, is_row, is_rule

BLOCK_START = re.compile(r"\s*(#{1,6}\s|[-*+\u2022]\s|\d{1,3}[.)]\s|>|\|)")
_BULLET = re.compile(r"[-*+\u2022][ \t]+")  # a list item's marker: quotes start after it
_QUOTE_MARKS = re.compile(r"(?:>[ \t]*)+")  # a quoted e-mail's marks: "> > The budget ..."
HEADING_MAX_WORDS = 4
# Lower-case words that no sentence, heading or list item ends on: a line ending on one goes on below.
RUN_ON_WORDS = frozenset(
    """a an the of to in on at by for with from into onto upon about between through over under and or but nor as
    than that which who whose whom whether if because while although though is are was were be been has have had
    will would shall should can could may might must its their his her our your my this these those such very""".split()
)
CAPITALS_MAX_WORDS = 10  # a line in capitals is a heading up to this many words
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s")
_NUMBERED = re.compile(r"\d{1,3}[.)]\s+")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+")
_SUBSECTION = re.compile(r"\d{1,3}(?:\.\d{1,3})+\.?[ \t]+")  # "6.1 ", a section's number, never a list item's
RUN_IN_MAX_WORDS = 6
_ENUMERATOR = re.compile(r"[ \t]*(?:#{1,6}[ \t]+)?\d{1,3}")
_CLOSING = ".!?:;,\u2026\"\u201d)"
_FINAL = (".", "!", "?", "\u2026", "\"", "\u201d", ")")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)]*$")
_INNER_END = re.compile(r"[a-z\d)][.!?][\"'\u201d\u2019)]*\s+[A-Z]")
_FENCE = ("```", "~~~")
_FIELD = re.compile(r"[^:]{1,40}:[ \t]+\S")  # "Label: value" on a line of its own
_FIELD_LINE = re.compile(r"[A-Z][\w'&/-]*(?: [\w'&/-]+){0,3}:[ \t]+\S")  # a field opening a line: "Guest: Priya Castellano"
_SECTION = re.compile(r"(?:chapter|part|section|appendix|annex|book|volume)(?:\s+(?:[\d.]+|[IVXLC]+|[A-Z])\b|\s*:)", re.I)
# Hard-wrapped text: at least this many lines, wrapped at a width in this range, and a line this close to the width
# is a wrapped one.
WRAP_MIN_LINES = 8
WRAP_WIDTHS = (30, 120)
WRAPPED_SHARE = 0.8
PARAGRAPH_LINE = 200  # a line this long holds a paragraph: no PDF or hard-wrapped text has one


def is_heading(text: str, start: int, end: int) -> bool:
    """True when `text[start:end]` is a heading: a Markdown one (or a code fence), a line of its own opening with
    "Chapter", "Appendix", "Part", ..., or one of a few words (more in capitals) with no closing punctuation,
    numbered ("1. Attendance") at the head of a paragraph with no list item under it, or a section's number and a
    few words opening a line ("6.1 Play equipment.", a run-in heading).

    Headings are context, never answers; in text from HTML or PDF they are short lines ("Warranty", "Early life").
    A table row ("Weight | 480 g") is data, not a heading, but for a header row; a rule line ("-----") is never an
    answer either.
    >>> t = "## Leave\\nWarranty\\nLinux is not officially supported\\nSee below.\\n\\n2. Budget\\n\\nWeight | 480 g\\nTHE BOARD OF TRUST"
    >>> [is_heading(t, m.start(), m.end()) for m in re.finditer(r"[^\\n]+", t)]
    [True, True, False, False, True, False, True]
    >>> t = "City | Staff | Opened\\nKrakow | Staff: 140 | Opened: 2019\\n\\n1. Release status\\nIt slipped a week."
    >>> [is_heading(t, m.start(), m.end()) for m in re.finditer(r"[^\\n]+", t)]
    [True, False, True, False]
    >>> t = "Chair: Daniel Okafor\\nPART TWO: THE WAR YEARS\\nChapter 3: The Return"
    >>> [is_heading(t, m.start(), m.end()) for m in re.finditer(r"[^\\n]+", t)]
    [False, True, True]
    >>> t = "6.1 Play areas. The swings were replaced."
    >>> is_heading(t, 0, 15), is_heading(t, 16, len(t))
    (True, False)
    """
    line = text[start:end]
    if _MARKDOWN_HEADING.match(line) or line.startswith(_FENCE) or is_rule(line):
        return True
    before, after = _line_ends(text, start, end)
    at_line_start = before < 0 or text[before] == "\n"
    own_line = at_line_start and (after == len(text) or text[after] in "\n\r")
    if TABLE_CELL in line:
        return own_line and is_header_row(line, _next_line(text, after))
    if _SECTION.match(line) and len(line.split()) <= CAPITALS_MAX_WORDS and line[-1] not in ".!?" and own_line:
        return True
    run_in = _SUBSECTION.match(line)
    if run_in and at_line_start and line.endswith(".") and len(line[run_in.end() :].split()) <= RUN_IN_MAX_WORDS:
        return True  # a run-in heading: "6.1 Play equipment at Kingsmead. The existing equipment had failed ..."
    number = _NUMBERED.match(line)
    body = line[number.end() :] if number else line
    if not body or body[-1] in _CLOSING or not body[0].isupper() or TABLE_CELL in body:
        return False
    capitals = body.isupper() and sum(ch.isalpha() for ch in body) >= 4  # "MINUTES OF THE BOARD OF TRUSTEES"
    if len(body.split()) > (CAPITALS_MAX_WORDS if capitals else HEADING_MAX_WORDS):
        return False
    if not capitals and number is None and any(ch.isdigit() for ch in body):
        return False  # a label and its value, as a PDF prints a table's row: "Weight (empty) 1.8 kg"
    if not capitals and _FIELD.match(body):
        return False  # a form's or a minutes' field: "Chair: Daniel Okafor"
    if not own_line:
        return False
    # A numbered line is a heading only at the head of its paragraph with no item under it; in a list it is an item.
    return number is None or (_blank_before(text, before) and not _LIST_ITEM.match(_next_line(text, after)))


def _next_line(text: str, newline: int) -> str:
    """The line after the line break at `newline` (at most one table row's length of it)."""
    if newline >= len(text):
        return ""
    start = newline + (2 if text.startswith("\r\n", newline) else 1)
    return text[start : start + ROW_MAX].split("\n", 1)[0].rstrip("\r")


def _line_ends(text: str, start: int, end: int) -> tuple[int, int]:
    """The positions just before and after the span, skipping spaces and tabs (the line around it, not a copy)."""
    before, after = start - 1, end
    while before >= 0 and text[before] in " \t":
        before -= 1
    while after < len(text) and text[after] in " \t":
        after += 1
    return before, after


def _blank_before(text: str, newline: int) -> bool:
    """True when the line ending at the newline at `newline` is blank, or there is none (the text's start)."""
    pos = newline - 1
    while pos >= 0 and text[pos] in " \t":
        pos -= 1
    return newline < 0 or pos < 0 or text[pos] == "\n"


def is_enumerator(text: str, dot: int) -> bool:
    """True when the full stop at `dot` closes a list or heading number at a line's start ("1. Attendance").

    >>> is_enumerator("1. Attendance", 1), is_enumerator("## 2. Purpose", 4), is_enumerator("It cost 1. Then", 9)
    (True, True, False)
    """
    # Look back no further than 12 characters, as far as such a line may start: a 4 MB line has many full stops.
    newline = text.rfind("\n", max(0, dot - 13), dot)
    if newline == -1 and dot > 12:
        return False
    return _ENUMERATOR.fullmatch(text, newline + 1, dot) is not None


def is_list_item(sentence: str) -> bool:
    """True for a bulleted or numbered list item.

    >>> is_list_item("- Visa"), is_list_item("2. Whisk the eggs."), is_list_item("A plain sentence.")
    (True, True, False)
    """
    return _LIST_ITEM.match(sentence) is not None


def quote_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """A sentence's span as it is quoted: without a list item's bullet, a quoted e-mail's marks, a Markdown
    heading's marks or a Markdown table row's outer bars.

    >>> t = "- Linux is supported\\n| 15:40 | Error rate peaks at 61%. |"
    >>> [t[a:b] for a, b in (quote_bounds(t, 0, 20), quote_bounds(t, 21, len(t)))]
    ['Linux is supported', '15:40 | Error rate peaks at 61%.']
    """
    bullet = _BULLET.match(text, start, end) or _QUOTE_MARKS.match(text, start, end) or _MARKDOWN_HEADING.match(text, start, end)
    if bullet and bullet.end() < end:
        start = bullet.end()
    return bar_bounds(text, start, end)


def line_breaks(text: str, start: int, end: int) -> list[int]:
    """Newlines that end a sentence: after blank lines, headings, list items, table rows or short lines.

    A lone newline inside running prose (hard-wrapped text, PDFs) does not split; in hard-wrapped text a line
    is wrapped, however few its words, when it fills the width or the next line's first word would not have fit.
    An indented line that is no list item goes on the line before it (a list item's hanging indent). Each row of a
    plain-text table stands alone, but for the indented line that goes on a row's last cell.
    """
    cuts: list[int] = []
    width = wrap_width(text[start:end])
    # A paragraph on each line (news, web text): a line break there ends a sentence unless the line can't end.
    per_line = width is None and _paragraph_lines(text[start:end])
    line_start = start
    fenced = False  # inside a Markdown code block every line stands alone
    row = False  # the line is a row of a plain-text table
    for pos in _newlines(text, start, end):
        raw, line_start = text[line_start:pos], pos + 1
        line = raw.strip()
        if line.startswith(_FENCE) or fenced:
            fenced = fenced != line.startswith(_FENCE)
            cuts.append(pos)
            continue
        following = text[pos + 1 : min(end, pos + 80)]
        next_line = following.split("\n", 1)[0]
        next_word = following.split(maxsplit=1)[0] if following.strip() else ""
        full = width is not None and len(line) >= WRAPPED_SHARE * width
        wrapped = full or (width is not None and len(raw.rstrip()) + 1 + len(next_word) > width)
        if line.startswith(">") and next_line.lstrip().startswith(">"):  # a quoted e-mail goes on as its lines do
            if _quote_ends(line, next_line, full):
                cuts.append(pos)
            continue
        row = is_row(raw, after_row=row)
        next_row = is_row(next_line, after_row=row)
        hanging = next_line[:1] in (" ", "\t") and next_line.strip() and not BLOCK_START.match(next_line) and not next_row
        held = hanging or runs_on(line, next_word)
        if (
            not line
            or not following.strip()
            or BLOCK_START.match(following)
            or TABLE_CELL in line
            or TABLE_CELL in next_line
            or next_row
            or (row and not hanging)
            # A list item goes on where its line can't end (PDFs don't indent the lines it wraps onto).
            or (not hanging and BLOCK_START.match(line) and not (_LIST_ITEM.match(line) and runs_on(line, next_word)))
            # A wrapped line ends no sentence by itself: a full stop before it still does (split_sentences).
            or (not wrapped and not held and (per_line or _short_or_finished(line, next_word)))
            # A header block of fields: "TRANSCRIPT: The Morning Review, 25 June" / "Presenter: Daniel Okafor"
            or (not wrapped and not hanging and _FIELD_LINE.match(next_line) is not None)
        ):
            cuts.append(pos)
    return cuts


def _newlines(text: str, start: int, end: int) -> Iterator[int]:
    """The positions of the line breaks in `text[start:end]`."""
    pos = text.find("\n", start, end)
    while pos != -1:
        yield pos
        pos = text.find("\n", pos + 1, end)


def _quote_ends(line: str, next_line: str, wrapped: bool) -> bool:
    """True when a sentence ends at the break between two lines of a quoted e-mail ("> ..."), read without marks."""
    inner, next_inner = line.lstrip("> \t"), next_line.lstrip().lstrip("> \t")
    next_word = next_inner.split(maxsplit=1)[0] if next_inner.strip() else ""
    if not inner or not next_word or BLOCK_START.match(next_inner) or _SENTENCE_END.search(inner):
        return True  # also a full stop closing a wrapped line: the next line's "> " hides its capital from the splitter
    return not wrapped and not runs_on(inner, next_word) and _short_or_finished(inner, next_word)


def runs_on(line: str, next_word: str) -> bool:
    """True when a line can't end there: a comma, a lower-case word such as "of", "a" or "and", or no full stop
    before a line starting in lower case. Column and narrow PDF text breaks lines anywhere, short or not.

    >>> runs_on("The Pettifer family of", "Low"), runs_on("retired in December 2023;", "he"), runs_on("Leave policy", "Staff")
    (True, True, False)
    >>> runs_on("from our summer exhibition. Reviewers", "singled"), runs_on("It was sold.", "later")
    (True, False)
    """
    last = line.rsplit(None, 1)[-1] if line else ""
    if line.endswith(","):
        return True
    if line.endswith((";", ":")) or not line.endswith(_FINAL):
        return next_word[:1].islower() or last in RUN_ON_WORDS  # no sentence, heading or item starts in lower case
    return False


def _short_or_finished(line: str, next_word: str) -> bool:
    """A line of text that is not hard-wrapped ends its sentence: it closes with punctuation, or it is short (a
    heading or a list item; not when a sentence ends inside it, which makes it running prose).
    """
    if line[-1] in ".!?:;\u2026\"\u201d":
        return True
    if _INNER_END.search(line):
        return False
    return len(line.split()) <= 8 or (next_word[:1].isupper() and len(line) < 60)


def _paragraph_lines(text: str) -> bool:
    """True for a text with a paragraph on each line: most of its words are on lines of PARAGRAPH_LINE or more
    characters (a headline may be long; a PDF's or a column's lines never are)."""
    lengths = [len(line) for line in text.split("\n")]
    return sum(n for n in lengths if n >= PARAGRAPH_LINE) > 0.5 * sum(lengths)


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
