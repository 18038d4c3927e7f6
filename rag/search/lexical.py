"""Word-level matching: one tokenizer for BM25 and for the composer's overlap features."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

_WORD = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*", re.UNICODE)
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s")
_ACRONYM = re.compile(r"(?:[a-z]\.)+[a-z]")
_CONTRACTION = re.compile(r"'(?:m|d|ll|ve|re)$")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t also""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased words of a text, keeping inner apostrophes, dots and hyphens.

    >>> words("U.S.-Russia talks, Feb. 2025")
    ['u.s', 'russia', 'talks', 'feb', '2025']
    """
    return [m.group(0).lower().replace("\u2019", "'") for m in _WORD.finditer(text)]


def opens_sentence(text: str, pos: int) -> bool:
    """True when `pos` is where a sentence starts: the text's start, or after closing punctuation or an opening quote.

    >>> opens_sentence("Yes. Every one", 5), opens_sentence("Yes, every one", 5)
    (True, False)
    """
    i = pos - 1
    while i >= 0 and text[i].isspace():  # scan back over the gap only: called for every name in a text
        i -= 1
    return i < 0 or text[i] in ".!?:\"\u201c"


def tokens(text: str) -> list[str]:
    """Stemmed content words: the unit BM25 and the overlap features count.

    >>> tokens("The negotiations were beginning immediately")
    ['negoti', 'begin', 'immedi']
    >>> tokens("U.S. talks") == tokens("US talks"), tokens("DVDs") == tokens("DVD"), tokens("if I'm sick, we've gone")
    (True, True, ['sick', 'gone'])
    """
    content: list[str] = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        word = raw.lower().replace("\u2019", "'")
        if _PLURAL_ACRONYM.fullmatch(raw):
            word = word[:-1]  # "DVDs" is "DVD" and more of them; the stemmer sees no vowel to strip its "s" by
        if _ACRONYM.fullmatch(word):
            word = word.replace(".", "")  # "U.S." and "US" are one word
        word = _CONTRACTION.sub("", word)  # "I'm", "we've", "they're": the pronoun only, a stop word
        if word in STOPWORDS:
            continue
        content.extend(part for part in re.split(r"[.'-]", word) if part and part not in STOPWORDS)
    return list(_stemmer().stemWords(content))  # type: ignore[attr-defined]


_EMPTY = "empty.json"  # the marker of an index over no chunks, which bm25s can't build


class Bm25:
    """A BM25 index over chunk texts, backed by `bm25s` (saved as plain numpy and JSON, never pickle).

    An empty corpus is a normal state (a new folder, or the last document deleted): its index scores nothing.

    >>> Bm25.build([]).scores("anything").shape
    (0,)
    """

    def __init__(self, retriever: object | None) -> None:
        self._retriever = retriever
        self._sorted_vocab: list[str] | None = None

    @classmethod
    def build(cls, texts: Sequence[str]) -> Bm25:
        """Index the given texts (one entry per chunk)."""
        import bm25s

        if not texts:
            return cls(None)

        retriever = bm25s.BM25()
        corpus = [tokens(t) or [""] for t in texts]
        retriever.index(corpus, show_progress=False)
        return cls(retriever)

    @classmethod
    def load(cls, folder: Path) -> Bm25:
        """Load an index written by `save`."""
        import bm25s

        if (folder / _EMPTY).exists():
            return cls(None)
        return cls(bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False))

    def save(self, folder: Path) -> None:
        """Write the index as numpy arrays and JSON files."""
        if self._retriever is None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / _EMPTY).write_text('{"chunks": 0}\n', encoding="utf-8")
            return
        self._retriever.save(str(folder), allow_pickle=False)  # type: ignore[attr-defined]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no query word is indexed).

        Each query word also matches indexed words sharing its first five letters or more ("europ" finds
        "european"), forms the stemmer leaves apart.
        """
        if self._retriever is None:
            return np.zeros(0, dtype=np.float32)
        vocab = self._retriever.vocab_dict  # type: ignore[attr-defined]
        ids = sorted({vocab[t] for word in tokens(query) for t in self.related(word) if t in vocab})
        n = int(self._retriever.scores["num_docs"])  # type: ignore[attr-defined]
        if not ids:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self._retriever.get_scores_from_ids(ids), dtype=np.float32)  # type: ignore[attr-defined]

    def related(self, token: str) -> list[str]:
        """Indexed words equal to the token, or sharing a stem of five letters or more with it."""
        if len(token) < 5 or self._retriever is None:
            return [token]
        if self._sorted_vocab is None:
            self._sorted_vocab = sorted(t for t in self._retriever.vocab_dict if t)  # type: ignore[attr-defined]
        return related_tokens(token, self._retriever.vocab_dict, self._sorted_vocab)  # type: ignore[attr-defined]


def related_tokens(token: str, vocab: Container[str], sorted_vocab: Sequence[str]) -> list[str]:
    """Words of `vocab` equal to the token, or sharing a stem of five letters or more with it.

    >>> related_tokens("europ", {"europ", "european", "euro"}, ["euro", "europ", "european"])
    ['europ', 'european']
    """
    if len(token) < 5:
        return [token]
    out = [token[:k] for k in range(5, len(token)) if token[:k] in vocab]
    i = bisect.bisect_left(sorted_vocab, token)
    while i < len(sorted_vocab) and sorted_vocab[i].startswith(token):
        out.append(sorted_vocab[i])
        i += 1
    return out or [token]


def idf_table(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each token over the given texts (smoothed, always positive)."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update(set(tokens(text)))
    return {tok: math.log(1 + (n - c + 0.5) / (c + 0.5)) for tok, c in df.items()}
