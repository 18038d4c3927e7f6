"""evals/BENCHMARKS.md from a `rag bench` result: the machine, the command, each figure, and the targets met or not."""

from __future__ import annotations

from typing import Any


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(header: list[str], rows: list[list[Any]], digits: int = 1) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_f(v, digits) for v in row) + " |" for row in rows]
    return [*out, ""]


def targets(r: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each of the issue's done-when figures present in the result."""
    out: list[tuple[str, str, bool | None]] = []
    for row in r.get("indexing", []):
        out.append((f"build <= 1.3x raw encode ({row['corpus']})", f"{row['build_over_encode']:.2f}x", row["build_over_encode"] <= 1.3))
    lat = r.get("http", {}).get("latency")
    if lat:
        out.append(("ask p50 <= 2x raw question encode", f"{lat['p50_over_raw_encode']:.2f}x", lat["p50_over_raw_encode"] <= 2))
        out.append(("ask p50 < 30 ms", f"{lat['p50_ms']:.1f} ms", lat["p50_ms"] < 30))
    load = {row["clients"]: row for row in r.get("http", {}).get("load", [])}
    if 16 in load:
        row = load[16]
        out.append(("16 clients: zero errors", str(row["errors"]), row["errors"] == 0))
        out.append(("16 clients: p99 < 10x p50", f"{_f(row['p99_over_p50'], 2)}x", (row["p99_over_p50"] or 99) < 10))
        out.append(
            (
                "16 clients: throughput >= 1.5x one client",
                f"{_f(row['throughput_vs_1_client'], 2)}x",
                (row["throughput_vs_1_client"] or 0) >= 1.5,
            )
        )
    big = [row for row in r.get("scale", {}).get("rows", []) if row["chunks"] >= 1_000_000]
    for row in big:
        out.append(("10^6: search p50 < 20 ms", f"{row['search_p50_ms']:.2f} ms", row["search_p50_ms"] < 20))
        out.append(("10^6: recall@10 >= 0.95", f"{row['recall_at_10']:.3f}", row["recall_at_10"] >= 0.95))
        out.append(("10^6: vector index < 2 GB", f"{row['index_mb']:,.0f} MB", row["index_mb"] < 2000))
    cold = r.get("http", {}).get("cold_start")
    if cold:
        out.append(("cold start < 5 s", f"{cold['ready_s']:.2f} s", cold["ready_s"] < 5))
        peak = r["http"].get("server_peak_rss_mb")
        out.append(("server memory on the seed < 1 GB", f"{_f(peak, 0)} MB peak", peak is not None and peak < 1024))
    upload = r.get("http", {}).get("upload")
    if upload:
        after = upload["rss_mb_after"]
        out.append(("server memory after its first upload < 1 GB", f"{_f(after, 0)} MB", after < 1024))
    return out


def markdown(r: dict[str, Any]) -> str:
    """The whole report."""
    m = r["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{r['command']}` on {r['created']} in {r['seconds']:.0f} s. Every figure is a median of several runs;",
        "each ratio is the median of per-run ratios of two things measured side by side in the same run, because the",
        "machine is shared and its load drifts. Rerun with `make bench` (or `rag bench --smoke` for a seconds-long check).",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')} ({m.get('cores')} cores, {m.get('simd', '')}); memory {m.get('memory_gb')} GB",
        f"- Load average at start (other processes share this machine): {m.get('load_average_at_start')}",
        f"- {m.get('platform')}, Python {m.get('python')}; " + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()),
        f"- Embedding backend: {r['settings']['backend']}, batch {r['settings']['batch_size']}, {r['settings']['threads']} threads",
        "",
    ]
    met = targets(r)
    if met:
        lines += ["## Targets", ""]
        lines += _table(["target", "measured", "met"], [[t, v, "yes" if ok else ("no" if ok is False else "?")] for t, v, ok in met])
    if r.get("indexing"):
        lines += [
            "## 1. Indexing",
            "",
            "A forced full build (load, split, embed, FAISS, BM25, write, fsync, swap) against the model's raw encode of",
            "exactly the texts the build embeds (every chunk and every sentence), alternating in one loop.",
            "",
        ]
        lines += _table(
            ["corpus", "docs", "chunks", "sentences", "texts", "build s", "raw encode s", "build / encode", "sentences/s", "texts/s"],
            [
                [
                    x["corpus"],
                    x["documents"],
                    x["chunks"],
                    x["sentences"],
                    x["texts_embedded"],
                    x["build_s"],
                    x["raw_encode_s"],
                    x["build_over_encode"],
                    x["sentences_per_s"],
                    x["texts_per_s_build"],
                ]
                for x in r["indexing"]
            ],
            2,
        )
    http = r.get("http", {})
    if http.get("latency"):
        lat = http["latency"]
        lines += [
            "## 2. Question latency",
            "",
            f"`POST /api/ask` on the seed, {lat['requests']} requests ({lat['questions']} gold questions x {lat['rounds']}),",
            "each next to one raw encode of the same question by the same backend in the bench process.",
            "",
        ]
        lines += _table(
            ["p50 ms", "p95 ms", "raw encode p50 ms", "p50 / raw encode", "outside the engine p50 ms"],
            [[lat["p50_ms"], lat["p95_ms"], lat["raw_encode_p50_ms"], lat["p50_over_raw_encode"], lat["outside_engine_p50_ms"]]],
            2,
        )
        lines += ["Per stage (`timings_ms`, p50):", ""]
        lines += _table(list(lat["stages_p50_ms"]), [list(lat["stages_p50_ms"].values())], 2)
    if http.get("load"):
        lines += [
            "## 3. Load",
            "",
            "wrk, closed loop on loopback, POSTing the gold questions in turn; errors are non-2xx answers plus socket errors.",
            "",
        ]
        lines += _table(
            [
                "clients",
                "seconds",
                "requests",
                "req/s",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "errors",
                "p99/p50",
                "req/s vs 1 client",
                "server RSS MB",
            ],
            [
                [
                    x["clients"],
                    x["seconds"],
                    x["requests"],
                    x["requests_per_s"],
                    x["p50_ms"],
                    x["p90_ms"],
                    x["p99_ms"],
                    x["errors"],
                    x["p99_over_p50"],
                    x["throughput_vs_1_client"],
                    x["rss_mb_after"],
                ]
                for x in http["load"]
            ],
            2,
        )
    scale = r.get("scale")
    if scale and scale.get("rows"):
        lines += [
            "## 4. Scale",
            "",
            f"Synthetic: clustered 384-d unit vectors (a topic per 1,000 chunks, noise sigma {scale['sigma']}), "
            f"{scale['queries']} queries from the same topics; texts of {scale['words_per_text']} Zipf-distributed made-up words. "
            "Recall@10 against exact search; index size = its FAISS file (what it holds in memory).",
            "",
        ]
        lines += _table(
            [
                "chunks",
                "index",
                "build s",
                "index MB",
                "search p50 ms",
                "p95 ms",
                "recall@10",
                "exact p50 ms",
                "BM25 build s",
                "BM25 MB",
                "BM25 p50 ms",
                "BM25 p95 ms",
            ],
            [
                [
                    x["chunks"],
                    x["chosen"],
                    x["build_s"],
                    x["index_mb"],
                    x["search_p50_ms"],
                    x["search_p95_ms"],
                    x["recall_at_10"],
                    x["exact_search_p50_ms"],
                    *([x["bm25"][k] for k in ("build_s", "disk_mb", "search_p50_ms", "search_p95_ms")] if "bm25" in x else ["n/a"] * 4),
                ]
                for x in scale["rows"]
            ],
            3,
        )
        if scale.get("comparison"):
            lines += [f"Index kinds side by side at {scale['comparison'][0]['chunks']:,} chunks:", ""]
            lines += _table(
                ["kind", "build s", "index MB", "search p50 ms", "p95 ms", "recall@10"],
                [
                    [x["kind"], x["build_s"], x["index_mb"], x["search_p50_ms"], x["search_p95_ms"], x["recall_at_10"]]
                    for x in scale["comparison"]
                ],
                3,
            )
    if http.get("cold_start"):
        c = http["cold_start"]
        lines += [
            "## 5. Cold start",
            "",
            "`rag serve` in a new process to the first 200 from `/healthz` (model and index loaded), index already built.",
            "",
        ]
        lines += _table(
            ["runs", "ready s (median)", "ready s (max)", "RSS when ready MB", "server RSS after load MB", "server peak RSS MB"],
            [[c["runs"], c["ready_s"], c["ready_s_max"], c["rss_mb_ready"], http.get("server_rss_mb"), http.get("server_peak_rss_mb")]],
            2,
        )
        if http.get("upload"):
            u = http["upload"]
            lines += ["The server's memory around its first upload (a small Markdown file, indexed before the reply; a fresh",
                      "server on copies of the folder and the index):", ""]
            lines += _table(["HTTP status", "upload s", "RSS before MB", "RSS after MB", "peak RSS MB"],
                            [[u["status"], u["upload_s"], u["rss_mb_before"], u["rss_mb_after"], u["peak_rss_mb"]]], 2)
        if c.get("steps_s"):
            lines += ["Where the time goes (fresh process per run, steps in serving order, median seconds):", ""]
            lines += _table(["step", "seconds"], [[k, v] for k, v in c["steps_s"].items()], 3)
    if r.get("backends"):
        lines += [
            "## Embedding backends",
            "",
            "Same run, rounds interleaved. Quality: `rag eval` on ../shared/datasets/squad2-complexity "
            "(hit rate over the answerable questions at the configured threshold).",
            "",
        ]
        lines += _table(
            [
                "backend",
                "load s",
                "question p50 ms",
                "p95 ms",
                "batch texts/s",
                "question x torch",
                "batch x torch",
                "hit rate",
                "hit rate pts vs torch",
                "false abstention",
            ],
            [
                [
                    x["backend"],
                    x["load_s"],
                    x["question_p50_ms"],
                    x["question_p95_ms"],
                    x["batch_texts_per_s"],
                    x.get("question_speedup_vs_torch"),
                    x.get("batch_speedup_vs_torch"),
                    x.get("hit_rate"),
                    x.get("hit_rate_points_vs_torch"),
                    x.get("false_abstention_rate"),
                ]
                for x in r["backends"]
            ],
            3,
        )
    if r.get("scale_out"):
        from evals.bench_scaleout import markdown as scale_out

        lines += scale_out(r["scale_out"])
    return "\n".join(lines).rstrip() + "\n"
