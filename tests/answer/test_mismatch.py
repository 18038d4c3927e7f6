"""Signs that a sentence says something other than what was asked."""

from __future__ import annotations

from rag.answer.mismatch import has_negation, number_conflict, opposites, unit_missing


def test_has_negation_finds_not_never_and_contractions() -> None:
    assert has_negation("Europe won't take part") and has_negation("They never met")
    assert not has_negation("Europe will take part")


def test_opposites_flag_a_question_asking_the_reverse_of_the_text() -> None:
    assert opposites("Which graphs are unconnected?", "Only connected graphs count.") == ["unconnected"]
    assert opposites("Which bounds are dependent on the model?", "The bounds are independent of the model.") == ["dependent"]
    assert opposites("What is the least known resource?", "Time is the most known resource.") == ["least"]


def test_opposites_accept_the_same_meaning_in_other_words() -> None:
    assert opposites("Which graphs are unconnected?", "Graphs that are not connected.") == []
    assert opposites("Which graphs are connected?", "Only connected graphs count.") == []
    assert opposites("Which is the most and which the least?", "The most is A, the least is B.") == []


def test_opposites_ignore_prefixes_that_are_just_letters() -> None:
    assert opposites("How did he impress the committee?", "He told the press.") == []
    assert opposites("What did they discover?", "They cover the costs.") == []


def test_number_conflict_flags_a_number_the_sentence_gives_differently() -> None:
    assert number_conflict("Who wrote the paper in 1974?", "In 1972, Karp wrote the paper.")
    assert not number_conflict("Who wrote the paper in 1972?", "In 1972, Karp wrote the paper.")
    assert not number_conflict("Who wrote the paper in 1974?", "Karp wrote the paper.")


def test_number_conflict_flags_another_model_code_month_or_weekday() -> None:
    assert number_conflict("How much does the Tern T1 cost?", "The Tern T2 costs £179.")
    assert not number_conflict("How much does the Tern T2 cost?", "The Tern T2 costs £179 and replaces the T1.")
    assert number_conflict("What was the cloud spend in November?", "Cloud spend in December was £184,000.")
    assert number_conflict("What opens on Friday?", "The market opens on Saturday.")
    assert not number_conflict("What can we do in May?", "In June the park reopens.")  # "may" is mostly a verb


def test_unit_missing_flags_a_sentence_without_the_unit_or_grain_asked_for() -> None:
    assert unit_missing("How many minutes did the phone call last?", "The call was long and highly productive.")
    assert unit_missing("How many minutes did the phone call last?", "It ended the three-year-long war.")  # a unit far off
    assert unit_missing("How many miles long is the route?", "The route runs along the coast.")
    assert unit_missing("On which day of the week will they meet?", "They will meet in the coming days.")
    assert unit_missing("In what year was the model proposed?", "The model was proposed by Turing.")


def test_unit_missing_accepts_the_unit_in_any_usual_spelling_or_another_of_its_kind() -> None:
    assert not unit_missing("How many kilometers is it?", "It is 2000 km.")
    assert not unit_missing("How many miles long is the route?", "The route runs 2000 kilometres.")
    assert not unit_missing("How many minutes did the call last?", "The call lasted two hours.")
    assert not unit_missing("In what year was it founded?", "It was founded in the late 1990s.")
    assert not unit_missing("What percentage voted?", "More than half voted.")
    assert not unit_missing("What percentage voted?", "About 40% voted.")
    assert not unit_missing("How old is he?", "He is 45 years old.")
    assert not unit_missing("In what year was the model proposed?", "Turing proposed it in 1936.")
    assert not unit_missing("How many people came?", "Nobody came.")  # people are no unit: other signals judge


def test_unit_missing_wants_money_for_a_price_question() -> None:
    assert unit_missing("How much does the Widget Pro cost?", "The Widget Pro battery lasts up to 12 hours.")
    assert unit_missing("What is the price of a ticket?", "Tickets sell out within an hour.")
    assert not unit_missing("How much does the Widget Pro cost?", "The Widget Pro costs 199 EUR.")
    assert not unit_missing("How much did they pay?", "They paid $3 million.")


def test_unit_missing_reads_an_age_in_its_usual_forms() -> None:
    for said in ("She died in 1852 at the age of 36.", "He retired aged 61.", "a 36-year-old writer", "He was 70 years of age.",
                 "He died in Greece when Ada was eight."):
        assert not unit_missing("How old was she when she died?", said), said
    assert unit_missing("How old was she when she died?", "She died in 1852.")


def test_unit_missing_leaves_a_date_question_to_the_other_signals() -> None:
    assert not unit_missing("On which day was she born?", "She was born on 10 December 1815.")


def test_how_heavy_tall_or_hot_needs_a_weight_a_length_or_a_temperature() -> None:
    assert not unit_missing("How heavy is the router?", "Weight | 480 g")
    assert unit_missing("How heavy is the router?", "The router has four antennas.")
    assert unit_missing("How tall is the tower?", "The tower has 4 floors.")
    assert not unit_missing("How tall is the tower?", "The tower is 96 metres tall.")
    assert unit_missing("How hot does it get?", "It gets hot in 10 minutes.")
    assert not unit_missing("How hot does it get?", "It reaches 60 °C.")


def test_a_temperature_or_boiling_point_needs_a_temperature() -> None:
    assert unit_missing("What is the boiling point of water at sea level?", "The float switch sticks when the water is cold.")
    assert not unit_missing("At what temperature does water boil?", "Water boils at 100 degrees Celsius at sea level.")


def test_how_far_in_advance_asks_for_a_time_not_a_distance() -> None:
    assert not unit_missing("How far in advance must the room be booked?", "Bookings must be made 10 days in advance.")
    assert unit_missing("How far is the station?", "The station is close to the harbour.")


def test_a_cost_in_any_currency_is_money_and_a_change_may_be_a_percentage() -> None:
    assert not unit_missing("How much does the strike cost a day?", "It costs around 35 million crowns a day.")
    assert not unit_missing("How much did the ticket cost?", "It cost 120 kronor.")
    assert unit_missing("How much did the ticket cost?", "The ticket was won in a raffle.")  # "won" is no currency
    assert not unit_missing("By how much did the share price drop?", "Shares fell 3.2 percent on Thursday.")
    assert unit_missing("How much is the share price?", "Shares fell 3.2 percent on Thursday.")


def test_what_date_wants_a_date_not_a_vague_time() -> None:
    assert unit_missing("On what date will the meeting take place?", "The talks will happen in the coming days.")
    assert not unit_missing("On what date will the meeting take place?", "The meeting is on 18 February.")
    assert not unit_missing("When will the meeting take place?", "The talks will happen in the coming days.")
