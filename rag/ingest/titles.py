"""A document's title: an e-mail's subject, a Markdown heading, a first line that is no sentence's start, a PDF's
first line whole where it wraps, or else the file's name."""

from __future__ import annotations

import re
from pathlib import Path

from rag.ingest.chunking import Span, split_sentences

TITLE_MAX_WORDS = 16  # a wrapped title is at most this long; a longer first sentence is the text's start
_MAIL_HEADER = re.compile(r"(?:From|To|Date|Subject|Sent|Cc|Message-ID):\s", re.I)


def file_title(doc_id: str) -> str:
    """A title made from a file name, for documents that have none.

    >>> file_title("news/us-russia_talks-2025.txt")
    'us russia talks 2025'
    """
    return " ".join(Path(doc_id).stem.replace("_", " ").replace("-", " ").split())


def text_title(text: str, markdown: bool) -> str:
    """An e-mail's subject, the first Markdown heading, else the first non-empty line, shortened.

    >>> text_title("From: Helen <h@example.org>\\nSubject: Minutes of 12 March\\n\\nDear all,", markdown=False)
    'Minutes of 12 March'
    """
    lines = [line.strip() for line in text[:100_000].splitlines() if line.strip()]
    if lines and _MAIL_HEADER.match(lines[0]):
        header = text[: text.find("\n\n")] if "\n\n" in text else text[:2000]
        subject = re.search(r"^Subject:[ \t]*(.+)$", header, re.M | re.I)
        if subject:
            return subject.group(1).strip()[:120]
    if markdown:
        for line in lines:
            if line.startswith("#"):
                return line.lstrip("#").strip()[:120]
    first = lines[0] if lines else ""
    # A long first line that reads as a sentence is the start of the text, not its title; so is one whose sentence
    # goes on below it ("Minutes of the annual meeting, held on 14" / "March in the church hall.").
    if len(first.split()) > 14 or (first.endswith(".") and len(first.split()) > 8) or _runs_on_below(text, _first_sentence(text)):
        return ""
    return first[:120]


def _first_sentence(text: str) -> Span | None:
    """The text's first sentence (read from its first 2,000 characters), if any."""
    sentences = split_sentences(text[:2000])
    return sentences[0] if sentences else None


def _runs_on_below(text: str, first: Span | None) -> bool:
    """True when the text's first sentence `first` doesn't end with its first line."""
    if first is None:
        return False
    first_line_end = text.find("\n", first.start, 2000)
    return first_line_end != -1 and first.end > first_line_end


_JUNK_TITLE = re.compile(
    r"^(?:untitled(?:\s+document)?|document\d*|microsoft (?:word|powerpoint|excel) - .*"
    r"|.*\.(?:html?|docx?|pdf|txt|md|odt|rtf|pptx?|xlsx?)"
    r"|about:\S*|(?:https?|file|data):\S*)$",  # a browser prints the page's address when it has no <title>
    re.I,
)


def is_junk_title(title: str) -> bool:
    """True for a metadata title that names no document: a file name or an address a printer driver, editor or browser
    put there.

    >>> is_junk_title("r.html"), is_junk_title("Microsoft Word - draft.docx"), is_junk_title("Untitled"), is_junk_title("Annual Report")
    (True, True, True, False)
    >>> is_junk_title("about:blank"), is_junk_title("https://example.org/report?id=3"), is_junk_title("About: the harbour")
    (True, True, False)
    """
    return bool(_JUNK_TITLE.match(title.strip()))


def is_opening_heading(sentence: str) -> bool:
    """True for a document's first sentence that is a heading, whatever the metadata title says: a few words (a line
    or a wrapped one) with no closing punctuation ("Millbrook Town Council: Capital and\\nOperating Budget 2023-2025").

    >>> is_opening_heading("Millbrook Town Council: Capital and\\nOperating Budget 2023-2025")
    True
    >>> is_opening_heading("The council approved its budget."), is_opening_heading("Yes")
    (False, True)
    """
    words = sentence.split()
    return 0 < len(words) <= TITLE_MAX_WORDS and not sentence.rstrip().endswith((".", "!", "?", ";", ",", ":", '"', "\u201d"))


def wrapped_title(title: str, text: str) -> str:
    """A PDF's title taken from its first line, whole when the line wraps ("... Water Quality and" / "Operations
    Report"); a first sentence of more than TITLE_MAX_WORDS words is prose, and the title stays as it was.

    >>> wrapped_title("Annual Water Quality and", "Annual Water Quality and\\nOperations Report\\nPrepared in March.")
    'Annual Water Quality and Operations Report'
    """
    first = _first_sentence(text)
    if first is None or not text.startswith(title) or not _runs_on_below(text, first):
        return title
    whole = " ".join(text[first.start : first.end].split())
    return whole if len(whole.split()) <= TITLE_MAX_WORDS else title
