"""Search: the embedding model, the vector and keyword indexes, the on-disk store and its generations, retrieval.

It may read `rag.ingest` (to build an index from a folder), never `rag.answer`.
"""

from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from rag.search.indexer import BuildReport, build_index, is_stale
from rag.search.retrieval import Hit, retrieve

__all__ = ["BuildReport", "Embedder", "Hit", "LoadedIndex", "build_index", "is_stale", "retrieve"]
