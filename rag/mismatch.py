"""Signs that a sentence says something other than what the question asks: a negation, an opposite, another number."""

from __future__ import annotations

import re

from rag.lexical import words

_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|neither|without|cannot|unable)\b|n['\u2019]t\b", re.I)
_NEGATING_PREFIXES = ("non-", "non", "dis", "un", "in", "im", "ir", "il")
# "in-", "im-", "dis-" ... negate adjectives and adverbs ("indirectly", "impossible"); on nouns and verbs they are
# just letters ("impress" is not the opposite of "press"), so those prefixes count only before an adjective ending.
_ALWAYS_NEGATING = ("non-", "non", "un")
_ADJECTIVE_END = re.compile(r"(?:ible|able|ent|ant|al|ly|ive|ate|ect|ete|ite|ous|ed|ar|ic|ful)$")
# Closed-class opposites of degree and order: a question about the "least" of what the text calls the "most" asks
# something the text doesn't say. Not first/last: "last" is as often "the previous" ("last month") as "the final".
_OPPOSITE_PAIRS = (
    ("more", "less"), ("more", "fewer"), ("most", "least"), ("best", "worst"), ("better", "worse"), ("higher", "lower"),
    ("highest", "lowest"), ("larger", "smaller"), ("largest", "smallest"), ("maximum", "minimum"),
    ("before", "after"), ("earlier", "later"), ("increase", "decrease"),
)
_OPPOSITE: dict[str, set[str]] = {}
for _a, _b in _OPPOSITE_PAIRS:
    _OPPOSITE.setdefault(_a, set()).add(_b)
    _OPPOSITE.setdefault(_b, set()).add(_a)


def opposites(question: str, text: str) -> list[str]:
    """Question words the text doesn't use although it uses their opposite ("unconnected" where it says "connected").

    >>> opposites("Which graphs are unconnected?", "All connected graphs.")
    ['unconnected']
    >>> opposites("Which graphs are unconnected?", "Graphs that are not connected.")
    []
    >>> opposites("What are the least known resources?", "Time is the most known resource.")
    ['least']
    """
    asked, said = set(words(question)), set(words(text))
    return [
        word for word in sorted(asked - said)
        if _negated_form_of(word, said, text) or _has_negated_form(word, said, question) or _OPPOSITE.get(word, set()) & (said - asked)
    ]


def _negates(prefix: str, base: str) -> bool:
    """True when `prefix + base` reads as the negation of `base` ("un" + "connected", "in" + "direct", not "im" + "press")."""
    return len(base) >= 4 and (prefix in _ALWAYS_NEGATING or bool(_ADJECTIVE_END.search(base)))


def _negated_form_of(word: str, said: set[str], text: str) -> bool:
    """The word is a prefixed negation ("unconnected") of a word the text uses, and the text doesn't say "not connected"."""
    base = next((word[len(p) :] for p in _NEGATING_PREFIXES if word.startswith(p) and _negates(p, word[len(p) :])), "")
    if base not in said:
        return False
    return not re.search(rf"(?:\b(?:not|never|no)|n't)\s+(?:\w+\s+)?{re.escape(base)}\b", text, re.I)


def _has_negated_form(word: str, said: set[str], question: str) -> bool:
    """The text uses the prefixed negation of the word ("independent" for "dependent") and the question negates nothing."""
    return any(p + word in said and _negates(p, word) for p in _NEGATING_PREFIXES) and not has_negation(question)


def number_conflict(question: str, sentence: str) -> bool:
    """The question gives a number the sentence lacks, and the sentence gives another as long ("1974" against "1967").

    >>> number_conflict("Who proved it in 1974?", "In 1967, Blum proved it.")
    True
    >>> number_conflict("Who proved it in 1967?", "In 1967, Blum proved it."), number_conflict("Who proved it?", "In 1967.")
    (False, False)
    """
    asked = {w for w in words(question) if w.isdigit()}
    said = {w for w in words(sentence) if w.isdigit()}
    return any(n not in said and any(len(m) == len(n) for m in said - asked) for n in asked)


def has_negation(text: str) -> bool:
    """True when the text negates something ("not", "never", "n't", "no", "without", ...).

    >>> has_negation("Which problems can't be solved?"), has_negation("Which problems can be solved?")
    (True, False)
    """
    return bool(_NEGATION.search(text))
