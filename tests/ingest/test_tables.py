"""What a table row looks like in text: plain-text rows, rule lines, header rows, a Markdown row's bars."""

from __future__ import annotations

from rag.ingest.tables import bar_bounds, in_short_cell, is_column_row, is_header_row, is_rule


def test_plain_text_table_rows_and_rules_are_column_rows_prose_is_not() -> None:
    assert is_column_row("A3   Place order with Brackenwood Play Ltd   Deputy Clerk    21 Jan 2025")
    assert is_column_row("---  -----------  -----") and is_column_row("Name\tRole\tStart")
    assert not is_column_row("It rained.  Then it stopped.  We went home.")
    assert not is_column_row("Proposed: Cllr Lamb   Seconded: Cllr Wierzbicki")
    assert not is_column_row("word   " * 100)  # longer than any table row


def test_a_header_row_has_a_rule_under_it_or_labels_the_cells_of_the_row_below() -> None:
    assert is_header_row("| Time | Event |", "|------|-------|")
    assert is_header_row("| Allowance | Hybrid | Fully remote |", "| --- | :---: | ---: |")
    assert is_header_row("City | Address | Staff", "Krakow | Address: ul. Floriańska 3 | Staff: 140")
    assert not is_header_row("Lisbon | Address: Rua Augusta 120 | Staff: 85", "Krakow | Address: ul. Floriańska 3 | Staff: 140")
    assert is_rule("---  -----") and not is_rule("- Visa")


def test_a_markdown_rows_outer_bars_are_left_out_of_its_span() -> None:
    text = "| 15:40 | Error rate peaks at 61%. |"
    assert text[slice(*bar_bounds(text, 0, len(text)))] == "15:40 | Error rate peaks at 61%."


def test_a_full_stop_among_a_cells_first_two_words_is_an_abbreviation() -> None:
    row = "Krakow | Address: ul. Floriańska 3 | Staff: 140"
    assert in_short_cell(row, row.index("ul.") + 2)
    assert not in_short_cell("| 16:23 | Oskar rolls the change back. The limit is lifted. |", 37)
