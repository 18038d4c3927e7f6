"""HTML to plain text for indexing: visible text only, inline markup kept inside its sentence, structure kept as lines.

Headings become Markdown headings ("## Warranty"), and a definition list's terms headings one level below, so they
are never quoted as answers; list items become "- " or numbered lines, a table row becomes one line of cells joined
by " | " so a value stays beside its label and its column's header (`table_lines`), and preformatted code is fenced
with ``` so each of its lines stands alone.
"""

from __future__ import annotations

import re
from typing import Any

from rag.ingest.tables import TABLE_CELL

_HIDDEN = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object", "nav", "form", "button", "select", "dialog")
# Page furniture by its role or by a word of its class or id: cookie banners, share buttons, related stories, ads.
_FURNITURE_ROLES = frozenset({"navigation", "search", "dialog", "alertdialog", "banner"})
_FURNITURE_WORDS = frozenset(
    """cookie cookies consent share sharing social related newsletter subscribe subscription signup advert advertisement
    ad ads advertising promo sponsor sponsored comments comment trending popular mostread breadcrumb breadcrumbs
    skip paywall""".split()
)
_BLOCKS = frozenset(
    """address article aside blockquote body caption dd details div dl dt fieldset figcaption figure footer header
    hgroup hr html legend li main ol p pre section summary table tbody td tfoot th thead tr ul""".split()
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def html_text(html: str, page: bool = True) -> tuple[str, str]:
    """Visible text of an HTML page (no script, style, template or navigation) and its title; a web `page` loses its
    furniture too (`_drop_furniture`), a Word file's HTML (no page) keeps every paragraph, links alone included.

    >>> html_text("<title>T</title><h2>Reset</h2><p>Hold <b>the button</b> for 10 s.</p><ul><li>One</li><li>Two</li></ul>")
    ('T', '## Reset\\n\\nHold the button for 10 s.\\n\\n- One\\n- Two')
    """
    from bs4 import BeautifulSoup

    return soup_text(BeautifulSoup(html, "html.parser"), page)


def soup_text(soup: Any, page: bool = True) -> tuple[str, str]:
    """`html_text` of a page already parsed by BeautifulSoup (which it changes): the text and the title."""
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup([*_HIDDEN, "title"]):
        tag.decompose()
    if page:
        _drop_furniture(soup)
    if not title:
        heading = soup.find(["h1", "h2"])
        title = heading.get_text(" ", strip=True) if heading else ""
    return title[:120], _join(_blocks(soup))


def _drop_furniture(soup: Any) -> None:
    """Remove page furniture: elements whose role or class or id names it, and paragraphs or list items that are
    nothing but links ("Privacy policy · Cookie settings", "Read more: Hosepipe bans explained")."""
    from bs4 import Tag

    for tag in soup.find_all(True):
        if not isinstance(tag, Tag) or tag.decomposed or tag.attrs is None:
            continue
        classes: Any = tag.get("class") or []
        names = " ".join([*([classes] if isinstance(classes, str) else classes), str(tag.get("id", ""))]).lower()
        words = set(re.split(r"[^a-z]+", names)) | {re.sub(r"[^a-z]", "", names)}  # "most-read" is "mostread" too
        if str(tag.get("role", "")).lower() in _FURNITURE_ROLES or words & _FURNITURE_WORDS:
            tag.decompose()
    for tag in soup.find_all(["p", "li"]):
        if tag.decomposed:
            continue
        text = "".join(tag.get_text().split())
        linked = "".join("".join(a.get_text().split()) for a in tag.find_all("a"))
        if linked and len(linked) >= len(text) - 3:  # a few separators ("·", "|") between the links
            tag.decompose()


def _blocks(root: Any) -> list[tuple[str, str]]:
    """The page's text as (kind, line) pairs in reading order; kind is "text", "item", "table" (a table's first row),
    "row", "code" or "heading"."""
    from bs4 import NavigableString, Tag
    from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

    out: list[tuple[str, str]] = []
    inline: list[str] = []
    kind, bullet = "text", ""
    numbers: dict[int, int] = {}  # an <ol>'s items so far, by the list's id
    depth = 1  # the level of the latest heading

    def flush() -> None:
        nonlocal kind
        line = " ".join("".join(inline).split())
        inline.clear()
        if line:  # an empty flush keeps the kind: "<li><p>text</p></li>" is still an item
            out.append((kind, f"{bullet}{line}" if kind == "item" else line))
            kind = "text"

    stack: list[Any] = [root]
    while stack:  # iterative: a deeply nested page must not hit the recursion limit
        node = stack.pop()
        if node is None:  # the end of a block element
            flush()
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction)):
                inline.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if name == "pre":  # code keeps its lines, fenced as in Markdown so each line stands alone
            flush()
            code = "\n".join(line.rstrip() for line in node.get_text().strip("\n").splitlines() if line.strip())
            if code:
                out.append(("code", f"```\n{code}\n```"))
            continue
        if name == "table":
            flush()
            out.extend(("row" if i else "table", line) for i, line in enumerate(table_lines(node)))  # "table": a first row
            continue
        if name in _HEADINGS or name == "dt":
            flush()
            text = " ".join(node.get_text(" ").split())
            # A definition list's term titles the definition under it, as a heading one level below the section's
            # does: context for its sentences, never an answer of its own ("staff" over what the staff group is for).
            level = _HEADINGS.get(name) or min(6, depth + 1)
            if name != "dt":
                depth = level
            if text:
                out.append(("heading", f"{'#' * level} {text}"))
            continue
        if name == "br":
            flush()
            continue
        if name in _BLOCKS:
            flush()
            if name == "li":
                kind, bullet = "item", _bullet(node, numbers)
            stack.append(None)
        stack.extend(reversed(node.contents))
    flush()
    return out


def table_lines(table: Any) -> list[str]:
    """A table's rows as lines of cells joined by " | "; with a header row and three columns or more, each value
    after the first carries its column's header, so a row reads on its own.

    >>> from bs4 import BeautifulSoup
    >>> t = "<table><tr><th>Region</th><th>Up to 2 kg</th><th>Days</th></tr><tr><td>Ireland</td><td>12.50</td><td>4</td></tr></table>"
    >>> table_lines(BeautifulSoup(t, "html.parser").table)
    ['Region | Up to 2 kg | Days', 'Ireland | Up to 2 kg: 12.50 | Days: 4']
    """
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]  # not the rows of a nested table
    header: list[str] = []
    lines: list[str] = []
    for tr in rows:
        cells = tr.find_all(["td", "th"], recursive=False)
        texts = [" ".join(c.get_text(" ").split()) for c in cells]
        if not any(texts):
            continue
        is_header = all(c.name == "th" or _bold(c) for c in cells if c.get_text(strip=True)) or tr.find_parent("thead") is not None
        if not header and is_header and not lines:
            header = texts
        elif len(header) == len(texts) >= 3:
            texts = texts[:1] + [f"{h}: {t}" if h and t else t for h, t in zip(header[1:], texts[1:], strict=True)]
        lines.append(TABLE_CELL.join(t for t in texts if t))
    return lines


def _bold(cell: Any) -> bool:
    """True when all of a (non-empty) cell's text is bold: a word processor's header row is bold cells, not <th>."""
    text = "".join(cell.get_text().split())
    bold = "".join("".join(b.get_text().split()) for b in cell.find_all(["strong", "b"]) if not b.find_parent(["strong", "b"]))
    return bool(text) and text == bold


def _bullet(item: Any, numbers: dict[int, int]) -> str:
    """The marker of a list item: its number in an ordered list ("3. ", counting from the list's `start`), else "- "."""
    parent = item.parent
    if parent is None or parent.name != "ol":
        return "- "
    if id(parent) not in numbers:
        start = str(parent.get("start", "1"))
        numbers[id(parent)] = (int(start) if start.lstrip("-").isdigit() else 1) - 1
    numbers[id(parent)] += 1
    return f"{numbers[id(parent)]}. "


def _join(blocks: list[tuple[str, str]]) -> str:
    """Blank lines between paragraphs; the items of a list, the rows of a table and a line ending in ":" before
    them stay together in one paragraph, so a chunk holds a list with its lead-in.
    """
    parts: list[str] = []
    prev: tuple[str, str] | None = None
    for kind, line in blocks:
        if prev is not None:
            together = kind == "row" or (kind in ("item", "table") and (prev[0] == kind or prev[1].endswith(":")))
            parts.append("\n" if together else "\n\n")
        parts.append(line)
        prev = (kind, line)
    return "".join(parts)
