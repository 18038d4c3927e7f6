"""Indexing benchmark: a whole build of a documents folder against the raw encode of exactly the texts it embeds."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from evals.bench_common import median, timed
from rag.chunking import chunk_sentences, split_sentences
from rag.embedder import Embedder
from rag.indexer import build_index
from rag.loaders import load_folder
from rag.onnx_embed import OnnxEncoder
from rag.settings import Settings


def embedded_texts(settings: Settings) -> tuple[list[str], int, int]:
    """The texts a fresh build embeds (every chunk, then every sentence, per document), and the chunk and sentence counts.

    Mirrors rag/indexer.py `_split_documents` + `_embed_missing` for a build with nothing to reuse.
    """
    loaded = load_folder(settings.docs_dir, settings.max_file_bytes, settings.pdf_timeout_s)
    texts: list[str] = []
    n_chunks = n_sents = 0
    for doc in loaded.documents:
        sents = split_sentences(doc.text)
        chunks = chunk_sentences(sents, doc.text, settings.chunk_sentences, settings.chunk_overlap, settings.chunk_max_words)
        texts.extend(doc.text[c.start : c.end] for c in chunks)
        texts.extend(doc.text[s.start : s.end] for s in sents)
        n_chunks += len(chunks)
        n_sents += len(sents)
    return texts, n_chunks, n_sents


def raw_encode(embedder: Embedder, texts: list[str]) -> None:
    """The model's own encode over the texts, with the embedder's batch size: the floor a build can't beat."""
    model = embedder.model
    if isinstance(model, OnnxEncoder):
        model.encode(texts, embedder.batch_size)
    else:
        model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def run(corpora: dict[str, Path], embedder: Embedder, settings: Settings, repeats: int) -> list[dict[str, Any]]:
    """For each corpus: median build time, median raw encode time, and the median of the per-run ratios."""
    rows = []
    for name, docs in corpora.items():
        work = Path(tempfile.mkdtemp(prefix="rag-bench-index-"))
        try:
            s = replace(settings, docs_dir=docs, index_dir=work / "index", progress=False)
            texts, n_chunks, n_sents = embedded_texts(s)
            raw_encode(embedder, texts[:8])  # warm the model up outside the timings
            builds, encodes, ratios = [], [], []
            for _ in range(repeats):
                # Alternate the two in one loop so drift in the machine's load hits both alike.
                enc = timed(lambda: raw_encode(embedder, texts))  # noqa: B023 - called at once
                build = timed(lambda: build_index(s, embedder, force=True))  # noqa: B023
                builds.append(build)
                encodes.append(enc)
                ratios.append(build / enc)
            rows.append(
                {
                    "corpus": name,
                    "documents": len(load_folder(docs, settings.max_file_bytes, settings.pdf_timeout_s).documents),
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
