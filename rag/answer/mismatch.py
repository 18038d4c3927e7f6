"""Signs that a sentence says something other than what the question asks: a negation, an opposite, another number,
no value of the unit the question asks in."""

from __future__ import annotations

import re

from rag.search.lexical import words

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
    """The question gives a value the sentence lacks while the sentence gives another of the same shape: a number as
    long ("1974" against "1967"), a code with the same letters ("T1" against "T2"), another month or weekday.

    >>> number_conflict("Who proved it in 1974?", "In 1967, Blum proved it.")
    True
    >>> number_conflict("Who proved it in 1967?", "In 1967, Blum proved it."), number_conflict("Who proved it?", "In 1967.")
    (False, False)
    >>> number_conflict("What does the T1 cost?", "The T2 costs £179.")
    True
    >>> number_conflict("What did we spend in November?", "In December we spent £184,000.")
    True
    """
    asked, said = set(words(question)), set(words(sentence))
    other_shapes = {shape(word) for word in said - asked}
    return any(value not in said and shape(value) in other_shapes for value in asked if shape(value))


def shape(word: str) -> str:
    """What a value is for `number_conflict`: "digits:4" for "1974", "code:t" for "T1", "month", "weekday"; "" for a word.

    >>> [shape(w) for w in ("1974", "t1", "x200s", "november", "friday", "budget")]
    ['digits:4', 'code:t', 'code:xs', 'month', 'weekday', '']
    """
    if word.isdigit():
        return f"digits:{len(word)}"
    if _CODE.fullmatch(word):
        return "code:" + "".join(ch for ch in word if not ch.isdigit())
    if _MONTH_WORD.fullmatch(word):
        return "month"
    if _WEEKDAY_WORD.fullmatch(word):
        return "weekday"
    return ""


WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_MONTH_NAME = MONTHS + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
_MONTH_WORD = re.compile(MONTHS.replace("|may", ""))  # "may" is more often a verb
_WEEKDAY_WORD = re.compile(WEEKDAYS)
_CODE = re.compile(r"[a-z]{1,3}\d{1,4}[a-z]{0,2}")  # a model, version or room: "t1", "x200s", "b12"; not "1st" or "10kg"
_NUMBER_WORD = (
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
)
_MONEY_WORDS = (
    r"[$€£¥₹]|usd|eur|gbp|chf|sek|nok|dkk|dollars?|euros?|pounds?|pence|cents?|yen|yuan|francs?|roubles?|rubles?"
    r"|rupees?|pesos?|crowns?|kron(?:a|or|er|e|ur)|z[lł]oty|forints?|lira|reais|shillings?|dinars?|dirhams?|riyals?"
    r"|baht|free"  # not "won", "real" or "rand": words, more often than money
)
# Units of time from short to long: an answer may be in the asked unit or a neighbouring one (hours for minutes),
# not in one far off ("a three-year-long war" says nothing of how many minutes a call lasted).
_TIME_UNITS = (
    r"seconds?|secs?", r"minutes?|mins?", r"hours?|hrs?", r"days?|daily|nights?", r"weeks?|weekly|fortnights?",
    r"months?|monthly", r"years?|yearly|annual(?:ly)?", r"decades?", r"centur(?:y|ies)",
)
_TIME_INDEX = {w: i for i, w in enumerate("second minute hour day week month year decade century".split())}
_TIME_INDEX.update({"fortnight": 4, "night": 3, "centurie": 8})
# What a sentence must say to hold a value of each other dimension: an answer in kilometres serves a question in miles.
_DIMENSIONS: dict[str, str] = {
    "distance": r"miles?|kilometers?|kilometres?|km|meters?|metres?|m|feet|foot|ft|yards?|inch(?:es)?|cm|mm",
    "mass": r"kilograms?|kg|grams?|g|pounds?|lbs?|tons?|tonnes?|ounces?|oz",
    "money": _MONEY_WORDS,
    "percent": r"percent|per cent|%|half|thirds?|quarters?",
    "temperature": r"degrees?|°[cfk]?|celsius|fahrenheit|kelvin",
}
# "How heavy", "how tall", ...: the adjective names the dimension ("how long" may be a time, so it is not here, nor
# "how far in advance"); a temperature or a boiling point wants degrees.
_HOW_ADJECTIVE = re.compile(
    r"\bhow (?P<adjective>heavy|tall|high|wide|deep|far(?! in advance| ahead| back)|hot|cold|warm)\b"
    r"|\b(?:temperature|(?:boiling|melting|freezing) point)s?\b",
    re.I,
)
_ADJECTIVE_DIMENSION = {
    "heavy": "mass", **dict.fromkeys(("tall", "high", "wide", "deep", "far"), "distance"),
    **dict.fromkeys(("hot", "cold", "warm"), "temperature"),
}
_DIMENSION_OF = {
    **dict.fromkeys("mile kilometer kilometre meter metre foot feet yard inch inche".split(), "distance"),
    **dict.fromkeys("kilogram gram ton tonne ounce".split(), "mass"),
    **dict.fromkeys("dollar euro money".split(), "money"),
    **dict.fromkeys("percent percentage".split(), "percent"),
}
# "How much does it cost?" asks for money whatever word follows "how much".
_MONEY_Q = re.compile(
    r"\bhow much\b[^?]*\b(?:cost|costs|pay|pays|paid|price|priced|charge|charges|charged|spend|spent|earn|earns|earned|worth)\b"
    r"|\b(?:what|which) (?:is|was|are|were) the (?:price|cost|fee|salary|wage)s?\b",
    re.I,
)
_BY_HOW_MUCH = re.compile(r"\bby how much\b", re.I)
_HOW_MANY = re.compile(r"\bhow (?:many|much)\s+(\w+)|\bwhat (percentage|percent)\b", re.I)
_ASKED_GRAIN = (  # questions that name the grain of a time or an age: the sentence must hold one of that grain
    (re.compile(r"\bday of the week\b|\b(?:which|what) weekday\b", re.I), re.compile(rf"\b(?:{WEEKDAYS})\b", re.I)),
    (re.compile(r"\b(?:what|which) month\b", re.I), re.compile(rf"\b(?:{_MONTH_NAME})\b", re.I)),
    (  # "On what date?" wants a date, not "in the coming days"
        re.compile(r"\b(?:what|which) date\b", re.I),
        re.compile(rf"\b(?:{_MONTH_NAME})\b|\b\d{{1,4}}[-/.]\d{{1,2}}[-/.]\d{{1,4}}\b|\b(?:{WEEKDAYS})\b", re.I),
    ),
    (re.compile(r"\b(?:what|which) year\b", re.I), re.compile(r"\b(?:1[0-9]|20)\d\d(?:s\b|\b)")),
    (
        re.compile(r"\bhow old\b", re.I),
        re.compile(
            rf"\b(?:{_NUMBER_WORD})[- ]years?[- ]old\b|\b(?:{_NUMBER_WORD}) years? of age\b"
            rf"|\b(?:age(?:d| of)?|was|is|were|turned) (?:{_NUMBER_WORD})\b",
            re.I,
        ),
    ),
)


def unit_missing(question: str, sentence: str) -> bool:
    """The question asks for a value in a unit or grain (minutes, miles, money, a weekday, a year) the sentence doesn't hold.

    >>> unit_missing("How many minutes did the call last?", "The call was long and productive.")
    True
    >>> unit_missing("How many miles is the route?", "The route is very long.")
    True
    >>> unit_missing("How many miles is the route?", "The route is 2000 kilometres long.")  # an answer in other units
    False
    >>> unit_missing("On which day of the week will they meet?", "They meet in the coming days.")
    True
    >>> unit_missing("How many people came?", "Nobody came.")
    False
    >>> unit_missing("How much does it cost?", "It lasts 12 hours."), unit_missing("What is the price?", "It costs $40.")
    (True, False)
    >>> unit_missing("How heavy is the router?", "Weight | 480 g"), unit_missing("How tall is the tower?", "It has 4 floors.")
    (False, True)
    >>> unit_missing("On what date will they meet?", "They meet in the coming days."), unit_missing("On what date?", "On 3 May.")
    (True, False)
    >>> unit_missing("How far in advance must I book?", "Bookings must be made 10 days in advance.")
    False
    >>> unit_missing("How much does the strike cost a day?", "It costs 35 million crowns a day.")
    False
    >>> unit_missing("By how much did the share price drop?", "Shares fell 3.2 percent on Thursday.")
    False
    """
    for asks, holds in _ASKED_GRAIN:
        if asks.search(question):
            return not holds.search(sentence)
    if _MONEY_Q.search(question):
        change = _BY_HOW_MUCH.search(question)  # "By how much did the share price drop?": "fell 3.2 percent"
        return not _holds(sentence, _MONEY_WORDS + ("|" + _DIMENSIONS["percent"] if change else ""))
    adjective = _HOW_ADJECTIVE.search(question)
    if adjective:
        named = adjective.group("adjective")
        return not _holds(sentence, _DIMENSIONS[_ADJECTIVE_DIMENSION[named.lower()] if named else "temperature"])
    m = _HOW_MANY.search(question)
    if not m:
        return False
    word = (m.group(1) or m.group(2)).lower()
    if word in ("pound", "pounds"):  # weight or money
        return not _holds(sentence, _DIMENSIONS["mass"] + "|" + _MONEY_WORDS)
    singular = word[:-1] if word.endswith("s") else word
    if singular in _TIME_INDEX:
        i = _TIME_INDEX[singular]
        return not _holds(sentence, "|".join(_TIME_UNITS[max(i - 1, 0) : i + 2]))
    dimension = _DIMENSION_OF.get(word) or _DIMENSION_OF.get(singular)
    return dimension is not None and not _holds(sentence, _DIMENSIONS[dimension])


def _holds(sentence: str, units: str) -> bool:
    """True when the sentence has one of the units (a regex alternation) as a word or beside a number ("12km")."""
    return bool(re.search(rf"(?<![a-z])(?:{units})(?![a-z])", sentence, re.I))


def has_negation(text: str) -> bool:
    """True when the text negates something ("not", "never", "n't", "no", "without", ...).

    >>> has_negation("Which problems can't be solved?"), has_negation("Which problems can be solved?")
    (True, False)
    """
    return bool(_NEGATION.search(text))
