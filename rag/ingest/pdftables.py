"""A PDF table's rows with their cells in order: found in pypdf's layout text (cells apart by runs of spaces, columns
aligned down the rows), then written into the page's plain text as the HTML loader writes a table, cells joined by
" | " and labelled with their header ("Leeds | Population 2011: 3.9 million"), so a row is found and quoted with it.
"""

from __future__ import annotations

import re

CELL_GAP = re.compile(r"\S+(?: \S+)*")  # a cell: words apart by single spaces; two or more spaces end it
MAX_CELL_WORDS = 6  # longer runs are prose (a justified line, a second column of text), not a cell
MAX_CELLS = 8
MIN_ROWS = 2
ALIGN = 2  # characters: a column's cells start or end within this of each other
_NUMERIC = re.compile(r"^[-\u2212+(]?[£$€¥]?\d")  # "7,842", "£96,500", "−3.7", "(12)", "5 points"


def _cells(line: str) -> list[tuple[int, int, str]]:
    """The cells of a layout line with their columns: (start, end, text)."""
    return [(m.start(), m.end(), m.group()) for m in CELL_GAP.finditer(line)]


def _row(line: str) -> list[tuple[int, int, str]] | None:
    cells = _cells(line)
    if not 2 <= len(cells) <= MAX_CELLS or any(len(text.split()) > MAX_CELL_WORDS for _, _, text in cells):
        return None
    return cells


def _aligned(rows: list[list[tuple[int, int, str]]]) -> bool:
    """Below the first row, every column's cells start, or end, within ALIGN characters of each other (text left,
    numbers right); the first row, which may be a header set its own way, has each cell over its column."""
    body = rows[1:] if len(rows) > 2 else rows
    for j, column in enumerate(zip(*body)):
        starts, ends = [c[0] for c in column], [c[1] for c in column]
        if max(starts) - min(starts) > ALIGN and max(ends) - min(ends) > ALIGN:
            return False
        first = rows[0][j]
        if first[1] < min(starts) - ALIGN or first[0] > max(ends) + ALIGN:
            return False
    return True


def tables(layout: str) -> list[list[list[str]]]:
    """The tables of a page's layout text: runs of at least MIN_ROWS aligned rows with the same number of cells and a
    number in some cell (blank lines between rows are skipped).

    >>> page = ("Population\\n\\n  City    Pop. 2011    Pop. 2021\\n\\n  Leeds   3.9 million  4.2 million\\n"
    ...         "  York    198,000      202,800\\nThe end.")
    >>> tables(page)
    [[['City', 'Pop. 2011', 'Pop. 2021'], ['Leeds', '3.9 million', '4.2 million'], ['York', '198,000', '202,800']]]
    """
    found: list[list[list[str]]] = []
    block: list[list[tuple[int, int, str]]] = []

    def close() -> None:
        if len(block) >= MIN_ROWS and _aligned(block) and any(_NUMERIC.match(c[2]) for row in block for c in row):
            found.append([[c[2] for c in row] for row in block])
        block.clear()

    for line in layout.splitlines():
        if not line.strip():
            continue
        row = _row(line)
        if row is None or (block and len(row) != len(block[0])):
            close()
        if row is not None:
            block.append(row)
    close()
    return found


def _shape(cell: str) -> str:
    """A cell's shape: digits as 9, letters as a ("2024 (GBP)" -> "9999 (aaa)", "301,000" -> "999,999")."""
    return re.sub(r"[^\W\d_]", "a", re.sub(r"\d", "9", cell))


def _has_header(rows: list[list[str]]) -> bool:
    """The first row names the columns: some column holds words in the first row and numbers in every row below, or
    every column of numbers below has a first cell shaped like none of them (years over amounts: "2024" over "301,000").

    >>> _has_header([["Item", "2023", "2024"], ["Roads", "412,000", "455,500"], ["Library", "96,300", "101,200"]])
    True
    >>> _has_header([["Admissions", "251,300"], ["Grants", "174,900"], ["Shop", "118,600"]])
    False
    """
    first, body = rows[0], rows[1:]
    columns = range(1, len(first))
    if any(not _NUMERIC.match(first[j]) and all(_NUMERIC.match(row[j]) for row in body) for j in columns):
        return True
    return len(body) >= 2 and all(
        all(_NUMERIC.match(row[j]) for row in body) and _shape(first[j]) not in {_shape(row[j]) for row in body} for j in columns
    )


def written(rows: list[list[str]]) -> list[str]:
    """A table's rows as the HTML loader writes them: a header row's cells label the cells below it.

    >>> written([["City", "Pop. 2011"], ["Leeds", "3.9 million"]])
    ['City | Pop. 2011', 'Leeds | Pop. 2011: 3.9 million']
    >>> written([["Admissions", "251,300"], ["Grants", "174,900"]])
    ['Admissions | 251,300', 'Grants | 174,900']
    """
    if not _has_header(rows):
        return [" | ".join(row) for row in rows]
    header = rows[0]
    return [" | ".join(header)] + [" | ".join([row[0]] + [f"{h}: {c}" for h, c in zip(header[1:], row[1:])]) for row in rows[1:]]


def with_tables(text: str, layout: str) -> str:
    """A page's plain text with each table row found in its layout text rewritten with its cells and header; a row
    whose plain line can't be found (the two extractions differ) stays as it was.

    >>> with_tables("Costs\\nAdmissions 251,300\\nGrants 174,900\\nEnd.", "Costs\\n  Admissions   251,300\\n  Grants       174,900\\nEnd.")
    'Costs\\nAdmissions | 251,300\\nGrants | 174,900\\nEnd.'
    """
    lines = text.split("\n")
    at = 0
    for rows in tables(layout):
        for row, new in zip(rows, written(rows)):
            plain = " ".join(" ".join(row).split())
            for i in range(at, len(lines)):
                if " ".join(lines[i].split()) == plain:
                    lines[i], at = new, i + 1
                    break
    return "\n".join(lines)
