"""A document's title: an e-mail's subject, a first line, a wrapped PDF title."""

from __future__ import annotations

from rag.ingest.titles import file_title, text_title, wrapped_title


def test_an_e_mail_is_titled_by_its_subject() -> None:
    text = "From: Helen Okafor <secretary@example.org>\nTo: board@example.org\nSubject: Minutes of the Board meeting\n\nDear all,\n"
    assert text_title(text, markdown=False) == "Minutes of the Board meeting"
    assert text_title("Subject lines are not headers.\nMore text.", markdown=False) == "Subject lines are not headers."


def test_a_first_line_whose_sentence_runs_on_below_is_no_title() -> None:
    wrapped = "Minutes of the Riverside Allotment Society annual meeting, held on 14\nMarch in the church hall.\n"
    assert text_title(wrapped, markdown=False) == ""  # the file name stands in
    assert text_title("Widget Pro FAQ\nThe battery lasts 12 hours.\n", markdown=False) == "Widget Pro FAQ"


def test_a_wrapped_first_line_is_a_whole_title_and_a_file_name_stands_in_for_none() -> None:
    text = "Annual Water Quality and\nOperations Report\nPrepared by the Operations Department in March 2024.\n"
    assert wrapped_title("Annual Water Quality and", text) == "Annual Water Quality and Operations Report"
    assert file_title("reports/annual_water-quality.txt") == "annual water quality"


def test_text_title_is_the_first_field_of_a_header_block() -> None:
    text = 'TRANSCRIPT: "The Morning Review", Radio Meridian, 25 June 2025\nPresenter: Daniel Okafor (DO)\n\nDO: Hello.'
    assert text_title(text, markdown=False) == 'TRANSCRIPT: "The Morning Review", Radio Meridian, 25 June 2025'
