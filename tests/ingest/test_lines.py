"""What a line break means: headings, numbered headings, table rows, wrapped lines."""

from __future__ import annotations

import re

from rag.ingest.lines import is_enumerator, is_heading, quote_bounds, runs_on, wrap_width


def _headings(text: str) -> list[bool]:
    return [is_heading(text, m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def test_short_own_lines_and_markdown_lines_are_headings_sentences_are_not() -> None:
    assert _headings("## Leave policy\nEarly life\nLinux is not officially supported\nSee below.") == [True, True, False, False]


def test_a_label_and_its_value_on_a_short_line_are_a_field_not_a_heading() -> None:
    minutes = "Chair: Daniel Okafor\n\nLocation: Room 3B\n\nChapter 3: The Return\n\nPART TWO: THE WAR YEARS"
    assert _headings(minutes) == [False, False, True, True]


def test_a_line_in_capitals_is_a_heading_up_to_ten_words() -> None:
    text = "MINUTES OF THE BOARD OF TRUSTEES\nTHE ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN\nNASA"
    assert _headings(text) == [True, False, True]


def test_a_numbered_line_is_a_heading_only_alone_in_its_paragraph() -> None:
    assert _headings("1. Attendance\n\nPresent: six trustees.") == [True, False]
    assert _headings("1. Open Settings\n2. Choose Wi-Fi\n3. Press Save") == [False, False, False]


def test_a_section_number_and_a_few_words_opening_a_line_are_a_run_in_heading() -> None:
    text = "6.1 Play equipment at Kingsmead. The old swings failed.\n6.2 Allotments. There are 37 names on the list.\n"
    spans = [(0, 32), (33, 55), (56, 71), (72, len(text) - 1)]
    assert [is_heading(text, a, b) for a, b in spans] == [True, False, True, False]
    assert not is_heading("2. Mix the flour. Then bake it.", 0, 17)  # a list step, not a section


def test_a_table_row_is_no_heading() -> None:
    assert _headings("Weight | 480 g\nColour | Black") == [False, False]


def test_a_tables_header_row_and_rule_lines_are_never_answers() -> None:
    html_table = "City | Address | Staff\nKrakow | Address: ul. Floriańska 3 | Staff: 140"
    assert _headings(html_table) == [True, False]
    assert _headings("| Time | Event |\n|------|-------|\n| 15:40 | Error rate peaks at 61%. |") == [True, True, False]
    assert _headings("Owner   Task   Due\n-----   ----   ---") == [True, True]


def test_a_numbered_line_heads_the_text_under_it_but_not_a_list() -> None:
    assert _headings("1. Release 4.2 status\nThe release is delayed by a week.") == [True, False]
    assert _headings("Steps:\n\n1. Open Settings\n2. Choose Wi-Fi") == [False, False, False]


def test_a_number_opening_a_line_is_an_enumerator_not_a_sentence_end() -> None:
    assert is_enumerator("1. Attendance", 1) and is_enumerator("## 12. Budget", 5)
    assert not is_enumerator("The fee rose by 2. Then it fell.", 17)


def test_wrap_width_finds_hard_wrapped_text_only() -> None:
    wrapped = "\n".join(["The committee reviewed the proposal in detail and then"] * 12)
    assert wrap_width(wrapped) == len("The committee reviewed the proposal in detail and then")
    assert wrap_width("A paragraph per line.\n" * 3) is None
    assert wrap_width("\n".join(["x" * 300] * 12)) is None  # lines far longer than any wrap width


def test_a_line_ending_on_a_comma_or_a_small_word_or_before_lower_case_runs_on() -> None:
    assert runs_on("1911 Ransomes steam traction engine,", "known")
    assert runs_on("The Pettifer family of", "Low") and runs_on("retired in December 2023;", "he")
    assert runs_on("came from our summer exhibition. Reviewers", "singled")
    assert not runs_on("Leave policy", "Staff") and not runs_on("It was sold.", "later") and not runs_on("Plan A", "The")


def test_chapters_appendices_and_code_fences_are_headings() -> None:
    text = "Chapter 3: The Railway Years (1840-1899)\n\nAppendix: Some Notable Mayors of the Town\n\n```bash\n\nPart of the roof was mended"
    assert _headings(text) == [True, True, True, False]


def test_a_quote_leaves_out_a_bullet_a_quoted_e_mails_marks_and_a_markdown_rows_outer_bars() -> None:
    text = "- Linux is supported\n| 15:40 | Error rate peaks at 61%. |\n| Outage | 2 hours |\n> > The budget is 38,000 pounds."
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    assert [text[slice(*quote_bounds(text, a, b))] for a, b in spans] == [
        "Linux is supported", "15:40 | Error rate peaks at 61%.", "Outage | 2 hours", "The budget is 38,000 pounds."
    ]
    assert quote_bounds("|", 0, 1) == (0, 1)  # nothing left to quote: the span stays


def test_a_short_line_with_a_value_is_data_not_a_heading() -> None:
    assert _headings("Specification Value\nWeight (empty) 1.8 kg\nModel number AP-3000\nWarranty") == [True, False, False, True]
    assert _headings("SECTION 2 BUDGET\n\n1. Release 4.2 status\nIt slipped a week.") == [True, True, False]
