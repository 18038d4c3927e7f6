"""Countries named by name, capital, people or initials."""

from __future__ import annotations

from rag.answer.places import countries_in


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


def test_countries_in_reads_a_country_after_a_first_name_as_a_surname() -> None:
    assert countries_in("They met Michael Jordan and Denzel Washington.") == {}


def test_countries_in_keeps_countries_after_qualifiers_acronyms_and_possessives() -> None:
    found = countries_in("Fighting in Eastern Ukraine, EU Russia sanctions and Putin's Russia worry King Abdullah of Jordan.")
    assert found.keys() == {"Ukraine", "Russia", "Jordan"}


def test_countries_in_knows_everyday_names_the_data_lacks() -> None:
    assert countries_in("Delivery is free for customers in Britain.") == {"United Kingdom": ("Britain",)}
    assert countries_in("direct debit (UK only)") == {"United Kingdom": ("UK",)}
