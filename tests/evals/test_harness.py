"""`rag eval` end to end on the seed: reports written, citations verbatim, limits enforced; also over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from evalkit import GOLD, EvalRun, run_harness
from serverkit import start_live, stop_live

from evals.gold import load_gold
from evals.harness import GATE_FAILED, check_gates, parse_gates
from rag import cli
from rag.engine import Engine
from rag.errors import ConfigError
from rag.settings import Settings
from server.app import create_app
from tests.seed import copy_seed


def test_parse_gates_refuses_unknown_metrics_wrong_direction_and_bad_numbers() -> None:
    assert parse_gates(["hit_rate=0.9", "mrr=0.5"], lower_is_better=False) == [("hit_rate", 0.9), ("mrr", 0.5)]
    assert parse_gates(["false_abstention_rate=0.1"], lower_is_better=True) == [("false_abstention_rate", 0.1)]
    with pytest.raises(ConfigError, match=r"METRIC one of: .*hit_rate"):
        parse_gates(["hitrate=0.9"], lower_is_better=False)
    with pytest.raises(ConfigError, match="lower is better for false_abstention_rate; use --fail-over"):
        parse_gates(["false_abstention_rate=0.1"], lower_is_better=False)
    with pytest.raises(ConfigError, match="'high' is not a number"):
        parse_gates(["hit_rate=high"], lower_is_better=False)


def test_check_gates_names_each_metric_that_falls_short() -> None:
    metrics = {"hit_rate": 0.75, "mrr": 0.9, "false_abstention_rate": 0.2, "hit_rate_no_abstention": None}
    failures = check_gates(metrics, [("hit_rate", 0.8), ("mrr", 0.9), ("hit_rate_no_abstention", 0.1)],
                           [("false_abstention_rate", 0.1)])
    assert failures == [
        "hit_rate 0.7500 is under the --fail-under limit 0.8",
        "hit_rate_no_abstention n/a is under the --fail-under limit 0.1",
        "false_abstention_rate 0.2000 is over the --fail-over limit 0.1",
    ]


def test_rag_eval_with_a_broken_gold_file_exits_1_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "question": "Who?", "answers": ["x"], "answerable": true}\n{"id": "b", "question": \n',
                    encoding="utf-8")
    docs = copy_seed(tmp_path / "docs")
    status = cli.main(["eval", "--gold", str(gold), "--docs", str(docs), "--index", str(tmp_path / "index"), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1
    assert f"rag: error: {gold}:2: not valid JSON" in err
    assert not (tmp_path / "index").exists()  # nothing was built for a gold file that can't be read


@pytest.mark.slow
def test_seed_eval_writes_both_reports_with_every_question(seed_eval: EvalRun) -> None:
    report = seed_eval.report
    assert len(report["questions"]) == len(load_gold(GOLD))
    html = (seed_eval.out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 4
    assert html.count("<tr class='") == len(report["questions"])
    assert "src=\"http" not in html and "href=\"http" not in html  # self-contained
    assert "hit rate (at the threshold)" in seed_eval.stdout
    metrics = report["metrics"]
    for key in ("recall_at_1", "recall_at_10", "mrr", "hit_rate", "hit_rate_no_abstention", "f1", "citation_support",
                "abstention_precision", "abstention_recall", "false_abstention_rate", "abstention_auc", "latency_p95_ms"):
        assert metrics[key] is not None, key
    assert metrics["index_build_s"] >= 0
    assert metrics["recall_at_1"] <= metrics["recall_at_3"] <= metrics["recall_at_5"] <= metrics["recall_at_10"]
    assert metrics["hit_rate"] <= metrics["hit_rate_no_abstention"]


@pytest.mark.slow
def test_seed_eval_citations_are_all_verbatim_in_the_documents(seed_eval: EvalRun, seed_settings: Settings) -> None:
    report = seed_eval.report
    assert report["metrics"]["citations"] > 0
    assert report["metrics"]["citation_verbatim"] == 1.0
    for q in report["questions"]:
        for c in q["citations"]:
            text = (seed_settings.docs_dir / c["doc_id"]).read_text(encoding="utf-8")
            assert text[c["start"] : c["end"]] == c["quote"]
            assert c["verbatim"] is True


@pytest.mark.slow
def test_seed_eval_abstention_decisions_follow_the_threshold(seed_eval: EvalRun, seed_engine: Engine) -> None:
    report = seed_eval.report
    threshold = seed_engine.abstain_threshold
    assert report["metrics"]["threshold"] == threshold
    for q in report["questions"]:
        assert q["abstained"] == (q["confidence"] < threshold)
        assert q["correct"] == (q["hit"] if q["answerable"] else q["abstained"])
    curve = sorted(report["curve"], key=lambda p: p["threshold"])
    fars = [p["false_abstention_rate"] for p in curve]
    assert fars == sorted(fars) and fars[0] == 0.0 and fars[-1] == 1.0
    cal = report["calibration"]
    assert cal["target"] == 0.10 and cal["false_abstention_rate"] <= 0.10


@pytest.mark.slow
def test_seed_eval_exits_3_naming_only_the_limit_not_met(seed_eval: EvalRun) -> None:
    assert seed_eval.status == GATE_FAILED
    assert "recall_at_10 1.0000 is under the --fail-under limit 1.01" in seed_eval.stderr
    assert "citation_verbatim" not in seed_eval.stderr
    assert "latency_max_ms" not in seed_eval.stderr


@pytest.mark.slow
def test_eval_over_http_uses_the_servers_answers(tmp_path: Path, seed_engine: Engine) -> None:
    picked = [q for q in GOLD.read_text(encoding="utf-8").splitlines() if json.loads(q)["id"] in
              ("p07-israel", "f01-kellogg-europe", "x02-worldcup", "n05-city")]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(picked) + "\n", encoding="utf-8")
    live = start_live(create_app(seed_engine.settings, seed_engine))
    try:
        run = run_harness(["--gold", str(gold), "--out", str(tmp_path / "out"), "--url", live.url,
                           "--fail-under", "citation_verbatim=1.0"], seed_engine.settings)
    finally:
        stop_live(live)
    report = run.report
    assert run.status == 0, run.stderr
    assert report["mode"] == f"server {live.url}"
    assert report["metrics"]["hit_rate_no_abstention"] is None  # the server's abstained answers are not known
    assert report["metrics"]["index_build_s"] is None
    assert "abstentions" in report["note"] and report["note"] in run.stdout
    by_id = {q["id"]: q for q in report["questions"]}
    assert by_id["f01-kellogg-europe"]["searched_question"] != by_id["f01-kellogg-europe"]["question"]  # history was sent
    for q in by_id.values():
        assert q["abstained"] == (q["confidence"] < seed_engine.abstain_threshold)
    assert by_id["x02-worldcup"]["abstained"]
