"""Ingest: files in a folder to `Document`s, and a document's text to sentences and chunks with exact offsets.

The stage reads nothing from `rag.search` or `rag.answer` (the import contract in pyproject.toml keeps it so).

>>> from rag.ingest import split_sentences
>>> [s.end for s in split_sentences("One. Two.")]
[4, 9]
"""

from rag.ingest.chunking import ChunkSpan, Span, chunk_sentences, split_sentences
from rag.ingest.loaders import SUPPORTED_SUFFIXES, LoadResult, Skipped, load_file, load_folder

__all__ = [
    "SUPPORTED_SUFFIXES", "ChunkSpan", "LoadResult", "Skipped", "Span", "chunk_sentences", "load_file", "load_folder", "split_sentences",
]
