"""The harness's three outputs: a terminal table, report.json and a self-contained report.html."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from evals import charts

# (key, label, unit): unit "%" for rates, "ms"/"s" for times, "" for counts and plain numbers.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Questions", (("questions", "questions", ""), ("answerable", "answerable", ""), ("unanswerable", "unanswerable", ""))),
    ("Retrieval (passage holding a gold answer)", (
        ("recall_at_1", "recall@1", "%"), ("recall_at_3", "recall@3", "%"), ("recall_at_5", "recall@5", "%"),
        ("recall_at_10", "recall@10", "%"), ("mrr", "MRR", ""))),
    ("Answers", (
        ("hit_rate", "hit rate (at the threshold)", "%"), ("hit_rate_no_abstention", "hit rate without abstention", "%"),
        ("f1", "token F1 vs best gold", ""), ("answer_words_mean", "answer words, mean", ""),
        ("answer_words_max", "answer words, max", ""), ("accuracy", "correct (hit, or abstained when unanswerable)", "%"))),
    ("Citations", (
        ("citations", "citations checked", ""), ("citation_verbatim", "verbatim at their offsets", "%"),
        ("citation_support", "answered questions whose quotes hold a gold answer", "%"))),
    ("Abstention", (
        ("threshold", "threshold", ""), ("abstention_precision", "precision", "%"),
        ("abstention_recall", "recall (unanswerable abstained)", "%"),
        ("false_abstention_rate", "false-abstention rate", "%"), ("abstention_auc", "AUC (answerable vs unanswerable)", ""))),
    ("Speed", (
        ("index_build_s", "index build", "s"), ("latency_p50_ms", "latency p50", "ms"), ("latency_p95_ms", "latency p95", "ms"),
        ("latency_max_ms", "latency max", "ms"))),
)


def fmt(value: Any, unit: str) -> str:
    """A metric as shown to people.

    >>> fmt(0.8123, "%"), fmt(None, "%"), fmt(12.34, "ms")
    ('81.2%', 'n/a', '12 ms')
    """
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "s":
        return f"{value:.1f} s"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def terminal_table(report: Mapping[str, Any]) -> str:
    """A plain-text table of the metrics, grouped like the HTML report."""
    metrics, lines = report["metrics"], []
    width = max(len(label) for _, rows in SECTIONS for _, label, _ in rows) + 2
    for title, rows in SECTIONS:
        lines.append(title)
        lines.extend(f"  {label:<{width}}{fmt(metrics.get(key), unit):>10}" for key, label, unit in rows)
    cal = report.get("calibration")
    if report.get("note"):
        lines.append(f"Note: {report['note']}")
    if cal:
        lines.append(f"Calibration (target false-abstention {cal['target']:.0%})")
        lines.append(f"  {'threshold':<{width}}{fmt(cal['threshold'], ''):>10}")
        for key in ("false_abstention_rate", "abstention_recall", "abstention_precision", "hit_rate"):
            lines.append(f"  {key.replace('_', ' '):<{width}}{fmt(cal[key], '%'):>10}")
    for kind, row in report.get("by_kind", {}).items():
        lines.append(f"  [{kind}] {row['questions']} questions: hit rate {fmt(row['hit_rate'], '%')}, "
                     f"abstained {fmt(row['abstained'], '%')}, correct {fmt(row['correct'], '%')}")
    return "\n".join(lines)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """report.json: everything, per-question verdicts included."""
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_html(report: Mapping[str, Any], path: Path) -> None:
    """report.html: one file, inline CSS, SVG and a few lines of script for the filter."""
    path.write_text(render_html(report), encoding="utf-8")


def verdict_label(q: Mapping[str, Any]) -> str:
    """What happened to one question, in words.

    >>> verdict_label({"answerable": False, "abstained": True, "hit": False})
    'abstained (right)'
    """
    if q["answerable"]:
        return "hit" if q["hit"] else ("false abstention" if q["abstained"] else "miss")
    return "abstained (right)" if q["abstained"] else "answered unanswerable"


def render_html(report: Mapping[str, Any]) -> str:
    """The whole HTML report as a string."""
    metrics, questions = report["metrics"], report["questions"]
    title = f"rag eval: {report['gold']}"
    sections = "".join(
        f"<table class='metrics'><caption>{escape(name)}</caption>"
        + "".join(f"<tr><th>{escape(label)}</th><td>{fmt(metrics.get(key), unit)}</td></tr>" for key, label, unit in rows)
        + "</table>"
        for name, rows in SECTIONS
    )
    kinds = "".join(
        f"<tr><th>{escape(k)}</th><td>{r['questions']}</td><td>{fmt(r['hit_rate'], '%')}</td><td>{fmt(r['abstained'], '%')}</td>"
        f"<td>{fmt(r['correct'], '%')}</td></tr>" for k, r in report.get("by_kind", {}).items()
    )
    kinds_table = (f"<table class='metrics'><caption>By kind</caption><tr><th></th><th>questions</th><th>hit rate</th>"
                   f"<th>abstained</th><th>correct</th></tr>{kinds}</table>") if kinds else ""
    cal = report.get("calibration")
    cal_table = ""
    if cal:
        cal_table = (f"<table class='metrics'><caption>Calibration: target false abstention {cal['target']:.0%}</caption>"
                     f"<tr><th>threshold</th><td>{fmt(cal['threshold'], '')}</td></tr>"
                     + "".join(f"<tr><th>{k.replace('_', ' ')}</th><td>{fmt(cal[k], '%')}</td></tr>"
                               for k in ("false_abstention_rate", "abstention_recall", "abstention_precision", "hit_rate"))
                     + "</table>")
    rows = "".join(_question_row(q) for q in questions)
    misses = sum(1 for q in questions if not q["correct"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">documents: <code>{escape(str(report['docs']))}</code> · mode: {escape(report['mode'])} ·
model: <code>{escape(str(report['settings'].get('model')))}</code> · {escape(report['created'])}</p>
<p class="meta">{escape(report.get('note', ''))}</p>
<div class="grid">{sections}{kinds_table}{cal_table}</div>
<h2>Charts</h2>
<div class="charts">{_charts(report)}</div>
<h2>Questions</h2>
<label><input type="checkbox" id="only-misses"> show only the {misses} misses (wrong answers, false abstentions,
unanswerable questions answered)</label>
<table id="questions"><thead><tr><th>id</th><th>question</th><th>gold</th><th>answer</th><th>citations</th>
<th>confidence</th><th>verdict</th></tr></thead><tbody>{rows}</tbody></table>
<script>
document.getElementById("only-misses").addEventListener("change", function (e) {{
  document.getElementById("questions").classList.toggle("only-misses", e.target.checked);
}});
</script>
</body></html>
"""


def _charts(report: Mapping[str, Any]) -> str:
    qs, metrics, cal = report["questions"], report["metrics"], report.get("calibration")
    # Over HTTP the server decided, so there is no threshold of the harness's own to mark.
    markers = ([] if metrics["threshold"] is None else
               [charts.Marker(f"threshold {metrics['threshold']:.3f}", metrics["threshold"], charts.RED)])
    if cal:
        markers.append(charts.Marker(f"calibrated {cal['threshold']:.3f}", cal["threshold"], charts.GREEN))
    scores = charts.histogram(
        "Confidence: answerable vs unanswerable",
        [charts.Series("answerable", [q["confidence"] for q in qs if q["answerable"]], charts.BLUE),
         charts.Series("unanswerable", [q["confidence"] for q in qs if not q["answerable"]], charts.ORANGE)],
        0.0, 1.0, bins=20, x_label="confidence (abstain below the threshold)", markers=markers, as_share=True,
    )
    curve = [p for p in report["curve"] if p["false_abstention_rate"] is not None and p["abstention_recall"] is not None]
    points = sorted((p["false_abstention_rate"], p["abstention_recall"]) for p in curve)
    dots = [charts.Marker("at the threshold", metrics["false_abstention_rate"], charts.RED, metrics["abstention_recall"])]
    if cal:
        dots.append(charts.Marker("calibrated", cal["false_abstention_rate"], charts.GREEN, cal["abstention_recall"]))
    tradeoff = charts.line_chart(
        f"Abstention trade-off (AUC {fmt(metrics['abstention_auc'], '')})",
        [charts.Series("threshold sweep", [y for _, y in points], charts.BLUE, [x for x, _ in points]),
         charts.Series("chance", [0.0, 1.0], charts.GREY, [0.0, 1.0])] if points else [],
        (0.0, 1.0), (0.0, 1.0), "answerable questions abstained on (false abstention)",
        "unanswerable abstained on", markers=[d for d in dots if d.x is not None and d.y is not None],
    )
    sweep = sorted(curve, key=lambda p: p["threshold"])
    xs = [min(1.0, p["threshold"]) for p in sweep]
    by_threshold = charts.line_chart(
        "Hit rate and abstention by threshold",
        [charts.Series("hit rate", [p["hit_rate"] or 0.0 for p in sweep], charts.BLUE, xs),
         charts.Series("false abstention", [p["false_abstention_rate"] for p in sweep], charts.RED, xs),
         charts.Series("unanswerable abstained", [p["abstention_recall"] for p in sweep], charts.ORANGE, xs)] if sweep else [],
        (0.0, 1.0), (0.0, 1.0), "threshold", "share", markers=markers,
    )
    latencies = [q["seconds"] * 1000 for q in qs]
    latency = charts.histogram(
        "Latency per question", [charts.Series("questions", latencies, charts.BLUE)], 0.0,
        charts.nice_ceiling(max(latencies, default=1.0)), bins=25, x_label="milliseconds",
        markers=[charts.Marker("p50", metrics["latency_p50_ms"] or 0.0, charts.GREEN),
                 charts.Marker("p95", metrics["latency_p95_ms"] or 0.0, charts.RED)],
    )
    return scores + tradeoff + by_threshold + latency


def _question_row(q: Mapping[str, Any]) -> str:
    history = "".join(f"<div class='turn'>{escape(t['role'])}: {escape(t['content'][:200])}</div>" for t in q["history"])
    searched = (f"<div class='searched'>searched: {escape(q['searched_question'])}</div>"
                if q["searched_question"] != q["question"] else "")
    gold = "<br>".join(escape(a) for a in q["answers"]) or "<em>unanswerable</em>"
    cites = "".join(
        f"<div class='cite'>[{c['n']}] {_CHECK if c['verbatim'] else _CROSS} "
        f"<code>{escape(str(c['doc_id']))}:{c['start']}-{c['end']}</code> “{escape(str(c['quote']))}”</div>" for c in q["citations"]
    )
    label = verdict_label(q)
    would = (f"<div class='would'>without abstaining: {escape(q['answer_without_abstention'])}</div>"
             if q["abstained"] and q.get("answer_without_abstention") else "")
    return (f"<tr class='{'ok' if q['correct'] else 'miss'}'><td>{escape(q['id'])}"
            f"{'<div class=kind>' + escape(q['kind']) + '</div>' if q.get('kind') else ''}</td>"
            f"<td>{history}{escape(q['question'])}{searched}</td><td>{gold}</td><td>{escape(q['answer'])}{would}</td><td>{cites}</td>"
            f"<td>{q['confidence']:.3f}</td><td class='verdict'>{escape(label)}</td></tr>")


_CHECK = "<span class='verbatim'>✓</span>"
_CROSS = "<span class='not-verbatim'>✗ not verbatim</span>"
_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:20px} h2{font-size:17px;margin-top:28px} .meta{color:#555}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
table.metrics{border-collapse:collapse;font-size:13px} table.metrics caption{text-align:left;font-weight:bold;padding:4px 0}
table.metrics th{text-align:left;font-weight:normal;padding:2px 12px 2px 0;color:#444} table.metrics td{text-align:right;padding:2px 0}
.charts{display:flex;flex-wrap:wrap;gap:12px} svg.chart{border:1px solid #ddd;background:#fff}
#questions{border-collapse:collapse;font-size:13px;margin-top:8px;width:100%}
#questions th,#questions td{border-bottom:1px solid #e4e4e4;padding:4px 6px;vertical-align:top;text-align:left}
#questions tr.miss td.verdict{color:#c0392b;font-weight:bold} #questions tr.ok td.verdict{color:#2e8b57}
#questions.only-misses tr.ok{display:none}
.turn,.searched,.kind,.would{color:#777;font-size:12px} .cite{margin-bottom:4px}
.verbatim{color:#2e8b57} .not-verbatim{color:#c0392b;font-weight:bold}
"""
