"""`rag bench --only scale-out`: the build of a synthetic corpus of N chunks in one process and on a local Ray, and
question latency and memory with the local store and with Milvus Lite, each build and server in its own process.

The corpus: documents of 40 sentences drawn at random from the SQuAD dev articles (or made-up words without them),
so a chunk of 4 sentences is about as long as the seed's. Each build runs `rag index` in a child process under /usr/bin/time,
whose peak RSS is the build's memory; the question timings are `Engine.ask` in a child that loaded the index.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench_scale import texts

SENTENCES_PER_DOC = 40
WORDS_PER_SENTENCE = 12
_ASK = """
import json, statistics, sys, time, resource
from pathlib import Path
from rag.engine import Engine
from rag.settings import Settings
settings = Settings(docs_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), store=sys.argv[3], progress=False)
engine = Engine(settings)
engine.warm_up()
questions = json.loads(sys.argv[4])
times = []
for q in questions * 3:
    t = time.perf_counter(); engine.ask(q); times.append((time.perf_counter() - t) * 1000)
print(json.dumps({"p50_ms": statistics.median(times), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


EMBED_UP_TO = 10_000  # chunks: above this, a build would take hours here, so vectors are drawn (serving figures only)
# Build in one process with random unit vectors in place of the model's: every other step of `rag index` (reading,
# splitting, writing the generation) is the real one; the questions are still embedded by the model.
_DRAWN_BUILD = """
import sys, numpy as np
from pathlib import Path
from rag.search.embedder import Embedder
from rag.search.indexer import build_index
from rag.settings import Settings

class Drawn(Embedder):
    dimension = 384
    def encode(self, texts, progress=None):
        v = np.random.default_rng(len(texts)).standard_normal((len(texts), 384), dtype=np.float32)
        if progress is not None:
            progress(len(texts))
        return v / np.linalg.norm(v, axis=1, keepdims=True)

build_index(Settings(docs_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), progress=False), Drawn())
"""


def corpus(folder: Path, chunks: int, sentences: list[str] | None = None, seed: int = 11) -> list[str]:
    """Write documents holding about `chunks` chunks into `folder`, of `sentences` drawn at random (real English:
    the SQuAD articles' when given) or else of made-up words; return 20 questions made of their words."""
    docs = max(1, chunks // (SENTENCES_PER_DOC // 3))  # 4-sentence chunks overlapping by one: a chunk per 3 sentences
    if sentences:
        rng = np.random.default_rng(seed)
        lines = [sentences[i] for i in rng.integers(0, len(sentences), docs * SENTENCES_PER_DOC)]
    else:
        lines = [" ".join(t.split()[:WORDS_PER_SENTENCE]).capitalize() + "." for t in texts(docs * SENTENCES_PER_DOC, seed)]
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(docs):
        body = " ".join(lines[d * SENTENCES_PER_DOC : (d + 1) * SENTENCES_PER_DOC])
        (folder / f"doc-{d:06d}.txt").write_text(body + "\n", encoding="utf-8")
    return ["What about " + " ".join(lines[i].split()[2:7]) + "?" for i in range(0, len(lines), max(1, len(lines) // 20))][:20]


def english(dataset: Path | None) -> list[str]:
    """The sentences of a dataset's documents (one per line after splitting on ". "), or [] without one."""
    if dataset is None or not (dataset / "docs").is_dir():
        return []
    text = " ".join(f.read_text(encoding="utf-8") for f in sorted((dataset / "docs").glob("*.txt")))
    return [s.strip() + "." for s in text.replace("\n", " ").split(". ") if 40 < len(s) < 300]


def _build(docs: Path, index: Path, *flags: str) -> dict[str, float]:
    """`rag index` in a child under /usr/bin/time: seconds and peak RSS."""
    out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "-m", "rag.cli", "index", "--docs", str(docs),
                          "--index", str(index), *flags], capture_output=True, text=True, check=True)
    seconds, kb = out.stderr.strip().splitlines()[-1].split()[1:3]
    return {"seconds": float(seconds), "peak_rss_mb": int(kb) / 1024}


def _drawn_build(docs: Path, index: Path) -> dict[str, float]:
    """A build with drawn vectors in a child under /usr/bin/time (`_DRAWN_BUILD`)."""
    out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "-c", _DRAWN_BUILD, str(docs), str(index)],
                         capture_output=True, text=True, check=True)
    seconds, kb = out.stderr.strip().splitlines()[-1].split()[1:3]
    return {"seconds": float(seconds), "peak_rss_mb": int(kb) / 1024}


def _asks(docs: Path, index: Path, store: str, questions: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _ASK, str(docs), str(index), store, json.dumps(questions)],
                         capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(sizes: tuple[int, ...], dataset: Path | None = None, log: Any = None, embed_up_to: int = EMBED_UP_TO) -> dict[str, Any]:
    """Measure each size: builds (one process, Ray, Milvus publish) and questions (local, Milvus Lite)."""
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="rag-scaleout-") as tmp:
            work = Path(tmp)
            questions = corpus(work / "docs", n, english(dataset))
            drawn = n > embed_up_to
            if log:
                log(f"scale-out {n:,} chunks: one process" + (" (drawn vectors)" if drawn else ""))
            one = _drawn_build(work / "docs", work / "one") if drawn else _build(work / "docs", work / "one", "--force")
            ray = None
            if not drawn:
                if log:
                    log(f"scale-out {n:,} chunks: local Ray")
                ray = _build(work / "docs", work / "ray", "--force", "--ray")
            if log:
                log(f"scale-out {n:,} chunks: Milvus Lite publish")
            milvus = _build(work / "docs", work / "one", "--store", "milvus")  # the folder is built: this publishes it
            local_q = _asks(work / "docs", work / "one", "local", questions)
            milvus_q = _asks(work / "docs", work / "one", "milvus", questions)
            chunks = json.loads(next((work / "one").glob("gen-*/manifest.json")).read_text())["counts"]["chunks"]
            rows.append({"chunks": chunks, "vectors": "drawn" if drawn else "embedded", "build_one_process": one,
                         "build_ray_local": ray, "publish_milvus_lite": milvus, "ask_local": local_q, "ask_milvus_lite": milvus_q})
    text = "SQuAD sentences" if english(dataset) else "made-up words"
    return {"rows": rows, "sentences_per_doc": SENTENCES_PER_DOC, "text": text, "embed_up_to": embed_up_to}


def markdown(r: dict[str, Any]) -> list[str]:
    """The report's scale-out section."""
    lines = ["## Scale-out: one process vs Ray, local store vs Milvus Lite", "",
             f"Synthetic documents of {r['sentences_per_doc']} sentences ({r['text']}, drawn at random); "
             "each build is `rag index` in its own process (seconds and peak RSS by /usr/bin/time); questions are "
             "`Engine.ask` in a process that loaded the index (p50 of 60, and its peak RSS). Above "
             f"{r.get('embed_up_to', EMBED_UP_TO):,} chunks the vectors are drawn at random instead of embedded (embedding takes hours "
             "on two cores), so those rows measure serving and the build's other steps, not embedding.", "",
             "| chunks | build, one process | build, local Ray | publish to Milvus Lite | ask p50, local | ask p50, Milvus Lite |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for x in r["rows"]:
        drawn = x.get("vectors") == "drawn"
        one, ray = x["build_one_process"], x["build_ray_local"]
        ray_cell = f"{ray['seconds']:.1f} s, {ray['peak_rss_mb']:.0f} MB (driver)" if ray else "not run"
        lines.append(
            f"| {x['chunks']:,}{' (drawn vectors)' if drawn else ''} "
            f"| {one['seconds']:.1f} s, {one['peak_rss_mb']:.0f} MB{' (no embedding)' if drawn else ''} "
            f"| {ray_cell} "
            f"| {x['publish_milvus_lite']['seconds']:.1f} s, {x['publish_milvus_lite']['peak_rss_mb']:.0f} MB "
            f"| {x['ask_local']['p50_ms']:.1f} ms, {x['ask_local']['rss_mb']:.0f} MB "
            f"| {x['ask_milvus_lite']['p50_ms']:.1f} ms, {x['ask_milvus_lite']['rss_mb']:.0f} MB |")
    return [*lines, ""]
