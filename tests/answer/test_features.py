"""The composer's measurable signals."""

from __future__ import annotations

from rag.answer.features import (
    LIFE_TOKENS,
    answer_slot,
    bigram_share,
    country_match,
    life_tokens,
    place_tokens,
    question_info,
    type_match,
    unit_tokens,
    weighted_overlap,
)
from rag.search.lexical import tokens


def test_question_info_classifies_what_the_answer_must_hold() -> None:
    assert question_info("How many soldiers crossed?").kind == "number"
    assert question_info("When did the talks begin?").kind == "time"
    assert question_info("Who leads the delegation?").kind == "person"
    assert question_info("Where will they meet?").kind == "place"
    assert question_info("Why did they meet?").kind == "other"
    assert question_info("How soon will they meet?").kind == "time"
    for question in ("What is the population of Ukraine?", "What was the total cost?", "What is the fee for a late return?"):
        assert question_info(question).kind == "number", question


def test_question_info_lists_names_and_numbers_as_specific() -> None:
    info = question_info("Did Marco Rubio visit Israel in 2025?")
    assert info.specific == ("marco", "rubio", "israel", "2025")


def test_type_match_requires_numbers_for_number_questions() -> None:
    assert type_match("number", "They sent 40 envoys.") == 1.0
    assert type_match("number", "They sent envoys.") == 0.0
    assert type_match("other", "Anything.") == 0.5


def test_type_match_reads_plural_time_units_as_times_and_prefers_a_date() -> None:
    vague = type_match("time", "The meeting is set for the coming days.")
    assert 0.0 < vague < type_match("time", "The meeting is set for 18 February.") == 1.0
    assert type_match("time", "She was born a month after the wedding.") == vague
    assert type_match("time", "The meeting is set for Tuesday.") == 1.0
    assert type_match("time", "The meeting is set.") == 0.0


def test_place_tokens_let_a_capital_match_the_country_it_stands_for() -> None:
    info = question_info("How did Moscow's foreign ministry describe the call?")
    assert place_tokens(info, "The Russian Foreign Ministry called it a step forward.") == {"moscow"}
    assert place_tokens(info, "The French ministry said nothing.") == set()


def test_country_match_wants_a_country_the_question_does_not_name() -> None:
    info = question_info("In which country will the American and Russian teams meet?")
    assert info.asks_country and info.locative
    assert country_match(info, "U.S. and Russian officials will meet in Saudi Arabia.") == 1.0
    assert country_match(info, "They discussed ending the Ukraine war.") == 0.5  # a country, but not as the place
    assert country_match(info, "U.S. and Russian officials will meet soon.") == 0.0


def test_a_place_without_a_name_counts_half_as_a_place() -> None:
    info = question_info("Where can I leave my bike?")
    courtyard = "Bike storage is in the courtyard behind the building."
    assert type_match("place", courtyard) == 0.5 and type_match("place", "Bikes go in Canal Street.") == 1.0
    assert answer_slot(info, courtyard, set(tokens(courtyard))) == 0.5
    assert answer_slot(info, "Bikes are welcome.", set(tokens("Bikes are welcome."))) == 0.0


def test_answer_slot_wants_something_the_question_lacks() -> None:
    info = question_info("Who met Lavrov?")
    assert answer_slot(info, "Rubio met Lavrov.", set(tokens("Rubio met Lavrov."))) == 1.0
    assert answer_slot(info, "Lavrov met him.", set(tokens("Lavrov met him."))) == 0.0


def test_overlap_helpers() -> None:
    assert weighted_overlap(["a", "b"], {"a"}, {"a": 1.0, "b": 1.0}) == 0.5
    assert bigram_share(["a", "b", "c"], ("a", "b", "x")) == 0.5



def test_a_life_span_in_brackets_stands_for_born_and_died() -> None:
    assert life_tokens("Alan Turing (23 June 1912 – 7 June 1954) was a mathematician.") == LIFE_TOKENS
    assert life_tokens("Barack Obama (born August 4, 1961) is a politician.") == LIFE_TOKENS
    assert life_tokens("The band (formed in 1990) played on.") == frozenset()
    assert life_tokens("Prices rose (from 10 to 20 in 2010).") == frozenset()


def test_hosting_or_taking_place_asks_for_the_country_as_a_place() -> None:
    hosts = question_info("Which country will host the meeting?")
    assert hosts.locative and question_info("Which country will the talks take place in?").locative
    assert country_match(hosts, "The envoys will meet in Oman next week.") == 1.0
    assert country_match(hosts, "The envoys will discuss the Yemen war.") == 0.5
    assert not question_info("Which country sent the most envoys?").locative


def test_a_unit_symbol_stands_for_the_words_a_question_asks_it_with() -> None:
    assert set(tokens("calories")) <= unit_tokens("Energy | 342 kcal")
    assert set(tokens("heavy weight")) <= unit_tokens("Weight | 480 g")
    assert set(tokens("proportion")) <= unit_tokens("Error rate peaks at 61%.")
    assert set(tokens("temperature")) <= unit_tokens("Bake at 180°C for 45 minutes.")
    assert unit_tokens("The 5G network opened in 2020.") == frozenset()  # no unit after a number
    assert unit_tokens("She won 3 games.") == frozenset()


def test_i_am_and_we_have_in_a_question_are_no_names_an_answer_must_hold() -> None:
    # "I'm" once made "m" a name, which no sentence held: "What is the first thing I should do if I'm sick?" was abstained on
    assert question_info("What is the first thing I should do if I'm sick?").specific == ()
    assert question_info("What should I do if I've lost my badge?").specific == ()
    assert question_info("What did Priya's team say?").specific == ("priya",)
