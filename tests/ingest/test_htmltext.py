"""HTML to text: inline markup inside its sentence, headings marked, tables by rows, lists with their lead-in."""

from __future__ import annotations

from rag.ingest.htmltext import html_text


def test_html_text_separates_blocks_into_paragraphs_and_marks_headings() -> None:
    title, text = html_text("<h2>Heading</h2><p>First para.</p><p>Second para.</p>")
    assert title == "Heading"
    assert text == "## Heading\n\nFirst para.\n\nSecond para."  # a Markdown heading: context, never quoted


def test_html_text_keeps_inline_markup_inside_its_sentence() -> None:
    _, text = html_text("<p>The default password is <code>admin</code>; <b>change</b> it <a href='#'>now</a>.</p>")
    assert text == "The default password is admin; change it now."


def test_html_text_keeps_a_table_row_on_one_line_and_a_list_with_its_lead_in() -> None:
    _, text = html_text(
        "<nav><a>Home</a> | <a>Support</a></nav><p>To be eligible you must:</p><ul><li>work here a year</li>"
        "<li><p>have a quiet room</p></li></ul><table><tr><th>Feature</th><th>Value</th></tr>"
        "<tr><td>Weight</td><td>480 <b>g</b></td></tr></table>"
    )
    assert text == "To be eligible you must:\n- work here a year\n- have a quiet room\n\nFeature | Value\nWeight | 480 g"


def test_html_text_fences_preformatted_code_and_keeps_its_lines() -> None:
    _, text = html_text("<p>To undo the last run:</p><pre><code>shelfsort undo --last\nshelfsort status\n</code></pre>")
    assert text == "To undo the last run:\n\n```\nshelfsort undo --last\nshelfsort status\n```"


def test_html_text_numbers_the_items_of_an_ordered_list() -> None:
    _, text = html_text('<ol><li>E-mail us.</li><li>Pack it <b>well</b>.</li></ol><ol start="7"><li>Wait.</li></ol>')
    assert text == "1. E-mail us.\n2. Pack it well.\n7. Wait."


def test_html_text_labels_each_value_of_a_wide_table_with_its_column_header() -> None:
    _, text = html_text(
        "<table><thead><tr><th>Region</th><th>Up to 2 kg</th><th>2 kg to 10 kg</th></tr></thead>"
        "<tbody><tr><td>Republic of Ireland</td><td>£12.50</td><td>£22.00</td></tr></tbody></table>"
        "<table><tr><td>Weight</td><td>480 g</td></tr></table>"
    )
    assert text == (
        "Region | Up to 2 kg | 2 kg to 10 kg\nRepublic of Ireland | Up to 2 kg: £12.50 | 2 kg to 10 kg: £22.00\n\nWeight | 480 g"
    )


def test_html_text_takes_a_bold_first_row_for_a_table_header() -> None:
    _, text = html_text(
        "<table><tr><td><b>City</b></td><td><strong>Staff</strong></td><td></td><td><b>Opened</b></td></tr>"
        "<tr><td>Lisbon</td><td>85</td><td>x</td><td>2016</td></tr></table>"
        "<table><tr><td><b>City</b> centre</td><td><b>Staff</b></td><td><b>Opened</b></td></tr>"
        "<tr><td>Lisbon</td><td>85</td><td>2016</td></tr></table>"
    )
    # The second table's first row isn't all bold: it is data, and its values get no labels.
    assert text == "City | Staff | Opened\nLisbon | Staff: 85 | x | Opened: 2016\n\nCity centre | Staff | Opened\nLisbon | 85 | 2016"


def test_html_text_drops_page_furniture_but_keeps_what_a_footer_or_aside_says() -> None:
    _, text = html_text(
        "<body><div id='cookie-banner'>We use cookies. <button>Accept all</button></div>"
        "<header class='site-header'><a href='/'>The Herald</a><form role='search'><input name='q'><button>Go</button></form></header>"
        "<main><h1>Reservoir plan</h1><p>The reservoir will cost <a href='/costs'>£1.35bn</a>.</p>"
        "<div class='share-tools'><a>Share on X</a> <a>Share on Facebook</a></div>"
        "<p><a href='/hosepipe'>Hosepipe bans: what you can and can't do</a></p>"
        "<aside class='tip-box'><p>No buttermilk? Use plain yoghurt.</p></aside>"
        "<table><tr><th>Scheme</th><th>Cost</th><th>Gap</th></tr><tr><td>Leaks</td><td>1.8</td><td>4.1</td></tr></table>"
        "<div class='ad-slot'>ADVERTISEMENT</div><section class='related-stories'><h2>Related stories</h2>"
        "<ul><li><a>Ferry timetable cut</a></li></ul></section><div class='most-read'>Most read</div></main>"
        "<footer><p>Telephone: <a href='tel:01584830217'>01584 830217</a> (Tuesday to Saturday).</p>"
        "<p><a>Privacy policy</a> · <a>Cookie settings</a> · <a>Newsletter</a></p></footer></body>"
    )
    assert text == (
        "The Herald\n\n# Reservoir plan\n\nThe reservoir will cost £1.35bn.\n\nNo buttermilk? Use plain yoghurt.\n\n"
        "Scheme | Cost | Gap\nLeaks | Cost: 1.8 | Gap: 4.1\n\nTelephone: 01584 830217 (Tuesday to Saturday)."
    )


def test_html_text_makes_a_definition_term_a_heading_one_level_below_its_section() -> None:
    html = (
        "<html><body><H2>Static ids</H2><DL><DT>staff</DT><DD><P>Allows users to add local modifications.</P></DD>"
        "<DT>nobody, nogroup</DT><DD>Daemons that need not own files run as nobody.</DD></DL><p>Ids above 1000 are free.</p></body></html>"
    )
    _, text = html_text(html)
    assert text == (
        "## Static ids\n\n### staff\n\nAllows users to add local modifications.\n\n### nobody, nogroup\n\n"
        "Daemons that need not own files run as nobody.\n\nIds above 1000 are free."
    )
