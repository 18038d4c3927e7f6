"""Countries by any of their names: news text names a country by its capital ("Moscow said") or its people ("Russian officials")."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rag.search.lexical import opens_sentence

MIN_POPULATION = 1_000_000  # smaller places' capitals ("Male", "Kingston", "Plymouth") read as common words or other towns
MAX_WORDS = 5  # the longest name looked up ("United States of America")
_PROPER = re.compile(r"[A-Z][\w.'\u2019-]*(?:\s+(?:of\s+(?:the\s+)?|and\s+)?[A-Z][\w.'\u2019-]*)*")


_INITIALS = re.compile(r"(?:[A-Z]\.)+[A-Z]?")
# Everyday names the country data lacks ("customers in Britain", of a text that says "UK").
_MORE_FORMS = {"Britain": "United Kingdom"}
# Words that may stand before a country's name without making it a surname ("Eastern Ukraine", "The Gambia").
_QUALIFIERS = frozenset(
    "the north south east west northern southern eastern western central greater upper lower inner outer mainland "
    "occupied republic kingdom state democratic federal".split()
)


def _plain(name: str) -> str:
    """A name without accents, possessive or trailing dots: "Lomé" and "Lome", "Russia's" and "Russia" are one name."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace("\u2019", "'").strip()
    ascii_ = re.sub(r"(?:'s|\.)$", "", ascii_)
    return ascii_.replace(".", "") if _INITIALS.fullmatch(ascii_) else ascii_


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, str]:
    """Every form of every country (name, other spellings, capital, demonym) -> the country's name."""
    from countryinfo import CountryInfo

    forms: dict[str, str] = {}
    for info in CountryInfo.all().values():
        name, population = info.get("name"), info.get("population")
        if not name or not population or population < MIN_POPULATION:
            continue
        capital = info.get("capital") or ""
        candidates = [name, capital, re.sub(r"\s+D\.C\.?$", "", capital), info.get("demonym") or ""]
        spellings = [name, *(info.get("altSpellings") or [])]
        initials = {_initials(s) for s in spellings if " " in s}
        # Codes such as "IT" or "NO" are words too: keep the codes that spell out a name's initials ("USA", "UAE"),
        # two-letter ones only from the name itself ("US", "UK").
        candidates += [s for s in spellings if not s.isupper() or (s in initials and (len(s) > 2 or s == _initials(name)))]
        for form in candidates:
            plain = _plain(form)
            if plain and plain.isascii() and plain[0].isupper():
                forms.setdefault(plain, name)
    return {**_MORE_FORMS, **forms}


def _first_name_like(word: str) -> bool:
    """A word that may be a person's first name: "Michael", not "EU", "Putin's" or a qualifier such as "Eastern"."""
    return word[:1].isupper() and word[1:].isalpha() and word[1:].islower() and word.lower() not in _QUALIFIERS


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w not in ("of", "the", "and"))


def countries_in(text: str) -> dict[str, tuple[str, ...]]:
    """The countries a text names, each with the words that named it.

    >>> countries_in("Moscow and Kyiv met in Saudi Arabia.")
    {'Russia': ('Moscow',), 'Ukraine': ('Kyiv',), 'Saudi Arabia': ('Saudi Arabia',)}
    >>> countries_in("U.S.-Russia talks")
    {'United States': ('U.S.',), 'Russia': ('Russia',)}
    >>> countries_in("Michael Jordan met King Abdullah of Jordan.")
    {'Jordan': ('Jordan',)}
    """
    return dict(_countries_in(text))


@lru_cache(maxsize=100_000)
def _countries_in(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    forms = _gazetteer()
    found: dict[str, list[str]] = {}
    for run in _PROPER.finditer(text):
        names = re.split(r"\s+|-(?=[A-Z])", run.group(0))  # "U.S.-Russia" names two countries
        sentence_start = opens_sentence(text, run.start())
        i, after_name = 0, False
        while i < len(names):
            for n in range(min(MAX_WORDS, len(names) - i), 0, -1):  # the longest name first: "South Korea", not "Korea"
                phrase = " ".join(names[i : i + n])
                country = forms.get(_plain(phrase))
                if country:
                    if not after_name:  # after a first name it is a surname: "Michael Jordan", "George Washington"
                        found.setdefault(country, []).append(phrase if _INITIALS.fullmatch(phrase) else phrase.rstrip("."))
                    i, after_name = i + n, False
                    break
            else:
                word = names[i]
                after_name = _first_name_like(word) and not (i == 0 and sentence_start)
                i += 1
    return tuple((country, tuple(dict.fromkeys(words))) for country, words in found.items())
