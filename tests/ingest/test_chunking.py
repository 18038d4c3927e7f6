"""Sentence splitting and chunking: every span quotes its text exactly."""

from __future__ import annotations

import textwrap
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.ingest.chunking import MAX_SENTENCE_WORDS, chunk_sentences, paragraphs, split_sentences
from rag.ingest.lines import wrap_width
from tests.seed import SEED_ARTICLE

ARTICLE = (
    "Senior officials met in Riyadh. Mr. Rubio spoke with Mr. Lavrov on Saturday! Was it useful? "
    "The U.S. delegation said so.\n\nA second paragraph starts here. It has two sentences."
)


def _texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_split_sentences_respects_abbreviations_and_initials() -> None:
    assert _texts(ARTICLE)[:4] == [
        "Senior officials met in Riyadh.",
        "Mr. Rubio spoke with Mr. Lavrov on Saturday!",
        "Was it useful?",
        "The U.S. delegation said so.",
    ]


def test_split_sentences_breaks_at_headings_and_list_items() -> None:
    text = "# Leave policy\n- Staff get 25 days\n- Unused days expire\nThe policy started in 2020."
    assert _texts(text) == ["# Leave policy", "- Staff get 25 days", "- Unused days expire", "The policy started in 2020."]


def test_each_field_of_a_header_block_is_a_sentence_of_its_own() -> None:
    text = (
        'TRANSCRIPT: "The Morning Review", Radio Meridian, 25 June 2025, 08:10\n'
        "Presenter: Daniel Okafor (DO)\nGuest: Priya Castellano MP, Minister for Water and Environment (PC)\n\n"
        "DO: Minister, good morning. Your Bill passed its second reading last night.\n"
    )
    assert _texts(text)[:3] == [
        'TRANSCRIPT: "The Morning Review", Radio Meridian, 25 June 2025, 08:10',
        "Presenter: Daniel Okafor (DO)",
        "Guest: Priya Castellano MP, Minister for Water and Environment (PC)",
    ]


def test_a_list_item_goes_on_across_its_hanging_indent() -> None:
    text = "- Priya Raman to submit the Hartley Trust renewal application by 15 May\n  2024.\n- Tom to book the hall.\n"
    assert _texts(text) == ["- Priya Raman to submit the Hartley Trust renewal application by 15 May\n  2024.", "- Tom to book the hall."]


def test_a_number_opening_a_line_ends_no_sentence() -> None:
    assert _texts("1. Attendance\n\nPresent: David Mensah (Chair).\n") == ["1. Attendance", "Present: David Mensah (Chair)."]
    assert _texts("## 2. Purpose\n\nThis policy explains things.") == ["## 2. Purpose", "This policy explains things."]


def test_table_rows_are_sentences_of_their_own() -> None:
    text = "Feature | Specification\nWi-Fi standard | IEEE 802.11ax (Wi-Fi 6) with four external high-gain antennas\nWeight | 480 g"
    assert _texts(text) == text.split("\n")


def test_plain_text_table_rows_are_sentences_of_their_own() -> None:
    rows = [
        "   No.  Action                             Owner          Due",
        "   ---  ---------------------------------  -------------  -----------",
        "   A1   Request a speed survey             Town Clerk     31 Jan 2025",
        "   A4   Send response to Bridge Street     Cllr Lamb      7 Feb 2025\n        consultation",
        "   A5   Convene lights working group       Cllr Gallacher 28 Feb 2025",
    ]
    text = "Members agreed the actions below, which the Clerk will track and report on\n" + "\n".join(rows) + "\n"
    assert _texts(text) == [
        "Members agreed the actions below, which the Clerk will track and report on", *(r.strip() for r in rows)
    ]


def test_two_spaces_after_full_stops_make_no_table() -> None:
    assert _texts("It rained.  Then it stopped.  We went home.") == ["It rained.", "Then it stopped.", "We went home."]


def test_split_sentences_joins_hard_wrapped_prose() -> None:
    text = "The committee reviewed the proposal in detail and decided that\nthe budget should grow next year."
    assert _texts(text) == ["The committee reviewed the proposal in detail and decided that\nthe budget should grow next year."]


@pytest.mark.parametrize("width", [40, 50, 60, 72, 79])
def test_hard_wrapping_a_text_cuts_the_same_sentences(width: int) -> None:
    """Short wrapped lines ("Meanwhile, Keith Kellogg, the Trump administration's Russia-Ukraine") end no sentence."""
    seed_text = SEED_ARTICLE.read_text(encoding="utf-8")
    wrapped = "\n\n".join("\n".join(textwrap.wrap(p, width, break_on_hyphens=False)) for p in seed_text.split("\n"))
    assert wrap_width(wrapped) is not None and wrap_width(seed_text) is None
    assert [" ".join(s.split()) for s in _texts(wrapped)] == [" ".join(s.split()) for s in _texts(seed_text)]


def test_short_lines_still_end_sentences_in_text_that_is_not_wrapped() -> None:
    text = "Opening hours\nMonday to Friday\nThe office opens at nine and closes at five every working day of the week"
    assert wrap_width(text) is None
    assert _texts(text) == ["Opening hours", "Monday to Friday", text.splitlines()[2]]


def test_narrow_column_lines_run_on_into_one_sentence() -> None:
    text = (
        "The Pettifer family of\nLow Garth Farm generously donated a\n1911 Ransomes steam traction engine,\n"
        "known locally as Lady Margery. Reviewers\nsingled out its oral history booth."
    )
    assert [" ".join(s.split()) for s in _texts(text)] == [
        "The Pettifer family of Low Garth Farm generously donated a 1911 Ransomes steam traction engine, known locally as Lady Margery.",
        "Reviewers singled out its oral history booth.",
    ]


def test_every_line_of_a_code_block_stands_alone() -> None:
    text = "To undo the last run:\n\n```bash\nshelfsort undo --last\nshelfsort status\n```\n"
    assert _texts(text) == ["To undo the last run:", "```bash", "shelfsort undo --last", "shelfsort status", "```"]


def test_no_is_an_abbreviation_only_before_a_number_and_messrs_always() -> None:
    assert _texts("No. It only renames files. See No. 5 below.") == ["No.", "It only renames files.", "See No. 5 below."]
    assert _texts("Low Mill was built by Messrs. Holt and Pyke.") == ["Low Mill was built by Messrs. Holt and Pyke."]


def test_split_sentences_caps_runaway_sentences() -> None:
    text = " ".join(f"w{i}" for i in range(500))
    pieces = _texts(text)
    assert all(len(p.split()) <= MAX_SENTENCE_WORDS for p in pieces)
    assert " ".join(pieces) == text


def test_chunks_overlap_and_stay_inside_paragraphs() -> None:
    sentences = split_sentences(ARTICLE)
    chunks = chunk_sentences(sentences, ARTICLE, size=2, overlap=1, max_words=100)
    assert [(c.first, c.last) for c in chunks] == [(0, 2), (1, 3), (2, 4), (4, 6)]
    second_paragraph = paragraphs(ARTICLE)[1]
    assert chunks[-1].start == second_paragraph.start and chunks[-1].end == second_paragraph.end


def test_chunks_respect_the_word_budget() -> None:
    text = "One two three four five. Six seven eight nine ten. Eleven twelve."
    chunks = chunk_sentences(split_sentences(text), text, size=3, overlap=0, max_words=6)
    assert [(c.first, c.last) for c in chunks] == [(0, 1), (1, 2), (2, 3)]


_TEXTS = st.text(
    alphabet=st.sampled_from([*"abcXYZ .!?\n\t\"'()-Mr.Dr", "\u201c", "\u201d", "\u00e9", "\u2026", "\r"]),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.integers(1, 5), st.integers(0, 4), st.integers(1, 50))
def test_every_sentence_and_chunk_quotes_the_text_exactly(text: str, size: int, overlap: int, max_words: int) -> None:
    overlap = min(overlap, size - 1)
    sentences = split_sentences(text)
    for s in sentences:
        quote = text[s.start : s.end]
        assert quote and quote == quote.strip()
    assert all(a.end <= b.start for a, b in pairwise(sentences))
    # Nothing but whitespace is lost between sentences.
    covered = "".join(text[s.start : s.end] for s in sentences)
    assert "".join(covered.split()) == "".join(text.split())
    chunks = chunk_sentences(sentences, text, size, overlap, max_words)
    for c in chunks:
        assert text[c.start : c.end] == text[sentences[c.first].start : sentences[c.last - 1].end]
    assert sorted({i for c in chunks for i in range(c.first, c.last)}) == list(range(len(sentences)))


def test_chunk_sentences_joins_headings_to_the_paragraph_under_them() -> None:
    t = "# Handbook\n\n## Leave\n\nEvery employee gets 25 days. Unused days expire.\n\n## Expenses\n\nMeals are paid.\n"
    chunks = chunk_sentences(split_sentences(t), t, 4, 1, 100)
    assert [t[c.start : c.end] for c in chunks] == [
        "# Handbook\n\n## Leave\n\nEvery employee gets 25 days. Unused days expire.",
        "## Expenses\n\nMeals are paid.",
    ]


def test_chunk_sentences_keeps_a_document_of_headings_only() -> None:
    t = "# Handbook\n\n## Leave\n"
    assert [t[c.start : c.end] for c in chunk_sentences(split_sentences(t), t, 4, 1, 100)] == ["# Handbook\n\n## Leave"]


def test_a_list_stays_in_one_chunk_with_its_lead_in() -> None:
    t = (
        "### What payment methods do you accept?\n\nWe accept the following:\n\n"
        "- Visa\n- Mastercard\n- American Express\n- direct debit (UK only)\n\nWe do not accept cheques.\n"
    )
    chunks = [t[c.start : c.end] for c in chunk_sentences(split_sentences(t), t, 4, 1, 100)]
    assert chunks[0].startswith("### What payment methods") and chunks[0].endswith("- direct debit (UK only)")
    assert chunks[-1] == "We do not accept cheques."


def test_a_paragraph_ending_in_a_colon_keeps_to_itself_before_prose() -> None:
    t = "The rules are these:\n\nEvery employee gets 25 days. Unused days expire.\n"
    chunks = [t[c.start : c.end] for c in chunk_sentences(split_sentences(t), t, 4, 1, 100)]
    assert chunks == ["The rules are these:", "Every employee gets 25 days. Unused days expire."]


def test_a_row_whose_cell_overflows_its_column_is_still_a_row_of_its_own() -> None:
    rows = [
        "Owner          Task                                   Due date",
        "-------------  -------------------------------------  ----------",
        "Tomasz Nowak   Fix connection pool leak in payments   2025-03-07",
        "Aiko Sato      Update the runbook for database failover 2025-03-11",
        "Ben Okafor     Order two replacement SSDs for build01 2025-03-06",
    ]
    text = "Action items\n\n" + "\n".join(rows) + "\n\nNext meeting: 11 March 2025, 10:00 in room Orion.\n"
    assert _texts(text) == ["Action items", *rows, "Next meeting: 11 March 2025, 10:00 in room Orion."]


def test_a_full_stop_among_a_table_cells_first_words_ends_no_sentence() -> None:
    text = "Krakow | Address: ul. Floriańska 3 | Staff: 140\n| 16:23 | Oskar rolls the change back. The limit is lifted. |\n"
    assert _texts(text) == [
        "Krakow | Address: ul. Floriańska 3 | Staff: 140",
        "| 16:23 | Oskar rolls the change back.",
        "The limit is lifted. |",
    ]


def test_a_numbered_step_goes_on_where_its_line_cannot_end() -> None:
    text = (
        "1. Water leaking from the adapter: remove the adapter, make sure the washer is seated flat inside it,\n"
        "and reattach it hand-tight.\n"
        "2. Indicator light does not turn on: the light is powered by a coin battery located under the housing\n"
        "cap.\n3. Unit hums: reduce the flow.\n"
    )
    assert _texts(text) == [
        "1. Water leaking from the adapter: remove the adapter, make sure the washer is seated flat inside it,\n"
        "and reattach it hand-tight.",
        "2. Indicator light does not turn on: the light is powered by a coin battery located under the housing\ncap.",
        "3. Unit hums: reduce the flow.",
    ]


def test_a_quoted_e_mail_is_cut_into_its_sentences_not_its_lines() -> None:
    text = (
        "> As most of you know, our lease at Albion Works ends on 30 November\n"
        "> and we are moving the studio to 41 Canal Street.\n"
        "> The budget for the move, including the new furniture, is 38,000\n"
        "> pounds.\n>\n> Best,\n> Martin\n"
    )
    assert _texts(text) == [
        "> As most of you know, our lease at Albion Works ends on 30 November\n> and we are moving the studio to 41 Canal Street.",
        "> The budget for the move, including the new furniture, is 38,000\n> pounds.",
        ">",
        "> Best,\n> Martin",
    ]


def test_a_headline_over_a_paragraph_per_line_stands_alone() -> None:
    lead = (
        "KESSLING, Oct 6 (Northwire) - Environmental campaigner Runa Halvorsen has been elected governor of the Ostmark "
        "region, defeating the two-term incumbent by just over 25,000 votes, official results showed on Monday."
    )
    body = "Halvorsen, 44, standing for the Green Alliance, won 41.8 percent of the vote, according to the commission. " * 3
    text = f"Green Alliance's Halvorsen wins Ostmark governorship in narrow upset\n{lead}\n{body.strip()}\n"
    assert _texts(text)[:2] == ["Green Alliance's Halvorsen wins Ostmark governorship in narrow upset", lead]
