"""The engine end to end on the seed: verbatim cited answers, abstention, follow-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.engine import Engine
from rag.errors import ConfigError
from rag.search.embedder import Embedder
from tests.conftest import ROOT, make_settings
from tests.docxmake import handbook_docx

pytestmark = pytest.mark.slow


def _assert_verbatim(engine: Engine, answer_dict: dict) -> None:
    for c in answer_dict["citations"]:
        text = engine.index.documents[c["doc_id"]].text
        assert text[c["start"] : c["end"]] == c["quote"]
        assert f"[{c['n']}]" in answer_dict["answer"]


def test_ask_answers_with_a_verbatim_cited_quote(seed_engine: Engine) -> None:
    answer = seed_engine.ask("Which committee does Mike McCaul chair?")
    body = answer.to_dict()
    assert not answer.abstained
    assert "House Foreign Affairs Committee" in answer.answer
    assert 1 <= len(answer.citations) <= 2 and len(answer.answer.split()) <= 65
    _assert_verbatim(seed_engine, body)
    assert set(body) >= {"question", "answer", "abstained", "citations", "passages", "searched_question", "timings_ms"}
    assert body["timings_ms"]["total"] > 0 and body["passages"]


def test_ask_abstains_on_unrelated_question(seed_engine: Engine) -> None:
    answer = seed_engine.ask("What is the boiling point of water at sea level?")
    assert answer.abstained and not answer.citations
    assert "don't say" in answer.answer
    assert answer.passages  # the closest passages are still offered


def test_ask_resolves_follow_up_from_history(seed_engine: Engine) -> None:
    history = [
        {"role": "user", "content": "Who is Keith Kellogg?"},
        {"role": "assistant", "content": seed_engine.ask("Who is Keith Kellogg?").answer},
    ]
    answer = seed_engine.ask("What did he say about Europe?", history)
    assert answer.searched_question == "What did Keith Kellogg say about Europe?"
    assert not answer.abstained
    assert "European nations would not be part of the negotiations" in answer.answer
    _assert_verbatim(seed_engine, answer.to_dict())


def test_ask_top_k_controls_passages_not_the_answer(seed_engine: Engine) -> None:
    few, many = seed_engine.ask("Where will the talks be held?", top_k=2), seed_engine.ask("Where will the talks be held?", top_k=8)
    assert len(few.passages) == 2 and len(many.passages) == 8
    assert few.answer == many.answer


def test_ask_rejects_empty_question(seed_engine: Engine) -> None:
    with pytest.raises(ConfigError, match="empty"):
        seed_engine.ask("   ")


def test_clipped_quotes_stay_verbatim(seed_engine: Engine) -> None:
    for question in ("Who will attend the meeting?", "How could the US pressure Russia?", "What did Trump say about Putin?"):
        body = seed_engine.ask(question).to_dict()
        _assert_verbatim(seed_engine, body)
        assert sum(len(c["quote"].split()) for c in body["citations"]) <= 60


def _engine_over(text: str, folders: tuple[Path, Path], embedder: Embedder, name: str = "doc.txt") -> Engine:
    """An engine over a one-document folder holding `text` in a file called `name`, built."""
    docs, index = folders
    (docs / name).write_text(text, encoding="utf-8")
    engine = Engine(make_settings(docs, index), embedder)
    engine.build()
    return engine


def test_ask_matches_a_capital_to_the_country_it_stands_for(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "Officials met on Monday.\n"
        "The Canadian negotiators characterized the talks as premature.\n"
        "The American negotiators characterized the talks as a useful first step.\n"
        "The Mexican negotiators characterized the talks as too early to judge.\n",
        docs_and_index,
        embedder,
    )
    answer = engine.ask("How did Washington's negotiators see the talks?")
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("The American negotiators")


def test_ask_abstains_when_the_question_asks_the_opposite_of_the_text(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    engine = _engine_over(
        "The survey visited four harbours in 1888.\n"
        "Brenzo, the largest harbour, handled 1,200 ships that year.\n"
        "Every harbour kept a ledger of the barrels of tar it shipped.\n",
        docs_and_index,
        embedder,
    )
    assert "1,200" in engine.ask("How many ships did the largest harbour handle?").answer
    assert engine.ask("How many ships did the smallest harbour handle?").abstained


def test_ask_finds_a_value_given_with_a_unit_symbol(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "<html><body><h2>Serving</h2><p>Cut the cake into 10 slices with a hot knife. Serve each slice warm with a spoon"
        " of cream. A slice keeps for two days in a tin.</p><h2>Nutrition</h2>"
        "<p>Approximate values per slice, based on 10 slices.</p>"
        "<table><tr><th>Nutrient</th><th>Per slice</th></tr><tr><td>Energy</td><td>342 kcal</td></tr>"
        "<tr><td>Fat</td><td>21.5 g</td></tr><tr><td>Protein</td><td>4.8 g</td></tr></table></body></html>",
        docs_and_index,
        embedder,
        "cake.html",
    )
    answer = engine.ask("How many calories are in one slice?")
    assert not answer.abstained
    assert "Energy | 342 kcal" in [c.quote for c in answer.citations]


def test_ask_quotes_a_whole_table_row_never_its_header(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "<html><body><h1>Our offices</h1><p>We have three offices.</p><table>"
        "<tr><th>City</th><th>Address</th><th>Staff</th><th>Opened</th></tr>"
        "<tr><td>Lisbon</td><td>Rua Augusta 120</td><td>85</td><td>2016</td></tr>"
        "<tr><td>Krakow</td><td>ul. Floriańska 3</td><td>140</td><td>2019</td></tr>"
        "<tr><td>Nairobi</td><td>Kenyatta Avenue 44</td><td>32</td><td>2023</td></tr></table></body></html>",
        docs_and_index,
        embedder,
        "offices.html",
    )
    answer = engine.ask("How many staff does the Krakow office have?")
    assert not answer.abstained
    assert answer.citations[0].quote == "Krakow | Address: ul. Floriańska 3 | Staff: 140 | Opened: 2019"
    quotes = [c.quote for c in engine.ask("When did the offices open?").citations]
    assert quotes and "City | Address | Staff | Opened" not in quotes


def test_ask_never_quotes_the_title_line_of_a_document(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "AquaPure 3000 Countertop Water Filter - User Manual\n"
        "Thank you for choosing the AquaPure 3000. This countertop filter connects to most kitchen faucets.\n"
        "Weight (empty) 1.8 kg\nWarranty 2 years limited\n",
        docs_and_index,
        embedder,
        "manual.txt",
    )
    answer = engine.ask("How much does the AquaPure 3000 weigh?")
    assert answer.citations and not any(c.quote.startswith("AquaPure 3000 Countertop") for c in answer.citations)


def test_ask_quotes_the_heading_that_dates_a_changelog_entry(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "# Tidewatch\n\nTidewatch prints tide tables for harbours.\n\n## 2.3 Returns\n\n"
        "You may return a licence within 30 days of buying it.\n\n## Changelog\n\n"
        "### 2.2.0 - 2024-03-07\n\n- Added SVG output for charts.\n- Fixed the daylight saving offset.\n\n"
        "### 2.1.0 - 2023-11-20\n\n- Added French station names.\n",
        docs_and_index,
        embedder,
        "README.md",
    )
    answer = engine.ask("When was SVG output added?")
    assert not answer.abstained
    assert [c.quote for c in answer.citations[:2]] == ["2.2.0 - 2024-03-07", "Added SVG output for charts."]
    answer = engine.ask("How many days do I have to return a licence?")
    assert answer.citations[0].quote == "You may return a licence within 30 days of buying it."  # "2.3" numbers a section


def test_ask_never_quotes_a_question_or_a_title_as_an_answer(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "Small Business Voices, Episode 14\n\n"
        "INTERVIEWER: How did you pay for the storefront?\n\n"
        "MARIA LOPEZ: I had about $18,000 in savings, and my brother Daniel lent me $12,000.\n\n"
        "INTERVIEWER: How did the bakery get started?\n\n"
        "MARIA LOPEZ: I started baking for church fundraisers, and people kept asking to order from me.\n",
        docs_and_index,
        embedder,
        "interview.txt",
    )
    for question in ("How did you pay for the storefront?", "How did the bakery get started?", "When did the bakery start?"):
        quotes = [c.quote for c in engine.ask(question).citations]
        assert not any(q.endswith("?") or q.startswith("Small Business Voices") for q in quotes), (question, quotes)


def test_ask_quotes_the_whole_list_a_lead_in_introduces(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "# Remote work\n\n## Equipment\n\n"
        "- The company provides every remote employee with:\n"
        "  - a laptop, a second monitor and a keyboard;\n  - a headset with noise cancellation;\n"
        "  - an ergonomic chair on request.\n"
        "- Employees are responsible for a quiet, safe workspace.\n",
        docs_and_index,
        embedder,
        "policy.md",
    )
    answer = engine.ask("What equipment does the company give remote employees?")
    listed = next(c.quote for c in answer.citations if c.quote.startswith("a laptop"))
    assert listed.endswith("an ergonomic chair on request.") and "responsible" not in listed


def test_ask_never_quotes_a_markdown_heading(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "# Team handbook\n\n## Working hours\n\nCore hours are 10:00 to 16:00 in your own time zone.\n\n"
        "## Leave\n\nEvery employee gets 25 days of paid leave a year.\n",
        docs_and_index,
        embedder,
        "handbook.md",
    )
    answer = engine.ask("What are the working hours?")
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("Core hours are 10:00 to 16:00")
    assert not any(c.quote.startswith("#") for c in answer.citations), answer.citations


def test_ask_abstains_on_a_document_of_headings_only(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over("# Team handbook\n\n## Working hours\n\n## Leave\n", docs_and_index, embedder, "outline.md")
    answer = engine.ask("What are the working hours?")
    assert answer.abstained and answer.citations == ()
    assert answer.passages  # the closest passages are still there to read


def test_ask_never_quotes_a_heading_line_of_an_html_page_but_quotes_short_list_items(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    engine = _engine_over(
        "<html><body><h1>Widget Pro</h1><h2>Warranty</h2><p>Every Widget Pro comes with a two-year limited warranty.</p>"
        "<h2>Compatibility</h2><ul><li>Works with Windows 10 and later</li><li>Linux is not officially supported</li></ul>"
        "</body></html>",
        docs_and_index,
        embedder,
        "faq.html",
    )
    warranty = engine.ask("What is the warranty period?")
    assert warranty.citations[0].quote == "Every Widget Pro comes with a two-year limited warranty."
    assert "Warranty" not in [c.quote for c in warranty.citations]
    assert engine.ask("Does it work on Linux?").citations[0].quote == "Linux is not officially supported"


def test_ask_abstains_when_no_word_of_the_question_is_in_the_documents(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    engine = _engine_over(
        "# Team handbook\n\n## Working hours\n\nOur core hours are 10:00 to 16:00 in your local time zone. "
        "Outside core hours you can organise your day as you like.\n"
        "Meetings should not be scheduled on Fridays after 14:00.\n\n## Leave\n\n"
        "Every employee gets 25 days of paid annual leave per calendar year.\n",
        docs_and_index,
        embedder,
        "handbook.md",
    )
    assert engine.ask("Is there a gym membership?").abstained
    assert not engine.ask("How much holiday do I get?").abstained  # "holiday" is not in the text, "get" is


def test_ask_answers_when_someone_was_born_from_the_life_span_in_brackets(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    engine = _engine_over(
        "Ada Lovelace\n\n"
        "Augusta Ada King, Countess of Lovelace (née Byron; 10 December 1815 – 27 November 1852) was an English "
        "mathematician and writer, chiefly known for her work on the Analytical Engine.\n\n"
        "Byron separated from his wife a month after Ada was born and left England forever.\n\n"
        "The computer language Ada was named after Lovelace. Ada Lovelace Day, held every year on the second Tuesday "
        "of October, celebrates the contributions of women to science.\n",
        docs_and_index,
        embedder,
    )
    answer = engine.ask("When was Ada Lovelace born?")
    assert not answer.abstained
    assert "10 December 1815" in answer.citations[0].quote, answer.answer


def test_ask_quotes_what_a_lead_in_ending_in_a_colon_introduces(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "# shelfsort\n\nshelfsort renames and moves your ebooks into a tidy folder tree.\n\n"
        "## Undo\n\nTo undo the most recent run:\n\n```bash\nshelfsort undo --last\n```\n\n"
        "Every run is logged in the history file, so older runs can be undone one by one.\n",
        docs_and_index,
        embedder,
        "README.md",
    )
    answer = engine.ask("How do I undo the most recent run?")
    assert [c.quote for c in answer.citations[:2]] == ["To undo the most recent run:", "shelfsort undo --last"], answer.answer


def test_ask_answers_from_a_word_file_with_a_verbatim_quote(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    docs, index = docs_and_index
    (docs / "handbook.docx").write_bytes(handbook_docx())
    engine = Engine(make_settings(docs, index), embedder)
    engine.build()
    answer = engine.ask("How much can a senior member of staff spend on a hotel?")
    assert not answer.abstained
    assert answer.citations[0].quote == "Senior | Daily limit: £40 | Hotel: £120"
    _assert_verbatim(engine, answer.to_dict())
    assert engine.index.documents["handbook.docx"].title == "Staff Handbook"


def test_ask_reads_a_sentence_opening_with_a_pronoun_as_about_the_one_named_before(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    # "Chief mediator Ilse Brandvold said both sides had moved ... She said she would invite the parties back for
    # talks on Saturday morning": the name the question gives is the subject of "She".
    article = ROOT / "evals" / "heldout" / "news" / "docs" / "harbour-strike.txt"
    engine = _engine_over(article.read_text(encoding="utf-8"), docs_and_index, embedder, "harbour-strike.txt")
    answer = engine.ask("When does Ilse Brandvold plan to bring the two sides back together?")
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("She said she would invite the parties back for talks on Saturday morning")


def test_ask_reads_when_after_another_question_word_as_a_clause_not_a_time_question(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    engine = _engine_over(
        "# Remote working\n\nEmployees may work remotely up to three days per week once they have completed their"
        " probation period. Remote work from abroad needs written approval from the People Team.\n\n"
        "To work remotely you must:\n- Use the company VPN for all access to client data.\n"
        "- Keep your laptop's disk encrypted.\n- Lock your screen whenever you leave your desk.\n",
        docs_and_index,
        embedder,
        "handbook.md",
    )
    answer = engine.ask("What must I use to access client data when working remotely?")
    assert not answer.abstained  # it wants no time, so a sentence without one can answer it
    assert "Use the company VPN for all access to client data." in answer.answer


def test_ask_quotes_a_markdown_table_row_after_the_row_naming_its_columns(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    engine = _engine_over(
        "# Household water use by region\n\nFigures are litres per person per day.\n\n"
        "| Region | Use 2022 | Use 2024 | Metered (%) | Population (millions) |\n| --- | --- | --- | --- | --- |\n"
        "| North West | 139 | 136 | 52 | 7.4 |\n| London | 151 | 148 | 45 | 9.0 |\n| South East | 155 | 150 | 74 | 9.4 |\n\n"
        "The South East has the highest use in 2024.\n",
        docs_and_index,
        embedder,
        "use.md",
    )
    answer = engine.ask("How many people does the South East serve?")
    assert not answer.abstained
    # The row (here the runner-up) can't be read alone: the row naming its columns is quoted before it
    assert [c.quote for c in answer.citations[-2:]] == [
        "Region | Use 2022 | Use 2024 | Metered (%) | Population (millions)",
        "South East | 155 | 150 | 74 | 9.4",
    ]
    _assert_verbatim(engine, answer.to_dict())


def test_ask_finds_a_row_deep_in_a_markdown_table_by_its_columns_names(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    regions = ["North West", "North East", "Yorkshire", "East Midlands", "West Midlands", "East", "London", "South East",
               "South West", "Wales", "Scotland", "Northern Ireland"]
    rows = "".join(f"| {name} | {130 + i} | {128 + i} | {40 + 3 * i} |\n" for i, name in enumerate(regions))
    engine = _engine_over(
        "# Water statistics\n\nThe regulator publishes these figures every January.\n\n"
        "| Region | Household consumption 2022 (litres) | Household consumption 2024 (litres) | Metered (%) |\n"
        f"| --- | --- | --- | --- |\n{rows}\nThe national target is 110 litres by 2038.\n",
        docs_and_index,
        embedder,
        "statistics.md",
    )
    answer = engine.ask("What was household water consumption in Scotland in 2024?")
    assert not answer.abstained
    # The row sits in a chunk of its own, far below the header: it is found because it is embedded under it
    assert "Scotland | 140 | 138 | 70" in [c.quote for c in answer.citations]


def test_ask_quotes_a_whole_list_for_a_question_asking_for_several_things(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    engine = _engine_over(
        "# Paying for Pipes\n\nThe report sets out how the next generation of water infrastructure could be paid for.\n\n"
        "# Key recommendations\n\n1. Create a National Water Infrastructure Bank.\n2. Publish a full cost breakdown of the"
        " new reservoirs.\n3. Introduce a single national social tariff.\n\n# Method\n\nWe interviewed 40 experts.\n",
        docs_and_index,
        embedder,
        "report.md",
    )
    answer = engine.ask("What are the key recommendations of the report?")
    assert not answer.abstained
    assert answer.citations[0].quote == (
        "1. Create a National Water Infrastructure Bank.\n2. Publish a full cost breakdown of the new reservoirs.\n"
        "3. Introduce a single national social tariff."
    )
    one = engine.ask("What is the first key recommendation of the report?")  # one thing asked: one item quoted
    assert one.citations[0].quote == "1. Create a National Water Infrastructure Bank."


def test_ask_quotes_a_plain_text_table_row_after_its_header(docs_and_index: tuple[Path, Path], embedder: Embedder) -> None:
    engine = _engine_over(
        "OFFICE GUIDE\n\nThe table below shows where things are in each office.\n\n"
        "Facility            Leeds               Bristol\n------------------  ------------------  ------------------\n"
        "Reception           Ground floor        Level 1\nKitchen             Third floor         Level 2\n"
        "Quiet room          Second floor        Level 2\nBike storage        Basement            Ground floor\n"
        "Showers             Basement            Level 3\nFirst aid kit       Every floor         Every floor\n\n"
        "Visitors must sign in at reception.\n",
        docs_and_index,
        embedder,
        "office-guide.txt",
    )
    answer = engine.ask("Where are the showers in the Bristol office?")
    assert not answer.abstained
    quotes = [c.quote for c in answer.citations]
    # "Showers   Basement   Level 3" alone doesn't say which office is which: its header row comes first
    assert quotes[:2] == ["Facility            Leeds               Bristol", "Showers             Basement            Level 3"]


