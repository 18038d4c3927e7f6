"""Verbatim quotes with citations: the answer text made from the ranked sentences, never changing a character."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rag.ingest.lines import is_list_item, quote_bounds
from rag.ingest.tables import HEADER_LOOKBACK, header_row, is_table_row
from rag.schema import Citation
from rag.search.index import LoadedIndex

if TYPE_CHECKING:
    from rag.answer.composer import Candidate

MIN_QUOTE_WORDS = 8  # a second quote cut shorter than this says too little to be worth showing


def compose(
    index: LoadedIndex, ranked: list[Candidate], max_words: int, second_margin: float, whole_list: bool = False
) -> tuple[str, tuple[Citation, ...]]:
    """The answer: the best sentence, plus the runner-up when within `second_margin` in score, each cited; a best
    sentence that ends in ":" ("To undo the last run:") brings the sentence it introduces (a whole list, words
    allowing), and one whose section heading holds the asked date or number comes after that heading, as a table's
    row (the best or the runner-up) comes after the row naming its columns.

    Quotes stay verbatim: a quote that would overrun `max_words` is cut short (its end offset moves with it).
    """
    if not ranked:
        return "", ()
    best = ranked[0].sentence_id
    # A question asking for several things ("What are the key recommendations?") gets a list whole, from its first item.
    last = _list_end(index, best) if whole_list and _opens_list(index, best) else best
    chosen = [(ranked[0], max_words, last)]  # (candidate, words left for it, last sentence of its quote)
    budget = max_words - min(_words_in(index, best, last), max_words)
    above = ranked[0].heading if ranked[0].heading is not None else table_header(index, best)
    if above is not None:  # the heading's date or number, or the columns' names, then the sentence it heads
        chosen.insert(0, (replace(ranked[0], sentence_id=above), max_words, above))
        budget -= min(_word_count(index, above), budget)
    introduced = _introduced(index, best)
    if introduced is not None and budget > 0:
        last = _list_end(index, introduced)  # a list is quoted whole, as far as the words allow
        chosen.append((replace(ranked[0], sentence_id=introduced), budget, last))
        budget -= min(_words_in(index, introduced, last), budget)
    runner_up = ranked[1] if len(ranked) > 1 and ranked[1].sentence_id != introduced else None
    if runner_up is not None and ranked[0].score - runner_up.score <= second_margin and budget >= MIN_QUOTE_WORDS:
        chosen += _runner_up(index, runner_up, budget, chosen)
    citations, parts = [], []
    for n, (cand, limit, last) in enumerate(chosen, start=1):
        doc = index.sentence_doc(cand.sentence_id)
        start, end = int(index.tables.sent_start[cand.sentence_id]), int(index.tables.sent_end[last])
        start, end = quote_bounds(doc.text, start, end)  # "- Linux is ..." is quoted from "Linux"
        quote, cut = _clip(doc.text, start, end, limit)
        citations.append(Citation(n, doc.doc_id, doc.title, quote, start, cut, round(cand.score, 4)))
        parts.append(f"{quote}{' …' if cut < end else ''} [{n}]")
    return " ".join(parts), tuple(citations)


def _runner_up(
    index: LoadedIndex, runner_up: Candidate, budget: int, chosen: list[tuple[Candidate, int, int]]
) -> list[tuple[Candidate, int, int]]:
    """The runner-up's quotes (candidate, words left, last sentence): after its table's header row when that isn't
    quoted yet; a lead-in ending in ":" with what it introduces, or nothing when the answer already quotes part of
    that (a lead-in alone, "If you are sick, follow these steps:", says nothing)."""
    sid = runner_up.sentence_id
    introduced = _introduced(index, sid)
    if introduced is not None:
        last = _list_end(index, introduced)
        return [] if any(introduced <= c.sentence_id <= last for c, _, _ in chosen) else [(runner_up, budget, last)]
    out = []
    header = table_header(index, sid)
    if header is not None and header not in {c.sentence_id for c, _, _ in chosen}:
        words = _word_count(index, header)
        if budget - words >= min(MIN_QUOTE_WORDS, _word_count(index, sid)):
            out.append((replace(runner_up, sentence_id=header), budget, header))
            budget -= words
    return [*out, (runner_up, budget, sid)]


def table_header(index: LoadedIndex, sentence_id: int) -> int | None:
    """The header row of the table whose row is `sentence_id`, when the row doesn't name its columns (`header_row`)."""
    if not is_table_row(index.sentence_text(sentence_id)):  # the common case, at once
        return None
    doc = index.tables.sent_doc[sentence_id]
    first = max(sentence_id - HEADER_LOOKBACK, 0)
    while index.tables.sent_doc[first] != doc:
        first += 1
    texts = [index.sentence_text(sid) for sid in range(first, sentence_id + 1)]
    found = header_row(texts, lambda i: index.is_heading(first + i), sentence_id - first)
    return None if found is None else first + found


def _opens_list(index: LoadedIndex, sentence_id: int) -> bool:
    """True for a list's first item: a list item with no list item before it in its document."""
    if _item_indent(index, sentence_id) is None:
        return False
    before = sentence_id - 1
    same_doc = before >= 0 and index.tables.sent_doc[before] == index.tables.sent_doc[sentence_id]
    return not same_doc or _item_indent(index, before) is None


def _introduced(index: LoadedIndex, sentence_id: int) -> int | None:
    """The sentence a lead-in ending in ":" introduces: the next in its document that is no heading (nor a fence)."""
    if not index.sentence_text(sentence_id).endswith(":"):
        return None
    doc = index.tables.sent_doc[sentence_id]
    for sid in range(sentence_id + 1, min(sentence_id + 3, len(index.tables.sent_doc))):
        if index.tables.sent_doc[sid] != doc:
            return None
        if not index.is_heading(sid):
            return sid
    return None


def _list_end(index: LoadedIndex, sentence_id: int) -> int:
    """The last item of the list a list item opens, its nested items included; the sentence itself when it is none."""
    t = index.tables
    indent = _item_indent(index, sentence_id)
    last = sentence_id
    while indent is not None and last + 1 < len(t.sent_doc) and t.sent_doc[last + 1] == t.sent_doc[sentence_id]:
        nested = _item_indent(index, last + 1)
        if nested is None or nested < indent:
            break
        last += 1
    return last


def _item_indent(index: LoadedIndex, sentence_id: int) -> int | None:
    """How far a list item is indented on its line, or None for a sentence that is no list item."""
    if not is_list_item(index.sentence_text(sentence_id)):
        return None
    text, start = index.sentence_doc(sentence_id).text, int(index.tables.sent_start[sentence_id])
    line_start = text.rfind("\n", 0, start) + 1
    return start - line_start if not text[line_start:start].strip() else None


def _word_count(index: LoadedIndex, sentence_id: int) -> int:
    return len(index.sentence_text(sentence_id).split())


def _words_in(index: LoadedIndex, first: int, last: int) -> int:
    """The words of the sentences `first` to `last`, both included."""
    return sum(_word_count(index, sid) for sid in range(first, last + 1))


def _clip(text: str, start: int, end: int, max_words: int) -> tuple[str, int]:
    """Cut a quote after `max_words` words, still verbatim: the end offset moves, the text is never changed."""
    pos, count = start, 0
    while pos < end and count < max_words:
        while pos < end and text[pos].isspace():
            pos += 1
        while pos < end and not text[pos].isspace():
            pos += 1
        count += 1
    return text[start:pos], pos
