"""Follow-up questions: resolve pronouns and ellipsis from the earlier turns before searching."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.answer.places import countries_in
from rag.ingest.chunking import ABBREVIATIONS
from rag.search.lexical import STOPWORDS, opens_sentence

_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers|they|them|their|theirs|it|its|this|that|these|those|there)\b", re.I)
_PERSONAL = {"he", "she", "him", "his", "her", "hers"}
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
FOLLOW_UP_DEPTH = 3  # how many follow-ups back a subject is carried
_CITATION = re.compile(r"\s*\[\d+\]")
_BE = re.compile(r"\b(?:is|are|was|were|isn't|aren't|wasn't|weren't)\s+$", re.I)
_BE_AFTER = re.compile(r"\s+(?:is|are|was|were|will|would|could|should|must|might|has|have|had|be|isn't|aren't|wasn't|weren't)\b", re.I)
_NOT_TOPIC = STOPWORDS | {"many", "much", "does", "tell", "please"}  # question words, not what was asked about
_DUMMY_IT = re.compile(
    r"\s+(?:(?:take|takes|took|taking)\b[^?]*?\bto\s+\w|(?:possible|true|likely|necessary|allowed|ok|okay)\s+(?:to|that)\b)", re.I
)
# "that" opening a clause points back at nothing: "How can I check that my code is formatted?"
_CLAUSE_AFTER = re.compile(
    r"\s+(?:i|you|we|they|he|she|it|my|your|our|their|his|her|its|the|a|an|this|these|those|there|all|every|some|no|any|each)\b",
    re.I,
)
# ... unless it is the subject asked about: "Was that her first job?", "Is that the only one?"
_SUBJECT_BEFORE = re.compile(
    r"(?:^|\b(?:is|was|are|were|does|did|do|has|have|had|can|could|will|would|should|about|of|in|on|for|with|from|to|after|"
    r"before|like|than|and|but|or))\s*$",
    re.I,
)
_WHO = re.compile(r"\s*(?:and\s+)?who(?:m|se)?\b", re.I)
_ELLIPTIC = re.compile(r"^\s*(and|what about|how about|what of|also|and what about|but)\b", re.I)
# "What about sick days, when do I need a note?" asks a question of its own after the opener: nothing to add.
_OWN_QUESTION = re.compile(r"[,;:]\s*(?:who|what|when|where|why|how|which|whose|do|does|did|can|could|is|are|will|should)\b", re.I)
# A run of capitalised words (allowing short linking words such as "bin" or "of"), e.g. "Mohammed bin Salman".
_NAME = re.compile(r"\b[A-Z][\w\u2019'.-]*(?:\s+(?:(?:bin|de|van|von|al|of|the)\s+)?[A-Z][\w\u2019'.-]*)*")
_QUESTION_WORDS = frozenset(
    "Who What When Where Why How Which Is Are Was Were Did Does Do Can Could Will Would Tell And The A An In On I".split()
)
# Words that open a sentence with a capital without being names ("Every employee gets ...").
_OPENERS = _QUESTION_WORDS | frozenset(
    "Every Each All Some Any No Most Many Several Both Either Neither Our Your My Their Its His Her This That These Those "
    "There Here Only Also However Meanwhile Then Such Other Another If While After Before Up Please We You He She They It"
    .split()
)


# What people say around a question in a real dialogue ("Okay.", "I see.", "yes, and for a widow?"): no part of it.
_FILLER = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|yes|yeah|yep|yup|no|nope|sure|right|alright|all right|great|good|thanks|thank you|i see|"
    r"got it|cool|fine|perfect|hello|hi|hmm+|oh|ah|well|look|so|understood|excellent|awesome|wow)\b[\s,.!;:-]*)+",
    re.I,
)


def without_filler(question: str) -> str:
    """The question without the acknowledgements that open it; "" when it is nothing else.

    >>> without_filler("Ok, and for a widow?"), without_filler("I see. Is there anything for advocates?"), without_filler("yes")
    ('and for a widow?', 'Is there anything for advocates?', '')
    """
    return _FILLER.sub("", question, count=1).strip()


def standalone_question(question: str, history: Sequence[dict[str, Any]] | None) -> str:
    """Rewrite a follow-up into a question that can be searched on its own.

    >>> standalone_question("What did he say about Europe?", [{"role": "user", "content": "Who is Keith Kellogg?"}])
    'What did Keith Kellogg say about Europe?'
    >>> standalone_question("Who is Keith Kellogg?", [])
    'Who is Keith Kellogg?'
    """
    turns: list[dict[str, Any]] = [
        {"role": t.get("role"), "content": _CITATION.sub(" ", t["content"])}  # "[1]" would hide where a sentence starts
        for t in (history or [])
        if isinstance(t, dict) and isinstance(t.get("content"), str)
    ]
    return _resolve(question.strip(), turns, FOLLOW_UP_DEPTH)


def _resolve(question: str, turns: list[dict[str, Any]], depth: int) -> str:
    """`standalone_question` over cleaned turns, resolving the earlier questions it leans on `depth` levels back."""
    if not turns:
        return question
    user_at = [i for i, t in enumerate(turns) if t.get("role") == "user"]
    last_user = turns[user_at[-1]]["content"] if user_at else ""
    if user_at and depth > 0:  # the last question as it was searched: a follow-up of a follow-up keeps the subject
        last_user = _resolve(last_user, turns[: user_at[-1]], depth - 1)
    core = without_filler(question)
    if not core:  # "yes", "ok": an answer to the assistant's question, else a nudge to go on with the last one
        asked = _last_question(turns[-1]["content"]) if turns[-1].get("role") == "assistant" else ""
        return asked or last_user or question
    question = core
    match = _pronoun(question)
    # "he"/"she" take a person's name and "there" a place's. "It", "they", "this" are replaced by no name: the name
    # nearest is as often a person or a place as the thing meant ("When will it take place?" is no "Senior Trump"),
    # so the last question's words go with them instead.
    word = match.group(1).lower() if match else ""
    if match is not None and (word in _PERSONAL or (word == "there" and not _names(question))):
        entity = _latest_entity(turns, person=word in _PERSONAL)
        if entity:
            return _substitute(question, match, entity)
    elliptic = _ELLIPTIC.match(question) is not None and not _OWN_QUESTION.search(question)
    swapped = _swap_place(question, last_user) if elliptic else None
    if swapped:
        return swapped
    if elliptic or (match and last_user) or len(question.split()) <= 3:
        topic = _topic(last_user)
        if topic and topic.lower() not in question.lower():
            return f"{question} ({topic})"
    return question


def _last_question(text: str) -> str:
    """The last sentence of a text that asks something ("Would you like to know about the deadline?"), or ""."""
    asked = re.findall(r"[^.?!\n]*\?", text)
    return asked[-1].strip() if asked else ""


_ELLIPTIC_PLACE = re.compile(
    r"^\s*(?:and|what about|how about|and what about)\s+(in|at|for|from|on|to)\s+([A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*)\s*\??\s*$", re.I
)


def _swap_place(question: str, last: str) -> str | None:
    """The last question about another place or thing: "And in Bristol?" after "What are the core hours in Leeds?"
    is "What are the core hours in Bristol?". None unless the last question names one after the same preposition.

    >>> _swap_place("And in Bristol?", "What are the core hours in Leeds?")
    'What are the core hours in Bristol?'
    """
    found = _ELLIPTIC_PLACE.match(question)
    if found is None or not found.group(2)[0].isupper():
        return None
    preposition, name = found.group(1).lower(), found.group(2)
    before = re.search(rf"\b{preposition}\s+(?:the\s+)?([A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*)", last)
    if before is None or before.group(1) == name:
        return None
    return last[: before.start(1)] + name + last[before.end(1) :]


def _pronoun(question: str) -> re.Match[str] | None:
    """The first pronoun that points back: not the "there" of "is there", "there are", the "it" of "did it take
    long to ...", "is it possible to ...", nor the "that" opening a clause.

    >>> _pronoun("How can I check that my code is formatted?") is None, _pronoun("Was that her first job?").group(1)
    (True, 'that')
    """
    for match in _PRONOUN.finditer(question):
        word = match.group(1).lower()
        if word == "there" and (_BE.search(question[: match.start()]) or _BE_AFTER.match(question[match.end() :])):
            continue
        if word == "it" and _DUMMY_IT.match(question[match.end() :]):
            continue
        if word == "that" and _CLAUSE_AFTER.match(question[match.end() :]) and not _SUBJECT_BEFORE.search(question[: match.start()]):
            continue
        return match
    return None


def _names(text: str) -> list[str]:
    """Capitalised names in a text, minus the words that merely open a sentence ("Every", "Which"), and a single word
    opening a sentence that punctuation or an article follows: an interjection ("Absolutely,", "Okay.") or an
    adverb or preposition ("During the war", "Conservative estimates") rather than a name ("Witkoff is ...").

    >>> _names("Every employee gets 25 days. Witkoff is handling it, and Keith Kellogg left.")
    ['Witkoff', 'Keith Kellogg']
    >>> _names("Absolutely. During the war, Witkoff is handling it.")
    ['Witkoff']
    """
    out = []
    for m in _NAME.finditer(text):
        for i, words in enumerate(_sentence_runs(m.group(0).split())):
            first = i > 0 or opens_sentence(text, m.start())
            while words and (words[0] in _QUESTION_WORDS or (first and words[0] in _OPENERS)):
                words = words[1:]
            name = " ".join(words).rstrip(".,'\u2019")
            if name.endswith(("'s", "\u2019s")):
                name = name[:-2]
            if name and first and " " not in name and _NOT_A_NAME_AFTER.match(text, m.start() + len(m.group(0).rstrip(".,"))):
                continue
            if name:
                out.append(name)
    return out


_NOT_A_NAME_AFTER = re.compile(r"\s*(?:[,.!?;:]|(?:the|a|an|this|that|these|those|his|her|their|its|my|our|your)\b)", re.I)


def _sentence_runs(words: list[str]) -> list[list[str]]:
    """Cut a run of capitalised words where a sentence ends inside it ("31 March. Every employee" is no name).

    >>> _sentence_runs(["March.", "Every"]), _sentence_runs(["U.S.", "President", "Donald", "Trump"])
    ([['March.'], ['Every']], [['U.S.', 'President', 'Donald', 'Trump']])
    """
    runs: list[list[str]] = [[]]
    for word in words:
        runs[-1].append(word)
        if word.endswith(".") and not _INITIALS.fullmatch(word) and word[:-1].lower() not in ABBREVIATIONS:
            runs.append([])
    return [run for run in runs if run]


def _latest_entity(turns: Sequence[dict[str, Any]], person: bool) -> str:
    """The name a pronoun most likely points at.

    For "he"/"she": the latest exchange that names a person: the answer's name first for a "who" question, else the
    question's (an answer's names by most words shared with its question); a one-word name in its fullest form.
    Otherwise (a place for "there"): the latest turn's name, a question's longest or an answer's first of two words
    or more (a single capitalised word in an answer is as often a noun opening a sentence, or a month).
    """
    if not person:
        for turn in reversed(turns):
            names = _names(turn["content"])
            if turn.get("role") != "user":
                names = [n for n in names if len(n.split()) >= 2]
            if names:
                return names[0] if turn.get("role") != "user" else max(names, key=lambda n: len(n.split()))
        return ""
    asked = ""
    pairs: list[tuple[str, list[str], list[str]]] = []  # per question: it, the names it asks about, its answer's names
    for turn in turns:
        # "he" is no "Russian", "Moscow" or "Labour Party"
        names = [n for n in _names(turn["content"]) if not _is_place(n) and n.split()[-1] not in _ORGANISATION_WORDS]
        if turn.get("role") == "user":
            asked = turn["content"]
            pairs.append((asked, sorted(names, key=lambda n: -len(n.split())), []))
        elif pairs:
            asked_words = re.findall(r"[\w']+", asked)
            overlap = {word.lower() for word in asked_words}
            # A question naming a role ("Who is the Minister for Housing?") is answered by the person holding it: the
            # answer's names the question doesn't use come first. One naming a person ("Who is Keith Kellogg?") is
            # answered about that person: the names it shares come first.
            sign = 1 if any(word in _ROLE_WORDS for word in asked_words) else -1
            # A word the question wrote in lower case is no name where a sentence opens with it ("Council leader
            # Rebecca Osei said ..." answering "Who is the council leader?").
            common = set(re.findall(r"\b[a-z][\w'-]*", asked))
            names = [n for n in names if n.lower() not in common]
            # A role ("Security Lead") is who the question asked about, the person holding it who "she" is.
            pairs[-1][2].extend(sorted(names, key=lambda n: (_is_role(n), sign * len(set(n.lower().split()) & overlap), -len(n.split()))))
    everyone = [n for _, q, a in pairs for n in q + a]
    for question, asked_names, answered in reversed(pairs):  # the latest exchange naming a person wins
        # "Who confirmed it in Congress?" is answered by a person; "What did Kellogg say?" is about one.
        ranked = answered + asked_names if _WHO.match(question) else asked_names + answered
        if ranked:
            full = _in_full(ranked[0], everyone)
            # The person the conversation keeps coming back to beats one named once in the latest answer
            # ("Nina Simone" over "CTI Records", "Irving Thalberg" over "Universal Studios").
            if _WHO.match(question) or asked_names or len(pairs) < 2:
                return full
            # A question naming nobody, answered with names: the person the conversation keeps coming back to beats
            # one named once in the latest answer ("Nina Simone" over "CTI Records").
            questions = "\n".join(t["content"] for t in turns if t.get("role") == "user")
            return _most_mentioned(everyone, "\n".join(t["content"] for t in turns), questions)
    return ""


def _most_mentioned(names: list[str], text: str, asked: str = "") -> str:
    """Of the names, the one whose last word the text uses most often; among equals one the user asked about, then
    the first met (a conversation's subject comes first)."""
    counts = {n: len(re.findall(rf"\b{re.escape(n.split()[-1])}\b", text)) for n in names}
    best = max(names, key=lambda n: (counts[n], n in asked, -names.index(n)))
    return _in_full(best, names)


def _in_full(name: str, names: list[str]) -> str:
    """A one-word name in its fullest form met in the conversation ("Kellogg" -> "Keith Kellogg")."""
    if len(name.split()) > 1:
        return name
    fuller = [n for n in names if name in n.split()]
    return max(fuller, key=lambda n: len(n.split()), default=name)


_ROLE_WORDS = frozenset(
    "Lead Leader Manager Director Officer Chair Chairman Chairwoman Chairperson Secretary President Minister Head Chief "
    "Coordinator Administrator Adviser Advisor Envoy Ambassador Treasurer Clerk Mayor Governor Editor Engineer "
    "Analyst Architect Owner Founder Supervisor Commissioner Spokesperson Spokesman Spokeswoman Executive CEO CTO CFO COO".split()
)


def _is_role(name: str) -> bool:
    """True for a job's title rather than a person's name: "Security Lead", "Head of People".

    >>> _is_role("Security Lead"), _is_role("Head of People"), _is_role("Aisha Bello"), _is_role("Mayor Tariq Hussain")
    (True, True, False, False)
    """
    words = name.split()
    return words[-1] in _ROLE_WORDS or (len(words) > 2 and words[1] == "of" and words[0] in _ROLE_WORDS)


_ORGANISATION_WORDS = frozenset(
    "Party Union Alliance Council Committee Commission Ministry Department Office Agency Authority Association "
    "Company Corporation Group Holdings Bank Fund Foundation Trust Institute University College School Hospital "
    "Court Parliament Assembly Congress Senate Government Administration Inc Ltd LLC PLC".split()
)


def _is_place(name: str) -> bool:
    """True when the whole name is a country's name, capital or people ("Russian", "Moscow", "Saudi Arabia")."""
    return any(name in named for named in countries_in(name).values())


def _substitute(question: str, match: re.Match[str], entity: str) -> str:
    """Put the entity in the pronoun's place, keeping possessives possessive."""
    lowered = match.group(1).lower()
    after = question[match.end() :]
    # "her" is possessive before a noun ("her plan") and an object otherwise ("about her").
    her_possessive = lowered == "her" and bool(re.match(r"\s+[a-z]", after)) and not re.match(r"\s+(about|to|with|for)\b", after)
    replacement = f"{entity}'s" if her_possessive or lowered == "his" else entity
    if lowered == "there":  # "What happened there?" -> "What happened in Riyadh?"
        replacement = f"in {entity}"
    return question[: match.start()] + replacement + after


def _topic(question: str) -> str:
    """The subject of an earlier question: its longest name, else its last few content words."""
    names = _names(question)
    if names:
        return max(names, key=len)
    runs: list[list[str]] = [[]]  # runs of adjacent content words: "amber glasses", "night-shift nurses"
    for word in re.findall(r"[\w'-]+", question):
        if len(word) > 3 and word.lower() not in _NOT_TOPIC and not word.lower().endswith("ed"):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    best = max(reversed([r for r in runs if r]), key=len, default=[])  # the longest, the last of equals
    return " ".join(best)
