"""The document view's layout: blocks that join back into the exact text, headings and paragraphs told apart."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.reading import blocks


@given(st.text(alphabet=st.sampled_from("ab #.\n\t\u00e9\U0001f600"), max_size=200))
def test_blocks_join_back_into_the_exact_text(text: str) -> None:
    assert "".join(b.text for b in blocks(text)) == text


def test_single_line_paragraphs_are_spaced_when_the_text_has_no_blank_line() -> None:
    text = "The talks begin on Monday.\nRubio arrived on Saturday.\n"
    assert [b.kind for b in blocks(text)] == ["paragraph", "paragraph"]


def test_wrapped_lines_are_not_spaced_when_blank_lines_separate_paragraphs() -> None:
    text = "The talks begin on\nMonday in Riyadh.\n\nRubio arrived on Saturday.\n"
    assert [(b.text, b.kind) for b in blocks(text)] == [  # the wrapped line flows into the next, unspaced
        ("The talks begin on\n", "wrap"), ("Monday in Riyadh.\n\n", "line"), ("Rubio arrived on Saturday.\n", "line"),
    ]


def test_markdown_and_short_own_line_headings_are_headings() -> None:
    text = "# Handbook\n\n## Leave\n\nEvery employee gets 25 days.\n\nWarranty\n\nTwo years.\n"
    assert [b.kind for b in blocks(text)] == ["heading", "heading", "line", "heading", "line"]


def test_a_markdown_heading_mark_is_set_apart_to_be_shown_muted() -> None:
    assert [(b.marker, b.kind) for b in blocks("## Leave\n\nTwo days.\n")] == [("## ", "heading"), ("", "line")]


def test_plain_text_table_rows_are_rows_to_show_in_a_fixed_width_font() -> None:
    text = "Actions\n\nOwner    Task           Due\n-----    -----------    ---\nAiko     Update runbook 11 Mar\n\nThanks.\n"
    assert [b.kind for b in blocks(text)] == ["heading", "row", "row", "row", "line"]


def test_markdown_bold_marks_are_markup_parts_that_join_back_into_the_line() -> None:
    block = blocks("Every employee gets **25 days** of leave.\n")[0]
    assert [p for p, markup in block.parts if markup] == ["**", "**"]
    assert "".join(p for p, _ in block.parts) == block.text


def test_lines_a_pdf_wraps_flow_into_their_paragraph() -> None:
    text = (
        "Thank you for choosing the AquaPure 3000. This filter connects to most\n"
        "kitchen faucets and removes chlorine from your tap water.\n"
        "The cartridge should be replaced every six months.\n"
    )
    assert [b.kind for b in blocks(text)] == ["wrap", "paragraph", "paragraph"]


def test_a_quoted_e_mails_marks_are_set_apart_to_be_shown_muted() -> None:
    text = "Thanks.\n\n> The hall is booked until the end of\n> November.\n"
    assert [(b.marker, b.kind) for b in blocks(text)][1:] == [("> ", "line"), ("> ", "line")]  # lines kept, as mail shows them
