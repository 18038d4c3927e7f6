"""The HTML report in a real Chromium: it renders its charts, filters to the misses, logs no errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evalkit import ROOT, EvalRun

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    """A Chromium page (Debian's build, driven by Playwright)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1300, "height": 1000})
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.browser
def test_html_report_renders_its_charts_and_filters_to_misses(seed_eval: EvalRun, page: Any) -> None:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto((seed_eval.out / "report.html").as_uri())
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    assert page.locator("svg.chart").nth(0).locator("rect.bar").count() > 0  # confidence histogram bars
    assert page.locator("svg.chart").nth(1).locator("polyline.line").count() == 2  # curve and chance line
    assert page.locator("svg.chart line.marker").count() >= 3  # thresholds and latency percentiles
    rows, misses = page.locator("#questions tbody tr"), page.locator("#questions tbody tr.miss")
    total, n_misses = rows.count(), misses.count()
    assert total == len(seed_eval.report["questions"])
    page.check("#only-misses")
    visible = sum(1 for i in range(total) if rows.nth(i).is_visible())
    assert visible == n_misses < total
    page.uncheck("#only-misses")
    assert rows.last.is_visible() or total == 0
    shot = ROOT / "artifacts" / "report.png"
    shot.parent.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shot), full_page=False)
    assert problems == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert Path(shot).stat().st_size > 10_000
