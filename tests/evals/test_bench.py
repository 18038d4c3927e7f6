"""`rag bench --smoke`: every benchmark runs at its smallest size and writes its figures (thresholds are judged from the full run)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from evals import bench
from evals.bench_common import percentile
from evals.bench_http import parse_wrk
from evals.bench_report import targets
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory, seed_docs: Path) -> tuple[Path, dict[str, Any]]:
    """One smoke run over a copy of the seed, report and JSON in a scratch folder."""
    out = tmp_path_factory.mktemp("bench") / "BENCHMARKS.md"
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--smoke", "--out", str(out), "--gold", str(ROOT / "evals" / "gold.jsonl"), "--load-seconds", "1"])
    settings = Settings(docs_dir=seed_docs, index_dir=tmp_path_factory.mktemp("unused-index"), progress=False)
    assert bench.main(args, settings) == 0
    return out, json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_smoke_run_writes_every_section_of_the_report(smoke: tuple[Path, dict[str, Any]]) -> None:
    out, _ = smoke
    text = out.read_text(encoding="utf-8")
    headings = ("## Machine", "## Targets", "## 1. Indexing", "## 2. Question latency", "## 3. Load", "## 4. Scale", "## 5. Cold start")
    for heading in headings:
        assert heading in text


@pytest.mark.slow
def test_indexing_figures_compare_the_build_with_the_raw_encode_of_the_same_texts(smoke: tuple[Path, dict[str, Any]]) -> None:
    (row,) = smoke[1]["indexing"]
    assert row["texts_embedded"] == row["chunks"] + row["sentences"] > 0
    assert row["build_s"] > 0 and row["raw_encode_s"] > 0
    assert row["build_over_encode"] > 0 and row["sentences_per_s"] > 0


@pytest.mark.slow
def test_latency_figures_come_from_real_answers_with_stage_timings(smoke: tuple[Path, dict[str, Any]]) -> None:
    lat = smoke[1]["http"]["latency"]
    assert lat["requests"] == lat["questions"] * lat["rounds"] >= 4
    assert 0 < lat["p50_ms"] <= lat["p95_ms"]
    assert lat["raw_encode_p50_ms"] > 0
    assert lat["stages_p50_ms"]["embed"] > 0 and lat["stages_p50_ms"]["total"] >= lat["stages_p50_ms"]["embed"]


@pytest.mark.slow
def test_load_runs_one_four_and_sixteen_clients_without_errors(smoke: tuple[Path, dict[str, Any]]) -> None:
    rows = smoke[1]["http"]["load"]
    assert [r["clients"] for r in rows] == [1, 4, 16]
    for r in rows:
        assert r["requests"] > 0 and r["requests_per_s"] > 0 and r["p50_ms"] > 0
        assert r["errors"] == 0  # the server must answer every request, even in a smoke run
        assert r["rss_mb_after"] > 0


@pytest.mark.slow
def test_scale_measures_every_index_kind_against_exact_search(smoke: tuple[Path, dict[str, Any]]) -> None:
    scale = smoke[1]["scale"]
    (row,) = scale["rows"]
    assert row["chosen"] == "flat" and row["recall_at_10"] == 1.0
    assert row["bm25"]["disk_mb"] > 0 and row["bm25"]["search_p50_ms"] > 0
    assert {r["kind"] for r in scale["comparison"]} == {"flat", "hnsw", "ivf-sq8"}
    assert all(0 < r["recall_at_10"] <= 1 and r["index_mb"] > 0 for r in scale["comparison"])


@pytest.mark.slow
def test_cold_start_and_server_memory_are_recorded(smoke: tuple[Path, dict[str, Any]]) -> None:
    http = smoke[1]["http"]
    assert http["cold_start"]["ready_s"] > 0 and http["cold_start"]["rss_mb_ready"] > 0
    assert http["server_peak_rss_mb"] >= http["cold_start"]["rss_mb_ready"] * 0.5
    assert {t for t, _, _ in targets(smoke[1])} >= {"cold start < 5 s", "ask p50 < 30 ms", "16 clients: zero errors",
                                                   "server memory after its first upload < 1 GB"}


def test_memory_is_measured_after_a_real_upload_on_copies_of_the_folder(smoke: tuple[Path, dict[str, Any]]) -> None:
    upload = smoke[1]["http"]["upload"]
    assert upload["status"] == 201 and upload["upload_s"] > 0
    assert upload["rss_mb_after"] > 0 and upload["peak_rss_mb"] >= upload["rss_mb_after"]


def test_wrk_output_is_parsed_with_units_and_errors() -> None:
    text = """  Latency Distribution
     50%  812.00us
     90%    1.50ms
     99%    1.20s
  3000 requests in 10.00s, 1.2MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    300.00
"""
    r = parse_wrk(text)
    assert r["p50_ms"] == pytest.approx(0.812) and r["p90_ms"] == 1.5 and r["p99_ms"] == 1200.0
    assert r["requests"] == 3000 and r["requests_per_s"] == 300.0 and r["errors"] == 7


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([10.0], 95) == 10.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
