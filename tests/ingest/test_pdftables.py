"""PDF tables keep their cells and header: unit cases of the layout reading, and a real table printed by Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from rag.engine import Engine
from rag.ingest.loaders import pdf_text
from rag.ingest.pdftables import tables, with_tables
from rag.search.embedder import Embedder
from rag.settings import Settings

TABLE_PAGE = """<html><head><title>Population report</title></head><body style='font:14px sans-serif'>
<h1>Population of northern cities</h1><p>The table below gives the population of each city in 2011 and 2021.</p>
<table border=1 cellpadding=6><thead><tr><th>City</th><th>Population 2011</th><th>Population 2021</th></tr></thead>
<tbody><tr><td>Leeds</td><td>3.9 million</td><td>4.2 million</td></tr><tr><td>York</td><td>198,000</td><td>202,800</td></tr>
<tr><td>Sheffield</td><td>552,700</td><td>556,500</td></tr></tbody></table><p>Figures are rounded.</p></body></html>"""


def test_justified_prose_and_two_columns_of_text_are_no_table() -> None:
    justified = ("This  has  been  the  busiest  year  in  the  museum's  history.\n"
                 "Between  April  and  March  we  welcomed  41,286  visitors  through  our\n")
    columns = ("year and comfortably above the 37,000 we      first Sunday of every month from May to\n"
               "had set as our target. Much of that growth   September and the harvest fair in 2023.\n")
    assert tables(justified) == [] and tables(columns) == []


def test_numbers_set_right_under_a_left_set_header_are_one_table() -> None:
    layout = ("  Quarter                 Paying visitors    Total\n\n"
              "  April-June 2023                   7,842    9,057\n\n"
              "  July-September 2023              15,106   17,500\n")
    plain = "Quarter Paying visitors Total\nApril-June 2023 7,842 9,057\nJuly-September 2023 15,106 17,500"
    assert with_tables(plain, layout).splitlines() == [
        "Quarter | Paying visitors | Total",
        "April-June 2023 | Paying visitors: 7,842 | Total: 9,057",
        "July-September 2023 | Paying visitors: 15,106 | Total: 17,500",
    ]


def test_a_row_the_plain_text_lacks_is_left_as_it_was() -> None:
    layout = "  Admissions    251,300\n  Grants        174,900\n"
    assert with_tables("Admissions 251,300\nGrants: see below", layout) == "Admissions | 251,300\nGrants: see below"


@pytest.mark.slow
@pytest.mark.browser
def test_a_printed_tables_row_is_answered_with_its_header(tmp_path: Path, embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_content(TABLE_PAGE)
        page.pdf(path=str(docs / "cities.pdf"))
        browser.close()
    title, text = pdf_text(docs / "cities.pdf", 30.0, 1_000_000)
    assert title == "Population report"
    assert "York | Population 2011: 198,000 | Population 2021: 202,800" in text.splitlines()
    engine = Engine(Settings(docs_dir=docs, index_dir=tmp_path / "index", progress=False), embedder)
    engine.build()
    answer = engine.ask("What was the population of York in 2021?")
    assert not answer.abstained and "Population 2021: 202,800" in answer.citations[0].quote
