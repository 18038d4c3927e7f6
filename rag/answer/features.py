"""Measurable signals of how well a sentence answers a question, for ranking and abstention."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from rag.answer.mismatch import MONTHS, WEEKDAYS, has_negation
from rag.answer.places import countries_in
from rag.search.lexical import STOPWORDS, tokens, words

_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand"
    r"|million|billion|dozen|half|once|twice)\b",
    re.I,
)
_MONTH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday|today|yesterday|tomorrow|soon|recently|immediately|earlier|later|ago|since|until|during"
    r"|(?:hour|day|week|month|year|decade|centur(?:y|ie))s?)\b",
    re.I,
)
_CALENDAR = re.compile(rf"\b(?:{MONTHS}|{WEEKDAYS})\b", re.I)
VAGUE_TIME = 0.5  # "when" is better answered by a date than by "a month after" or "soon"
_CAPITAL = re.compile(r"\b[A-Z][\w'\u2019-]*")
_NUMERIC_Q = re.compile(
    r"\bhow (?:many|much|long|old|far|large|big|small|often|fast|heavy|tall|high|wide|deep|thick|hot|cold|warm|expensive|loud)\b"
    r"|\bwhat (?:(?:is|was|are|were) (?:the )?)?"
    r"(?:percentage|percent|proportion|number|amount|total|size|weight|height|length|width|depth|distance|area|volume"
    r"|temperature|price|cost|fee|salary|budget|speed|rate|capacity|population|age)\b",
    re.I,
)
_TIME_Q = re.compile(r"\bwhen\b|\bhow soon\b|\bwhat (?:year|date|day|month|time|century|decade)\b|\bin which year\b", re.I)
# A question word before "when" makes it a clause's: "What must I use when working remotely?" asks for no time.
_WH_BEFORE_WHEN = re.compile(r"\b(?:what|which|how|why|who|whom|whose|where)\b[^?]*?\bwhen\b", re.I)
_PERSON_Q = re.compile(r"\bwho(?:m|se)?\b|\bwhich (?:person|official|leader|president|minister|envoy)\b", re.I)
_PLACE_PHRASE = re.compile(r"\b(?:in|at|to|from|near|inside|outside|across)\s+(?:the\s+)?[A-Z]")
# A place without a name: "in the courtyard behind the building", "on the second floor".
_COMMON_PLACE = re.compile(r"\b(?:in|at|on|behind|beside|near|inside|outside|opposite|next to|under|above)\s+the\s+[a-z]")
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,3}[.)]|\(\w{1,3}\))\s+")  # a list item's number: "2. ", "(b) ", "3) "
_RELATIVE_TIME_Q = re.compile(r"\bhow soon\b", re.I)
_COUNTRY_Q = re.compile(r"\b(?:which|what) (?:country|countries|nation|nations)\b", re.I)
_LOCATIVE_Q = re.compile(
    r"\bwhere\b|\b(?:in|at|to|from) (?:which|what)\b|\bhost(?:s|ed|ing)?\b|\btak(?:e|es|ing|en) place\b|\bheld\b|\blocated\b",
    re.I,
)
# A life span in brackets after a name: "(née Byron; 10 December 1815 – 27 November 1852)", "(born 1961)", "(1815-1852)".
_BRACKETS = re.compile(r"\(([^()]{4,160})\)")  # bounded: this runs on every candidate sentence of every question
_LIFESPAN = re.compile(r"\bborn\b|\bb\.\s|\d{3,4}\s*[-\u2013\u2014]\s*(?:c\.\s*)?[^()]{0,40}?\d{3,4}")
LIFE_TOKENS = frozenset(tokens("born birth died death"))
# A value's unit stands for the words a question asks it with: "How many calories?" of "342 kcal", "How heavy?" of
# "480 g", "What proportion?" of "61%". Symbols only: a unit written out is a word the question can match already.
_UNIT_WORDS = (
    (re.compile(r"\d\s?(?:kcal|cal)\b"), "calories energy"),
    (re.compile(r"\d\s?(?:kg|g|mg|lbs?|oz)\b"), "weight weighs heavy"),
    (re.compile(r"\d\s?%|\d\s?per ?cent\b"), "percentage proportion share"),
    (re.compile(r"\d\s?(?:°|º|\u2103|\u2109)"), "temperature degrees hot"),
    (re.compile(r"\d\s?(?:mph|km/h|kph)\b"), "speed fast"),
    (re.compile(r"\d\s?(?:km|cm|mm|mi)\b"), "distance length long far"),
    (re.compile(r"\d\s?(?:[KMGT]B|[KMG]bps|Mbit/s)\b"), "size speed"),
)
_UNIT_TOKENS = tuple((pattern, frozenset(tokens(words))) for pattern, words in _UNIT_WORDS)
_PLACE_Q = re.compile(r"\bwhere\b|\bwhich (?:country|city|place|nation|state)\b|\bin what (?:country|city|place)\b", re.I)


@dataclass(frozen=True)
class QuestionInfo:
    """What a question asks for and which of its words matter."""

    kind: str  # "number", "time", "person", "place" or "other"
    tokens: tuple[str, ...]
    specific: tuple[str, ...]  # numbers and names: words an answer's source must share
    negated: bool = False
    places: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the countries the question names, each with its naming words
    asks_country: bool = False
    locative: bool = False  # asks where something is or happens ("where", "in which country", "which country hosts")
    text: str = ""
    relative_time: bool = False  # asks "how soon": a vague time ("in the coming days") answers it as well as a date


_SEVERAL_Q = re.compile(r"^\W*(?:(?:what|which)\s+(?:are|were)\b|list\b|name\s+the\b)", re.I)


def asks_for_several(question: str) -> bool:
    """True for a question asking for several things, which a whole list answers.

    >>> asks_for_several("What are the key recommendations?"), asks_for_several("What is the first step?")
    (True, False)
    """
    return _SEVERAL_Q.match(question) is not None


def question_info(question: str) -> QuestionInfo:
    """Classify a question by what its answer must hold.

    >>> question_info("How many people attended in 2024?").kind
    'number'
    >>> question_info("Who met Putin in Riyadh?").specific
    ('putin', 'riyadh')
    >>> question_info("When did they meet?").kind, question_info("What must I use when working remotely?").kind
    ('time', 'other')
    """
    if _NUMERIC_Q.search(question):
        kind = "number"
    elif (found := _TIME_Q.search(question)) and not (found.group(0).lower() == "when" and _WH_BEFORE_WHEN.search(question)):
        kind = "time"
    elif _PERSON_Q.search(question):
        kind = "person"
    elif _PLACE_Q.search(question):
        kind = "place"
    else:
        kind = "other"
    specific = []
    for word in words(_capitalised_words(question)):
        if word not in STOPWORDS:
            specific.extend(tokens(word))
    specific.extend(w for w in words(question) if any(ch.isdigit() for ch in w))
    places = tuple((country, tuple(t for w in named for t in tokens(w))) for country, named in countries_in(question).items())
    return QuestionInfo(
        kind, tuple(tokens(question)), tuple(dict.fromkeys(specific)), has_negation(question), places,
        bool(_COUNTRY_Q.search(question)), bool(_LOCATIVE_Q.search(question)), question, bool(_RELATIVE_TIME_Q.search(question)),
    )


def place_tokens(info: QuestionInfo, sentence: str) -> set[str]:
    """The question's words for the countries the sentence names in other words ("Moscow" for "Russian").

    >>> sorted(place_tokens(question_info("What did Moscow say?"), "The Russian ministry said no."))
    ['moscow']
    """
    if not info.places:
        return set()
    named = countries_in(sentence)
    return {t for country, toks in info.places if country in named for t in toks}


def life_tokens(sentence: str) -> frozenset[str]:
    """The words "born" and "died" for a sentence that gives a life span in brackets, as encyclopedias do.

    >>> sorted(life_tokens("Ada King (née Byron; 10 December 1815 – 27 November 1852) was a mathematician."))
    ['birth', 'born', 'death', 'die']
    >>> life_tokens("The talks (in Riyadh) went on.")
    frozenset()
    """
    if "(" not in sentence:
        return frozenset()
    return LIFE_TOKENS if any(_LIFESPAN.search(m.group(1)) for m in _BRACKETS.finditer(sentence)) else frozenset()


def unit_tokens(sentence: str) -> frozenset[str]:
    """The words a sentence's unit symbols stand for ("kcal": calories), as tokens.

    >>> sorted(unit_tokens("Energy | 342 kcal")), sorted(unit_tokens("Weight | 480 g"))
    (['calori', 'energi'], ['heavi', 'weigh', 'weight'])
    >>> unit_tokens("The 5G network opened.")
    frozenset()
    """
    return frozenset(t for pattern, stems in _UNIT_TOKENS if pattern.search(sentence) for t in stems)


def kind_match(info: QuestionInfo, sentence: str) -> float:
    """How well the sentence holds the kind of answer the question wants (`type_match`, or a country for "which country").

    "How soon" asks for a relative time, which "in the coming days" gives as well as a date.
    >>> kind_match(question_info("How soon will they meet?"), "They meet in the coming days.")
    1.0
    >>> kind_match(question_info("When will they meet?"), "They meet in the coming days.")
    0.5
    >>> kind_match(question_info("How much will it cost?"), "2. Publish the costs.")
    0.0
    """
    sentence = _ENUMERATOR.sub("", sentence, count=1)  # "2. Publish a cost breakdown" holds no number
    if info.asks_country:
        return country_match(info, sentence)
    if info.kind == "time" and info.relative_time and _MONTH.search(sentence):
        return 1.0
    return type_match(info.kind, sentence)


def country_match(info: QuestionInfo, sentence: str) -> float:
    """For "which country" questions: 1.0 when the sentence names a country the question doesn't, else 0.0.

    A question asking where ("in which country") wants the country as a place: "in Saudi Arabia", not "the Ukraine war".
    >>> country_match(question_info("In which country will they meet?"), "They meet in Oman, not about the Yemen war.")
    1.0
    >>> country_match(question_info("In which country will they meet?"), "They discussed the Yemen war.")
    0.5
    """
    asked = {country for country, _ in info.places}
    named = [w for country, ws in countries_in(sentence).items() if country not in asked for w in ws]
    if not named:
        return 0.0
    if not info.locative:
        return 1.0
    place = r"\b(?:in|at|to|from|inside|near)\s+(?:the\s+)?(?:" + "|".join(map(re.escape, named)) + r")\b"
    return 1.0 if re.search(place, sentence) else 0.5


def _capitalised_words(question: str) -> str:
    """The capitalised words of a question other than its first word."""
    body = question.strip()
    first = re.match(r"\S+\s*", body)
    rest = body[first.end() :] if first else body
    return " ".join(m.group(0) for m in re.finditer(r"\b[A-Z][\w'\u2019.-]*", rest))


def type_match(kind: str, sentence: str) -> float:
    """1.0 when the sentence holds the kind of thing the question asks for, 0.0 when it can't, 0.5 when unknown."""
    if kind == "number":
        return 1.0 if _NUMBER.search(sentence) else 0.0
    if kind == "time":
        if re.search(r"\d", sentence) or _CALENDAR.search(sentence):
            return 1.0
        return VAGUE_TIME if _MONTH.search(sentence) else 0.0
    if kind == "place":
        if _PLACE_PHRASE.search(sentence):
            return 1.0
        return 0.5 if _names(sentence) or _COMMON_PLACE.search(sentence) else 0.0
    if kind == "person":
        return 1.0 if _names(sentence) else 0.0
    return 0.5


def _names(text: str) -> list[str]:
    """Capitalised words that are not common words (so "The" at a sentence start is not a name)."""
    return [m.group(0) for m in _CAPITAL.finditer(text) if m.group(0).lower() not in STOPWORDS]


def weighted_overlap(query_tokens: tuple[str, ...] | list[str], text_tokens: set[str], idf: dict[str, float]) -> float:
    """IDF-weighted share of the query's tokens found in the text (0..1), counting close word forms.

    >>> weighted_overlap(["a", "b"], {"a"}, {"a": 3.0, "b": 1.0})
    0.75
    >>> weighted_overlap(["europ"], {"european"}, {})
    1.0
    """
    default = max(idf.values(), default=1.0)
    wanted = set(query_tokens)
    total = sum(idf.get(t, default) for t in wanted)
    if total == 0:
        return 0.0
    return sum(idf.get(t, default) for t in wanted if matches(t, text_tokens)) / total


def matches(token: str, text_tokens: set[str]) -> bool:
    """True when the token, or a longer or shorter form sharing its first five letters or more, is in the text.

    The stemmer leaves pairs such as "europ"/"european" and "russia"/"russian" apart; a shared stem of five
    letters or more joins them.
    >>> matches("russia", {"russian"}), matches("cat", {"catalog"})
    (True, False)
    """
    if token in text_tokens:
        return True
    if len(token) < 5:
        return False
    return any(len(other) >= 5 and (other.startswith(token) or token.startswith(other)) for other in text_tokens)


def novelty(query_tokens: tuple[str, ...], text_tokens: set[str]) -> float:
    """Share of the text's tokens that are not in the question: an answer must add something."""
    if not text_tokens:
        return 0.0
    return len(text_tokens - set(query_tokens)) / len(text_tokens)


def bigram_share(query_tokens: list[str], sentence_tokens: tuple[str, ...]) -> float:
    """Share of the question's adjacent token pairs that also stand side by side in the sentence.

    >>> bigram_share(["prime", "minist", "said"], ("the", "prime", "minist"))
    0.5
    """
    pairs = set(pairwise(query_tokens))
    if not pairs:
        return 0.0
    have = set(pairwise(sentence_tokens))
    return len(pairs & have) / len(pairs)


def answer_slot(info: QuestionInfo, sentence: str, sentence_tokens: set[str]) -> float:
    """1.0 when the sentence holds something of the asked kind that the question itself doesn't (a new number, name or date)."""
    asked = set(info.tokens)
    if info.kind in ("number", "time"):
        numbers = {w for w in words(sentence) if any(ch.isdigit() for ch in w)}
        if numbers - asked:
            return 1.0
        return 0.5 if info.kind == "time" and _MONTH.search(sentence) else 0.0
    if info.kind in ("person", "place"):
        names = set(tokens(" ".join(_names(sentence))))
        if info.kind == "place" and not names - asked and _COMMON_PLACE.search(sentence):
            return 0.5  # a place without a name: "in the courtyard"
        return 1.0 if names - asked else 0.0
    return 1.0 if sentence_tokens - asked else 0.0
