"""Real PDFs for tests, printed by Debian's Chromium: a report with prose over three pages and a table, and a scan
(a page holding only a screenshot of text)."""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu"]
SCANNED = ("<h1>Harbour Report</h1><p>The Kestrel lighthouse was automated in 1987 after a storm damaged the keeper's "
           "cottage.</p><p>Visitors may climb the tower on Saturdays between April and September.</p>")
_FILLER = ("<p>Lighthouse {i} is painted white with a red band, and its lamp is checked by the district office every "
           "month of the year.</p>")
KEEPERS = ("<html><head><title>Keepers of the coast</title></head><body style='font:14px serif'><h1>Keepers of the coast</h1>"
           + "".join(_FILLER.format(i=i) for i in range(1, 40))
           + "<p>The keeper of Skerry Point rows out every Thursday to check the fog bell, whatever the weather.</p>"
           + "".join(_FILLER.format(i=i) for i in range(40, 75))
           + "<table border=1 cellpadding=6><thead><tr><th>City</th><th>Population 2011</th><th>Population 2021</th></tr>"
           "</thead><tbody><tr><td>Leeds</td><td>3.9 million</td><td>4.2 million</td></tr><tr><td>York</td><td>198,000</td>"
           "<td>202,800</td></tr></tbody></table></body></html>")


def print_pdf(target: Path, html: str) -> Path:
    """Chromium's print of an HTML page to a PDF."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM)
        page = browser.new_page()
        page.set_content(html)
        page.pdf(path=str(target))
        browser.close()
    return target


def print_scan(target: Path, typed_html: str, *scanned_html: str) -> Path:
    """A PDF whose first page holds typed text (a text layer) and whose last pages hold only pictures of text (a scan),
    one page for each of `scanned_html`."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM)
        page = browser.new_page(viewport={"width": 900, "height": 500})
        images = []
        for html in scanned_html:
            page.set_content(f"<body style='font:22px serif;padding:30px'>{html}</body>")
            images.append(f"<img style='width:100%' src='data:image/png;base64,{base64.b64encode(page.screenshot()).decode()}'>")
        typed = f"<div style='page-break-after:always'>{typed_html}</div>" if typed_html else ""
        scans = "<div style='page-break-after:always'></div>".join(images)
        page.set_content(f"<body style='margin:0'>{typed}{scans}</body>")
        page.pdf(path=str(target))
        browser.close()
    return target
