"""Indexing benchmark: a whole build of a documents folder against the raw encode of exactly the texts it embeds."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.bench_common import median, timed
from rag.search.embedder import Embedder
from rag.search.indexer import build_index, embedding_work
from rag.settings import Settings


def run(corpora: dict[str, Path], embedder: Embedder, settings: Settings, repeats: int) -> list[dict[str, Any]]:
    """For each corpus: median build time, median raw encode time, and the median of the per-run ratios."""
    rows = []
    for name, docs in corpora.items():
        work = Path(tempfile.mkdtemp(prefix="rag-bench-index-"))
        try:
            s = replace(settings, docs_dir=docs, index_dir=work / "index", progress=False)
            texts, n_docs, n_chunks, n_sents = embedding_work(s)
            embedder.encode_all(texts[:8])  # warm the model up outside the timings
            builds, encodes, ratios = [], [], []
            for _ in range(repeats):
                # Alternate the two in one loop so drift in the machine's load hits both alike.
                enc = timed(lambda: embedder.encode_all(texts))  # noqa: B023 - called at once
                build = timed(lambda: build_index(s, embedder, force=True))  # noqa: B023
                builds.append(build)
                encodes.append(enc)
                ratios.append(build / enc)
            rows.append(
                {
                    "corpus": name,
                    "documents": n_docs,
                    "chunks": n_chunks,
                    "sentences": n_sents,
                    "texts_embedded": len(texts),
                    "runs": repeats,
                    "build_s": median(builds),
                    "raw_encode_s": median(encodes),
                    "build_over_encode": median(ratios),
                    "sentences_per_s": n_sents / median(builds),
                    "texts_per_s_build": len(texts) / median(builds),
                    "texts_per_s_encode": len(texts) / median(encodes),
                }
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return rows
