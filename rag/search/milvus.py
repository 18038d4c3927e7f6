"""The Milvus store (`RAG_STORE=milvus`): a built generation published into Milvus, and read back from it.

The same `pymilvus` client talks to Milvus Lite (a local file, `RAG_MILVUS_URI=./index/rag.db`) and to a Milvus
server or cluster (`http://host:19530`, `RAG_MILVUS_TOKEN` when set). Four collections hold the corpus:
`rag_chunks` (offsets, the chunk's dense vector, and its words as the local BM25 sees them, stemmed, with a BM25
function on them, so both stores rank by the same words), `rag_sentences` (offsets and vectors), `rag_documents`
(texts, in pieces) and `rag_meta` (the manifest, the IDF table, and `current`, the generation readers read).

Every row carries its generation number. A build inserts the new generation's rows, then points `current` at it
(one upsert), then deletes every other generation's rows: a reader filters on `current`, so it never sees a
half-written corpus, and a build killed midway leaves the previous one answering (its partial rows are deleted by
the next build).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, StoreUnavailableError
from rag.schema import Document
from rag.search import store
from rag.search.lexical import tokens
from rag.settings import Settings

SCHEMA = 2  # in the collections' names: version 1 keyed chunks and sentences by their id alone (see row_key)
CHUNKS, SENTENCES, DOCUMENTS, META = (f"rag_{name}_v{SCHEMA}" for name in ("chunks", "sentences", "documents", "meta"))
PIECE = 15_000  # characters of a document's text per row (VARCHAR holds 65,535 bytes: 4 bytes a character at most)
MAX_WORDS_TEXT = 60_000  # bytes of a chunk's words kept for BM25
CONNECT_TIMEOUT_S = 10.0
BATCH = 2_000  # rows per insert
# Rows per page of a read: each page costs a scan, so offsets come in Milvus's largest pages (10^5 chunks load in 36 s,
# not 116 as in pages of 2,000); texts and manifest pieces (15,000 characters each at most) in pages of 1,024, 60 MB at most.
READ_BATCH = 16_384
TEXT_READ_BATCH = 1_024
# Build and search parameters of the chunk vectors' index (Settings.milvus_index); FLAT and AUTOINDEX take none.
INDEX_PARAMS: dict[str, dict[str, int]] = {"HNSW": {"M": 16, "efConstruction": 200}, "IVF_SQ8": {"nlist": 4096}}
SEARCH_PARAMS: dict[str, dict[str, int]] = {"HNSW": {"ef": 128}, "IVF_SQ8": {"nprobe": 64}}
BM25_K1, BM25_B = 1.5, 0.75  # as bm25s, the local store's BM25
_CLIENTS: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def uri(settings: Settings) -> str:
    """The Milvus address: the settings' URI, else a Milvus Lite file in the index folder."""
    return settings.milvus_uri or str(settings.index_dir / "rag.db")


def connect(settings: Settings) -> Any:
    """The process's client of the configured Milvus (one per address: Milvus Lite runs one server per file), or
    StoreUnavailableError saying which address failed and why."""
    address = uri(settings)
    key = (address, settings.milvus_token or "")
    with _LOCK:
        if key in _CLIENTS:
            return _CLIENTS[key]
    try:
        from pymilvus import MilvusClient

        # Its query iterator warns on every read of Milvus Lite (which keeps no MVCC timestamp): noise to a user.
        logging.getLogger("pymilvus").setLevel(logging.ERROR)
        if "://" not in address:
            Path(address).parent.mkdir(parents=True, exist_ok=True)
        client = MilvusClient(address, token=settings.milvus_token or "", timeout=CONNECT_TIMEOUT_S)
        for name in (CHUNKS, SENTENCES, DOCUMENTS, META):
            if client.has_collection(name):
                client.load_collection(name)  # a collection starts released in a new process
        with _LOCK:
            return _CLIENTS.setdefault(key, client)
    except ImportError as exc:
        raise StoreUnavailableError("the Milvus store needs pymilvus and milvus-lite: pip install 'rag-quotes[milvus]'") from exc
    except Exception as exc:  # pymilvus raises many kinds: each is one message to the user
        raise StoreUnavailableError(f"the Milvus store at {address} can't be reached: {said(exc)}") from exc


def current(client: Any) -> int | None:
    """The generation readers read, or None before the first publish."""
    try:
        if not client.has_collection(META):
            return None
        rows = client.query(META, filter='key == "current"', output_fields=["value"])
    except Exception as exc:  # the server went away after the client connected
        raise StoreUnavailableError(f"the Milvus store can't be read: {said(exc)}") from exc
    return int(rows[0]["value"]) if rows else None


def publish(settings: Settings, gen: Path) -> int:
    """Copy a local generation into Milvus and make it the one readers read; returns its number. Idempotent."""
    number = store.generation_number(gen.name)
    client = connect(settings)
    try:
        if current(client) != number:
            _ensure_collections(client, int(store.read_manifest(gen, settings.index_dir).get("dimension", 0)), settings.milvus_index)
            for name in (CHUNKS, SENTENCES, DOCUMENTS, META):
                client.delete(name, filter=f"gen == {number}")  # leftovers of a build of this number that was killed
            _insert(client, settings, gen, number)
            client.upsert(META, [_meta_row("current", str(number), 0)])
        # Also when it was current already: a publish killed after its upsert left the older rows behind.
        for name in (CHUNKS, SENTENCES, DOCUMENTS):
            client.delete(name, filter=f"gen != {number}")
        client.delete(META, filter=f'gen != {number} and key != "current"')
        return number
    except (StoreUnavailableError, IndexMismatchError):
        raise
    except Exception as exc:
        raise StoreUnavailableError(f"the Milvus store at {uri(settings)} failed while publishing: {said(exc)}") from exc


def read(settings: Settings) -> tuple[int, dict[str, Any], dict[str, Document], store.Tables, dict[str, float]]:
    """The current generation: (number, manifest, documents, tables, idf). Its vectors stay in Milvus
    (`rag.search.milvus_search` reads them per question)."""
    client = connect(settings)
    try:
        number = current(client)
        if number is None:
            raise IndexMissingError(f"no index in the Milvus store at {uri(settings)}: build one with: rag index --store milvus")
        where = f"gen == {number}"
        meta: dict[str, str] = {}
        for r in _all(client, META, f'{where} and key != "current"', ["key", "value", "part"], "part", TEXT_READ_BATCH):
            meta[r["key"]] = meta.get(r["key"], "") + r["value"]
        manifest, idf = json.loads(meta["manifest"]), json.loads(meta["idf"])
        pieces: dict[str, list[tuple[int, str]]] = {}
        heads: dict[str, dict[str, Any]] = {}
        for r in _all(client, DOCUMENTS, where, ["doc_id", "part", "text", "title", "sha256", "size"], "id", TEXT_READ_BATCH):
            pieces.setdefault(r["doc_id"], []).append((int(r["part"]), r["text"]))
            heads[r["doc_id"]] = r
        docs = {d: Document(d, heads[d]["title"], "".join(t for _, t in sorted(p)), heads[d]["sha256"], int(heads[d]["size"]))
                for d, p in sorted(pieces.items())}
        chunks = _all(client, CHUNKS, where, ["id", "doc", "start", "end", "first", "last"], "id")
        sents = _all(client, SENTENCES, where, ["id", "doc", "start", "end"], "id")
        _check_rows(manifest, docs, chunks, sents)
    except (IndexMissingError, StoreUnavailableError):
        raise
    except (KeyError, ValueError) as exc:
        raise IndexCorruptError(f"the Milvus store at {uri(settings)} is incomplete ({exc}); "
                                "rebuild it: rag index --store milvus --force") from exc
    except Exception as exc:
        raise StoreUnavailableError(f"the Milvus store at {uri(settings)} can't be read: {said(exc)}") from exc
    ids = tuple(docs)
    pos = {d: i for i, d in enumerate(ids)}
    tables = store.Tables(
        chunk_doc=np.array([pos[c["doc"]] for c in chunks], dtype=np.int32),
        chunk_start=np.array([c["start"] for c in chunks], dtype=np.int64),
        chunk_end=np.array([c["end"] for c in chunks], dtype=np.int64),
        chunk_first=np.array([c["first"] for c in chunks], dtype=np.int64),
        chunk_last=np.array([c["last"] for c in chunks], dtype=np.int64),
        sent_doc=np.array([pos[s["doc"]] for s in sents], dtype=np.int32),
        sent_start=np.array([s["start"] for s in sents], dtype=np.int64),
        sent_end=np.array([s["end"] for s in sents], dtype=np.int64),
        doc_ids=ids,
    )
    return number, manifest, docs, tables, idf


def row_key(number: int, i: int) -> int:
    """The primary key of chunk or sentence `i` of generation `number`: unique across generations, because Milvus
    shows only the newest row of a key and deletes by key, so a new generation's rows under the same keys would
    hide or take the current generation's (what a reader must never see mid-publish).

    >>> row_key(2, 5)
    2199023255557
    """
    return number << 40 | i


def by_keys(number: int, ids: Sequence[int]) -> str:
    """A filter for rows `ids` of generation `number` by primary key (a filter on the plain `id` field scans every row).

    >>> by_keys(2, [5])
    'pk in [2199023255557]'
    """
    return f"pk in {[row_key(number, int(i)) for i in ids]}"


def _check_rows(manifest: dict[str, Any], docs: dict[str, Document], chunks: list[dict[str, Any]], sents: list[dict[str, Any]]) -> None:
    """Every row the manifest counts is there, ids 0..n-1 (a row missing would shift every id after it: wrong quotes)."""
    counts = manifest.get("counts", {})
    if counts.get("documents") != len(docs):
        raise ValueError(f"{len(docs)} documents, not the manifest's {counts.get('documents')}")
    for name, rows in (("chunks", chunks), ("sentences", sents)):
        if counts.get(name) != len(rows) or any(int(r["id"]) != i for i, r in enumerate(rows)):
            raise ValueError(f"{len(rows)} {name} with ids not 0..{len(rows) - 1}, the manifest counts {counts.get(name)}")


def _ensure_collections(client: Any, dim: int, dense_index: str = "FLAT") -> None:
    """Create the four collections when missing, the chunk vectors indexed by `dense_index` (Settings.milvus_index)."""
    from pymilvus import DataType, Function, FunctionType

    def base(pk: Any, **pk_args: Any) -> Any:
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", pk, is_primary=True, **pk_args)
        schema.add_field("gen", DataType.INT64)
        return schema

    def numbered() -> Any:  # chunks and sentences: keyed by row_key, their own id a field of its own
        schema = client.create_schema(auto_id=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("id", DataType.INT64)
        schema.add_field("gen", DataType.INT64)
        return schema

    def make(name: str, schema: Any, vectors: dict[str, tuple[str, str]]) -> None:
        if client.has_collection(name):
            return
        index = client.prepare_index_params()
        for field, (kind, metric) in vectors.items():
            params = {"bm25_k1": BM25_K1, "bm25_b": BM25_B} if metric == "BM25" else INDEX_PARAMS.get(kind, {})
            index.add_index(field, index_type=kind, metric_type=metric, params=params)
        client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")  # a reader sees all or nothing

    chunks = numbered()
    for f in ("start", "end", "first", "last"):
        chunks.add_field(f, DataType.INT64)
    chunks.add_field("doc", DataType.VARCHAR, max_length=4096)
    chunks.add_field("words", DataType.VARCHAR, max_length=65_535, enable_analyzer=True, analyzer_params={"type": "standard"})
    chunks.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    chunks.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["words"], output_field_names=["sparse"]))
    make(CHUNKS, chunks, {"dense": (dense_index, "IP"), "sparse": ("SPARSE_INVERTED_INDEX", "BM25")})
    made = client.describe_index(CHUNKS, "dense").get("index_type")
    if made != dense_index:  # an index is made with its collection: a setting changed later would do nothing
        raise IndexMismatchError(
            f"the Milvus collection {CHUNKS} has a {made} index, but milvus_index (RAG_MILVUS_INDEX) asks for "
            f"{dense_index}: set it back, or drop {CHUNKS} (or use another RAG_MILVUS_URI) and rebuild"
        )
    sents = numbered()
    for f in ("start", "end"):
        sents.add_field(f, DataType.INT64)
    sents.add_field("doc", DataType.VARCHAR, max_length=4096)
    sents.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    make(SENTENCES, sents, {"vector": ("FLAT", "IP")})
    docs = base(DataType.VARCHAR, max_length=4200)
    for f, size in (("doc_id", 4096), ("title", 2048), ("sha256", 64), ("text", 65_535)):
        docs.add_field(f, DataType.VARCHAR, max_length=size)
    for f in ("part", "size"):
        docs.add_field(f, DataType.INT64)
    docs.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
    make(DOCUMENTS, docs, {"unused": ("FLAT", "L2")})
    meta = base(DataType.VARCHAR, max_length=256)
    meta.add_field("key", DataType.VARCHAR, max_length=64)
    meta.add_field("part", DataType.INT64)
    meta.add_field("value", DataType.VARCHAR, max_length=65_535)
    meta.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
    make(META, meta, {"unused": ("FLAT", "L2")})


def _insert(client: Any, settings: Settings, gen: Path, number: int) -> None:
    """Insert a local generation's rows under generation `number`."""
    documents, tables = store.read_store(gen / store.STORE, settings.index_dir)
    chunk_vecs = store.load_vectors(gen / store.CHUNK_VECTORS, settings.index_dir)
    sent_vecs = store.load_vectors(gen / store.SENTENCE_VECTORS, settings.index_dir)
    ids = tables.doc_ids
    rows: list[dict[str, Any]] = []
    for doc in documents.values():
        for part, at in enumerate(range(0, max(len(doc.text), 1), PIECE)):
            rows.append({"id": f"{number}:{part}:{doc.doc_id}"[:4200], "gen": number, "doc_id": doc.doc_id, "title": doc.title[:2000],
                         "sha256": doc.sha256, "text": doc.text[at : at + PIECE], "part": part, "size": doc.size, "unused": [0.0, 0.0]})
    _put(client, DOCUMENTS, rows)
    # Rows are made a batch at a time (generators): a list of every sentence's vector as Python floats would take
    # about 12 KB a sentence, 4.8 GB at 10^5 chunks.
    _put(client, CHUNKS, (
        {"pk": row_key(number, i), "id": i, "gen": number, "doc": ids[tables.chunk_doc[i]],
         "start": int(tables.chunk_start[i]), "end": int(tables.chunk_end[i]),
         "first": int(tables.chunk_first[i]), "last": int(tables.chunk_last[i]), "dense": chunk_vecs[i].tolist(),
         "words": " ".join(tokens(documents[ids[tables.chunk_doc[i]]].text[tables.chunk_start[i] : tables.chunk_end[i]]))
         .encode("utf-8")[:MAX_WORDS_TEXT].decode("utf-8", "ignore") or "_"}
        for i in range(len(tables.chunk_start))))
    _put(client, SENTENCES, (
        {"pk": row_key(number, i), "id": i, "gen": number, "doc": ids[tables.sent_doc[i]],
         "start": int(tables.sent_start[i]), "end": int(tables.sent_end[i]),
         "vector": sent_vecs[i].tolist()} for i in range(len(tables.sent_start))))
    manifest = (gen / store.MANIFEST).read_text(encoding="utf-8")
    idf = (gen / store.IDF).read_text(encoding="utf-8")
    _put(client, META, [_meta_row(key, value[at : at + PIECE], number, part) for key, value in (("manifest", manifest), ("idf", idf))
                        for part, at in enumerate(range(0, len(value), PIECE))])


def _meta_row(key: str, value: str, number: int, part: int = 0) -> dict[str, Any]:
    """A row of rag_meta: one piece of a value (the manifest and the IDF table take several)."""
    pk = "current" if key == "current" else f"{number}:{key}:{part}"
    return {"id": pk, "gen": number, "key": key, "part": part, "value": value, "unused": [0.0, 0.0]}


def _put(client: Any, name: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert `rows`, BATCH at a time, taking them from the iterable only as each insert needs them."""
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        client.insert(name, batch)


def _all(client: Any, name: str, where: str, fields: list[str], order: str, batch: int = READ_BATCH) -> list[dict[str, Any]]:
    """Every row of a collection matching `where`, read in batches, sorted by `order`."""
    it = client.query_iterator(name, filter=where, output_fields=fields, batch_size=batch)
    rows: list[dict[str, Any]] = []
    try:
        while batch := it.next():
            rows.extend(batch)
    finally:
        it.close()
    return sorted(rows, key=lambda r: r[order])


def said(exc: BaseException) -> str:
    """An exception's first line, short."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
