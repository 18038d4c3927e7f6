"""Follow-up questions are rewritten from the conversation before retrieval."""

from __future__ import annotations

from rag.answer.conversation import standalone_question

KELLOGG = [
    {"role": "user", "content": "Who is Keith Kellogg?"},
    {"role": "assistant", "content": "Keith Kellogg, the Trump administration's Russia-Ukraine envoy, stated ... [1]"},
]


def test_standalone_question_without_history_is_unchanged() -> None:
    assert standalone_question("  Who is Marco Rubio? ", None) == "Who is Marco Rubio?"


def test_standalone_question_replaces_personal_pronoun_with_last_person() -> None:
    assert standalone_question("What did he say about Europe?", KELLOGG) == "What did Keith Kellogg say about Europe?"


def test_standalone_question_keeps_possessive() -> None:
    assert standalone_question("What is his role?", KELLOGG) == "What is Keith Kellogg's role?"


def test_standalone_question_uses_latest_user_subject() -> None:
    history = [
        *KELLOGG,
        {"role": "user", "content": "Where did Marco Rubio arrive on Saturday?"},
        {"role": "assistant", "content": "In Israel."},
    ]
    assert standalone_question("Who did he speak with?", history) == "Who did Marco Rubio speak with?"


def test_standalone_question_expands_elliptic_follow_up() -> None:
    history = [{"role": "user", "content": "What did Kellogg say about sanctions?"}]
    assert standalone_question("And what about Iran?", history) == "And what about Iran? (Kellogg)"


def test_an_opener_followed_by_a_question_of_its_own_is_left_alone() -> None:
    history = [{"role": "user", "content": "How many vacation days do I get a year?"}]
    question = "What about sick days, when do I need a doctor's note?"
    assert standalone_question(question, history) == question
    # A noun phrase of the last question goes with the follow-up, never a string of its words ("vacation days year")
    assert standalone_question("What about sick days?", history) == "What about sick days? (vacation days)"


def test_standalone_question_leaves_self_contained_question_alone() -> None:
    question = "Where will the Saudi Arabia meeting take place?"
    assert standalone_question(question, KELLOGG) == question


def test_standalone_question_ignores_malformed_turns() -> None:
    history = [{"role": "user"}, {"content": 3}, "junk", {"role": "user", "content": "Who is Keith Kellogg?"}]
    assert standalone_question("What did he say?", history) == "What did Keith Kellogg say?"  # type: ignore[arg-type]


def test_standalone_question_does_not_take_a_sentence_opener_for_a_name() -> None:
    history = [
        {"role": "user", "content": "How many days of annual leave do I get?"},
        {"role": "assistant", "content": "Every employee gets 25 days of paid annual leave per calendar year. [1]"},
    ]
    rewritten = standalone_question("Can I carry them over?", history)
    assert "Every" not in rewritten
    assert "annual leave" in rewritten


def test_standalone_question_does_not_take_a_people_or_a_capital_for_he() -> None:
    history = [
        {"role": "user", "content": "Who is handling the Russian side in Moscow?"},
        {"role": "assistant", "content": "Witkoff is handling the Russian side, while Kellogg is focusing on Ukraine. [1]"},
    ]
    assert standalone_question("Which side is he handling?", history) == "Which side is Witkoff handling?"


HANDBOOK = [
    {"role": "user", "content": "How many days of annual leave do I get?"},
    {"role": "assistant", "content": "Every employee gets 25 days of paid annual leave per calendar year. [1] "
                                     "Up to 5 unused days can be carried over to the next year; the rest expire on 31 March. [2]"},
    {"role": "user", "content": "Can I fly business class?"},
    {"role": "assistant", "content": "Flights under 6 hours must be booked in economy class. [1]"},
]


def test_standalone_question_takes_no_single_capitalised_word_of_an_answer_for_it_or_them() -> None:
    rewritten = standalone_question("Can I carry them over?", HANDBOOK[:2])
    assert rewritten == "Can I carry them over? (annual leave)"  # not "Up" after "[1]", not "March"
    assert "Flights" not in standalone_question("Are they refundable?", HANDBOOK)


def test_standalone_question_reads_the_there_of_is_there_as_no_pronoun() -> None:
    assert standalone_question("Is there a gym membership?", HANDBOOK) == "Is there a gym membership?"
    assert standalone_question("Are there any exceptions to it?", HANDBOOK).startswith("Are there any exceptions")


def test_standalone_question_puts_the_place_for_there() -> None:
    assert standalone_question("What happened there?", [{"role": "user", "content": "Who went to Riyadh?"}]) == "What happened in Riyadh?"


def test_standalone_question_takes_no_name_across_a_sentence_end() -> None:
    history = [
        *HANDBOOK[:2],
        {"role": "user", "content": "Can I carry them over?"},
        {"role": "assistant", "content": "Up to 5 unused days can be carried over to the next year; the rest expire on 31 March. [1] "
                                         "Every employee gets 25 days of paid annual leave per calendar year. [2]"},
    ]
    rewritten = standalone_question("When do they expire?", history)
    assert "March" not in rewritten and "Every" not in rewritten, rewritten
    assert "annual leave" in rewritten  # the subject of the question the follow-up before it leaned on


def test_the_it_of_how_long_did_it_take_to_is_no_pronoun() -> None:
    history = [
        {"role": "user", "content": "What happened in the Great Flood of 1768?"},
        {"role": "assistant", "content": "The Wend rose eleven feet in a night and swept away two arches of the Abbey Bridge. [1]"},
    ]
    rewritten = standalone_question("How long did it take to repair the bridge after it?", history)
    assert rewritten.startswith("How long did it take to repair the bridge after "), rewritten


def test_he_is_the_person_of_the_latest_exchange_in_full() -> None:
    history = [
        {"role": "user", "content": "What did Kirill Dmitriev do before?"},
        {"role": "assistant", "content": "Kirill Dmitriev was instrumental in a recent U.S. prisoner exchange. [1]"},
        {"role": "user", "content": "What does Kellogg expect Russia to give up?"},
        {"role": "assistant", "content": "Meanwhile, Keith Kellogg, the envoy, said Russia would need to make concessions. [1]"},
    ]
    assert standalone_question("Why does he want Europe out?", history) == "Why does Keith Kellogg want Europe out?"


def test_it_is_never_replaced_by_a_name_the_last_question_goes_with_it() -> None:
    history = [
        {"role": "user", "content": "Where will the meeting be?"},
        {"role": "assistant", "content": "Senior Trump administration officials are preparing to meet in Saudi Arabia. [1]"},
    ]
    assert standalone_question("When will it take place?", history) == "When will it take place? (meeting)"


def test_he_or_she_is_no_capitalised_common_word_opening_the_answer() -> None:
    history = [
        {"role": "user", "content": "Who is the council leader?"},
        {"role": "assistant", "content": "Council leader Rebecca Osei said the vote was a turning point. [1]"},
    ]
    assert standalone_question("What did she say about the vote?", history) == "What did Rebecca Osei say about the vote?"


def test_he_is_no_organisation_named_before_the_person() -> None:
    history = [
        {"role": "user", "content": "Who came third in the election?"},
        {"role": "assistant", "content": "Labour Party candidate Edwin Marchetti came third with 12.3 percent. [1]"},
    ]
    assert standalone_question("How many seats did his party take?", history) == "How many seats did Edwin Marchetti's party take?"


def test_she_is_the_person_holding_the_role_the_question_asked_about() -> None:
    history = [
        {"role": "user", "content": "Who is the Security Lead?"},
        {"role": "assistant", "content": "Aisha Bello (Security Lead) [1]"},
    ]
    assert standalone_question("When is her action item due?", history) == "When is Aisha Bello's action item due?"


def test_he_is_the_person_holding_the_office_asked_about_and_we_is_no_name() -> None:
    history = [
        {"role": "user", "content": "Who is the Minister for Housing and Planning?"},
        {"role": "assistant", "content": "Tomasz Whitfield MP, Minister for Housing and Planning (chair for this meeting) [1]"},
        {"role": "user", "content": "What did he say about bricklayers?"},
        {"role": "assistant", "content": "We are short of around 30,000 bricklayers. [1]"},
    ]
    assert standalone_question("What did he say about bricklayers?", history[:2]) == "What did Tomasz Whitfield MP say about bricklayers?"
    assert standalone_question("When did he write to the Water Minister?", history) == (
        "When did Tomasz Whitfield MP write to the Water Minister?"
    )


def test_and_in_another_place_asks_the_last_question_about_that_place() -> None:
    history = [
        {"role": "user", "content": "What are the core hours in the Leeds office?"},
        {"role": "assistant", "content": "Core hours in Leeds are 10:00 to 16:00. [1]"},
    ]
    assert standalone_question("And in Bristol?", history) == "What are the core hours in the Bristol office?"


def test_a_turn_that_is_only_an_acknowledgement_takes_the_assistants_question_or_the_last_one() -> None:
    offer = [
        {"role": "user", "content": "Can I get a pension if my husband dies?"},
        {"role": "assistant", "content": "You may be able to get Bereavement Support. Would you like to know how to claim it?"},
    ]
    assert standalone_question("yes", offer) == "Would you like to know how to claim it?"
    plain = [{"role": "user", "content": "How do I renew a passport?"}, {"role": "assistant", "content": "Apply online. [1]"}]
    assert standalone_question("ok", plain) == "How do I renew a passport?"


def test_fillers_opening_a_follow_up_are_dropped_and_never_become_a_name() -> None:
    history = [
        {"role": "user", "content": "Can a widow claim Bereavement Support?"},
        {"role": "assistant", "content": "Absolutely, if her husband paid National Insurance. [1]"},
    ]
    assert standalone_question("I see. Is there anything for advocates?", history) == "Is there anything for advocates?"
    rewritten = standalone_question("I do not have access to her records", history)
    assert "Absolutely" not in rewritten, rewritten  # an interjection opening an answer is no person


def test_he_is_the_person_the_conversation_keeps_returning_to_when_the_question_names_nobody() -> None:
    history = [
        {"role": "user", "content": "When did Nina Simone record her last album?"},
        {"role": "assistant", "content": "Nina Simone recorded her last album for CTI Records in 1974. [1]"},
        {"role": "user", "content": "What label was it on?"},
        {"role": "assistant", "content": "It came out on CTI Records, run by Creed Taylor. [1]"},
    ]
    assert standalone_question("What did she do next?", history) == "What did Nina Simone do next?"


def test_a_that_opening_a_clause_is_no_pronoun_and_brings_nothing_from_the_conversation() -> None:
    history = [
        {"role": "user", "content": "What is the staff group for?"},
        {"role": "assistant", "content": "It allows users to add local modifications."},
    ]
    question = "How can I check that my code is formatted in CI without changing the files?"
    assert standalone_question(question, history) == question
    # "that" as the subject asked about still points back
    assert standalone_question("Was that the only group?", history) == "Was that the only group? (staff group)"
