"""Countries named by name, capital, people or initials."""

from __future__ import annotations

from rag.places import countries_in


def test_countries_in_finds_names_capitals_and_demonyms() -> None:
    found = countries_in("Moscow told Ukrainian envoys that Saudi Arabia would host the talks.")
    assert found == {"Russia": ("Moscow",), "Ukraine": ("Ukrainian",), "Saudi Arabia": ("Saudi Arabia",)}


def test_countries_in_reads_initials_and_accents() -> None:
    assert countries_in("The U.S. and the UK met in Lomé.").keys() == {"United States", "United Kingdom", "Togo"}


def test_countries_in_splits_hyphenated_pairs() -> None:
    assert countries_in("planned U.S.-Russia talks").keys() == {"United States", "Russia"}


def test_countries_in_ignores_codes_and_lowercase_words() -> None:
    assert countries_in("The IT team said NO to the turkey and china plates.") == {}


def test_countries_in_ignores_tiny_places_whose_capitals_read_as_words() -> None:
    assert countries_in("Male nurses met in Plymouth.") == {}
