"""What a table row looks like in text: cells joined by " | " (HTML and Markdown tables) or aligned in columns by
runs of spaces (plain-text tables), a header row above the rows, a rule line of dashes under it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

TABLE_CELL = " | "  # how the HTML loader joins a table row's cells; Markdown tables use it too
ROW_MAX = 300  # no table row is longer; a longer line is prose
# A plain-text table: cells parted by runs of spaces ("A3   Place order   Deputy Clerk   21 Jan 2025"), not by the
# two spaces some writers put after a full stop; a rule line of dashes under its header.
_COLUMN_GAP = re.compile(r"[^\s.!?:;,] {2,}(?=\S)|\t+(?=\S)")
_RULE_CHARS = frozenset("-=+|: \t")  # "|------|-------|", "| --- | :---: |", "---  -----", "===="
_ROW_START = re.compile(r"\|[ \t]+")
_ROW_END = re.compile(r"[ \t]+\|$")


def is_rule(line: str) -> bool:
    """True for a rule line of dashes (and bars or pluses) under a table's header: "|------|-------|", "---  ----".

    >>> is_rule("|------|-------|"), is_rule("| --- | :---: |"), is_rule("---  -----"), is_rule("- Visa"), is_rule("| |")
    (True, True, True, False, False)
    """
    return bool(line.strip()) and set(line) <= _RULE_CHARS and line.count("-") + line.count("=") >= 3


def bar_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without a Markdown table row's outer bars: "| 15:40 | Peak. |" reads "15:40 | Peak.".

    >>> t = "| 15:40 | Error rate peaks at 61%. |"
    >>> t[slice(*bar_bounds(t, 0, len(t)))]
    '15:40 | Error rate peaks at 61%.'
    """
    bar = _ROW_START.match(text, start, end)
    if bar and bar.end() < end:
        start = bar.end()
    row_end = _ROW_END.search(text, start, end)
    if row_end and row_end.start() > start:
        end = row_end.start()
    return start, end


def is_header_row(line: str, next_line: str) -> bool:
    """True for a table's header row: a Markdown rule line under it, or the next row's cells labelled with its cells
    (the HTML loader writes "Staff: 140" under "Staff")."""
    if is_rule(next_line):
        return True
    names = [c.strip() for c in line.strip().strip("|").split(TABLE_CELL.strip())]
    cells = [c.strip() for c in next_line.strip().strip("|").split(TABLE_CELL.strip())]
    return len(names) >= 3 and len(cells) == len(names) and all(c.startswith(f"{n}: ") for n, c in zip(names[1:], cells[1:]))


def is_column_row(line: str) -> bool:
    """True for a row of a plain-text table: three or more cells parted by runs of spaces or tabs, or a rule line.

    >>> is_column_row("   A1   Request a speed survey   Town Clerk   31 Jan 2025"), is_column_row("   ---  ------")
    (True, True)
    >>> is_column_row("It rained.  Then it stopped.  We left."), is_column_row("Proposed: Cllr Lamb   Seconded: Cllr Wu")
    (False, False)
    """
    if len(line) > ROW_MAX or not line.strip():
        return False
    return is_rule(line) or len(_COLUMN_GAP.findall(line.strip())) >= 2


def in_short_cell(text: str, dot: int) -> bool:
    """True when the full stop at `dot` closes one of a table cell's first two words ("Address: ul. Floriańska 3"):
    an abbreviation, not a sentence's end. Reads at most one row's length around it.

    >>> t = "Krakow | Address: ul. Floriańska 3 | Staff: 140"
    >>> in_short_cell(t, t.index("ul.") + 2), in_short_cell("It rose. Then it fell.", 7)
    (True, False)
    """
    start = text.rfind("\n", max(0, dot - ROW_MAX), dot) + 1
    if start == 0 and dot > ROW_MAX:
        return False
    end = text.find("\n", dot, dot + ROW_MAX)
    line = text[start : end if end != -1 else dot + ROW_MAX]
    if TABLE_CELL not in line:
        return False
    cell_start = max(text.rfind("|", start, dot) + 1, start)
    return len(text[cell_start : dot + 1].split()) < 3


def is_row(line: str, after_row: bool) -> bool:
    """True for a row of a plain-text table (`is_column_row`); right after a row, also a line with one gap of the
    table's kind between two cells (a row whose cell overflows its column).

    >>> is_row("Aiko Sato      Update the runbook for database failover 2025-03-11", after_row=True)
    True
    >>> is_row("Aiko Sato      Update the runbook for database failover 2025-03-11", after_row=False)
    False
    """
    stripped = line.strip()
    return is_column_row(line) or (after_row and len(stripped) <= ROW_MAX and _COLUMN_GAP.search(stripped) is not None)


def in_column_row(text: str, pos: int) -> bool:
    """True when `pos` is inside a line of a plain-text table (`is_column_row`); reads at most one row's length."""
    start = text.rfind("\n", max(0, pos - ROW_MAX), pos) + 1
    end = text.find("\n", pos, pos + ROW_MAX)
    if (start == 0 and pos > ROW_MAX) or (end == -1 and len(text) - pos > ROW_MAX):
        return False
    return is_column_row(text[start : len(text) if end == -1 else end])


HEADER_LOOKBACK = 60  # rows between a table's header and a row of it, at most


def header_row(texts: Sequence[str], headings: Callable[[int], bool], row: int) -> int | None:
    """The place in `texts` (one document's sentences) of the header row of the table whose row is `texts[row]`,
    when the row doesn't name its columns itself; `headings(i)` says whether sentence i is a heading.

    A Markdown table's "| London | 151 | 148 |" or a plain-text table's "Kitchen   Third floor   Level 2" needs its
    header to be read; a web page's "London | 2024: 148" doesn't.
    >>> rows = ["| Region | 2024 |", "| --- | --- |", "| London | 148 |"]
    >>> header_row(rows, lambda i: i < 2, 2), header_row(["Region | Use | Year", "London | Use: 148 | Year: 2024"], lambda i: i == 0, 1)
    (0, None)
    """
    if not is_table_row(texts[row]):
        return None
    for i in range(row - 1, max(row - HEADER_LOOKBACK, -1), -1):
        text = texts[i]
        if not is_table_row(text):
            return None
        if headings(i) and not is_rule(text):
            names = [cell.strip() for cell in text.strip().strip("|").split("|")[1:] if cell.strip()]
            return None if any(f"{name}:" in texts[row] for name in names) else i
    return None


def is_table_row(text: str) -> bool:
    """A row (or rule line) of a table with cells joined by " | " or aligned by spaces."""
    return TABLE_CELL in text or is_rule(text) or is_column_row(text)
