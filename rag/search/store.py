"""The on-disk index: generations swapped in atomically, a manifest that guards them, a build lock."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexBusyError, IndexCorruptError, IndexMismatchError, IndexMissingError
from rag.schema import Document

FORMAT = "rag-index"
FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
STORE = "store.sqlite"
CHUNK_VECTORS = "chunk_vectors.npy"
SENTENCE_VECTORS = "sentence_vectors.npy"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
IDF = "idf.json"
BUILD_PREFIX = "build-"
GEN_PREFIX = "gen-"
_SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL);
CREATE TABLE sentences (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
                     first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL);
"""


def rebuild_hint(index_dir: Path) -> str:
    """The sentence that tells a user how to get a good index back."""
    return f"rebuild it with: rag index --docs DIR --index {index_dir}"


@dataclass(frozen=True)
class Tables:
    """The chunk and sentence offsets of a generation, as parallel arrays (row i is id i)."""

    chunk_doc: np.ndarray  # int32 index into doc_ids
    chunk_start: np.ndarray
    chunk_end: np.ndarray
    chunk_first: np.ndarray
    chunk_last: np.ndarray
    sent_doc: np.ndarray
    sent_start: np.ndarray
    sent_end: np.ndarray
    doc_ids: tuple[str, ...]


def current_generation(index_dir: Path) -> Path:
    """The folder of the generation CURRENT points at; raises IndexMissingError when none was built."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        if any(index_dir.glob(f"{GEN_PREFIX}*")):
            raise IndexCorruptError(f"{pointer} is missing, though generations exist; {rebuild_hint(index_dir)}") from exc
        raise IndexMissingError(f"no index in {index_dir}: build one with: rag index --docs DIR --index {index_dir}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{pointer} is unreadable; {rebuild_hint(index_dir)}") from exc
    if not name.startswith(GEN_PREFIX) or "/" in name or not (index_dir / name).is_dir():
        raise IndexCorruptError(f"{pointer} names no generation ({name[:40]!r}); {rebuild_hint(index_dir)}")
    return index_dir / name


def read_manifest(gen: Path, index_dir: Path) -> dict[str, Any]:
    """Read and check a generation's manifest (format, version, files' sizes and hashes)."""
    path = gen / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{path} is missing; {rebuild_hint(index_dir)}") from exc
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is damaged ({type(exc).__name__}); {rebuild_hint(index_dir)}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{path} is not a {FORMAT} manifest; {rebuild_hint(index_dir)}")
    if manifest.get("version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{path} has format version {manifest.get('version')}, this program reads version {FORMAT_VERSION}; "
            + rebuild_hint(index_dir)
        )
    # The manifest guards every other file, so it guards itself too: a flipped byte in a count or a hash is caught here.
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise IndexCorruptError(f"{path} is damaged (its checksum does not match its content); {rebuild_hint(index_dir)}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files or not all(isinstance(meta, dict) for meta in files.values()):
        raise IndexCorruptError(f"{path} lists no index files; {rebuild_hint(index_dir)}")
    for name, meta in files.items():
        if name.startswith("/") or ".." in Path(name).parts:
            raise IndexCorruptError(f"{path} names a file outside its generation ({name[:60]!r}); {rebuild_hint(index_dir)}")
        verify_file(gen / name, meta, index_dir)
    return manifest


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON without its own "checksum" field."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def write_manifest(gen: Path, manifest: dict[str, Any]) -> None:
    """Write a generation's manifest with its own checksum."""
    sealed = {**manifest, "checksum": manifest_checksum(manifest)}
    (gen / MANIFEST).write_text(json.dumps(sealed, indent=1, ensure_ascii=False), encoding="utf-8")


def check_model(manifest: dict[str, Any], model: str, index_dir: Path) -> None:
    """Refuse an index built with another model than the configured one."""
    if manifest.get("model") != model:
        raise IndexMismatchError(
            f"the index in {index_dir} was built with model {manifest.get('model')!r} but {model!r} is configured; "
            f"{rebuild_hint(index_dir)} (or configure model {manifest.get('model')!r})"
        )


def verify_file(path: Path, meta: dict[str, Any], index_dir: Path) -> None:
    """Check a file's size and sha256 against the manifest."""
    try:
        size = path.stat().st_size
        same = size == meta.get("bytes") and file_sha256(path) == meta.get("sha256")
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{path} is missing; {rebuild_hint(index_dir)}") from exc
    except OSError as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc.strerror}); {rebuild_hint(index_dir)}") from exc
    if not same:
        raise IndexCorruptError(f"{path} is damaged (size or checksum differs from the manifest); {rebuild_hint(index_dir)}")


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_store(
    path: Path, documents: list[Document], sentences: list[tuple[str, int, int]], chunks: list[tuple[str, int, int, int, int]]
) -> None:
    """Write documents, sentences and chunks to a new SQLite file (ids are row positions)."""
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        con.executemany("INSERT INTO documents VALUES (?,?,?,?,?)", [(d.doc_id, d.title, d.text, d.sha256, d.size) for d in documents])
        con.executemany("INSERT INTO sentences VALUES (?,?,?,?)", [(i, *s) for i, s in enumerate(sentences)])
        con.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?)", [(i, *c) for i, c in enumerate(chunks)])
        con.commit()
    finally:
        con.close()


def read_store(path: Path, index_dir: Path) -> tuple[dict[str, Document], Tables]:
    """Read a store written by `write_store`."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT doc_id, title, text, sha256, size FROM documents ORDER BY doc_id")
            docs = {row[0]: Document(*row) for row in rows}
            sent = con.execute("SELECT doc_id, start, end FROM sentences ORDER BY id").fetchall()
            chunk = con.execute("SELECT doc_id, start, end, first_sentence, last_sentence FROM chunks ORDER BY id").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"{path} is damaged ({exc}); {rebuild_hint(index_dir)}") from exc
    doc_ids = tuple(docs)
    pos = {d: i for i, d in enumerate(doc_ids)}
    try:
        tables = Tables(
            chunk_doc=np.array([pos[c[0]] for c in chunk], dtype=np.int32),
            chunk_start=np.array([c[1] for c in chunk], dtype=np.int64),
            chunk_end=np.array([c[2] for c in chunk], dtype=np.int64),
            chunk_first=np.array([c[3] for c in chunk], dtype=np.int64),
            chunk_last=np.array([c[4] for c in chunk], dtype=np.int64),
            sent_doc=np.array([pos[s[0]] for s in sent], dtype=np.int32),
            sent_start=np.array([s[1] for s in sent], dtype=np.int64),
            sent_end=np.array([s[2] for s in sent], dtype=np.int64),
            doc_ids=doc_ids,
        )
    except KeyError as exc:
        raise IndexCorruptError(f"{path} names an unknown document {exc}; {rebuild_hint(index_dir)}") from exc
    return docs, tables


def save_vectors(path: Path, vectors: np.ndarray) -> None:
    """Write a float32 matrix as .npy (no pickle)."""
    np.save(path, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)


def load_vectors(path: Path, index_dir: Path) -> np.ndarray:
    """Read a float32 matrix written by `save_vectors`."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is damaged ({exc}); {rebuild_hint(index_dir)}") from exc


def describe_files(gen: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file of a generation, for the manifest."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in gen.rglob("*") if p.is_file() and p.name != MANIFEST):
        out[path.relative_to(gen).as_posix()] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    return out


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under `folder` to disk, so a crash can't leave a half-written generation."""
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def generation_name(number: int) -> str:
    """A generation's folder name.

    >>> generation_name(7), generation_number("gen-000007")
    ('gen-000007', 7)
    """
    return f"{GEN_PREFIX}{number:06d}"


def generation_number(name: str) -> int:
    """The number in a generation's name (see `generation_name`)."""
    return int(name[len(GEN_PREFIX) :])


def publish(index_dir: Path, build: Path, generation: int) -> Path:
    """Rename a finished build to its generation name and point CURRENT at it atomically."""
    final = index_dir / generation_name(generation)
    os.replace(build, final)
    tmp = index_dir / f"{CURRENT}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(final.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


def folder_bytes(folder: Path) -> int:
    """The bytes of the files under a folder."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def room_for_build(index_dir: Path, current: Path | None) -> int:
    """Make room for a new generation, about the size of the current one: when the disk has less free space than
    that, generations older than the current one are removed first (it is never removed). Returns the bytes needed.
    """
    need = int(folder_bytes(current) * 1.2) + (1 << 20) if current is not None and current.is_dir() else 1 << 20
    if shutil.disk_usage(index_dir).free < need:
        clean_leftovers(index_dir, keep=1)
    return need


def is_disk_full(exc: BaseException) -> bool:
    """True for a write refused for want of space (OSError ENOSPC/EDQUOT, or SQLite's "disk is full")."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "disk is full" in str(exc) or "database or disk is full" in str(exc)


def disk_full_message(index_dir: Path, need: int) -> str:
    """What happened, where, and how much room is wanted: one line for the CLI and the HTTP 507."""
    free = shutil.disk_usage(index_dir).free if index_dir.exists() else 0
    return (f"the disk is full: the index in {index_dir} could not be written ({free / 1e6:.1f} MB free, about "
            f"{need / 1e6:.1f} MB needed); the previous index is still served. Free some space and try again")


def next_generation(index_dir: Path) -> int:
    """One more than the highest generation number in the folder."""
    numbers = [generation_number(p.name) for p in index_dir.glob(f"{GEN_PREFIX}*") if p.name[len(GEN_PREFIX) :].isdigit()]
    return max(numbers, default=0) + 1


def clean_leftovers(index_dir: Path, keep: int = 2) -> None:
    """Remove unfinished builds and all but the `keep` newest generations (the current one always stays)."""
    try:
        current = current_generation(index_dir).name
    except (IndexMissingError, IndexCorruptError):
        current = ""
    for path in index_dir.glob(f"{BUILD_PREFIX}*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(f"{CURRENT}.tmp-*"):
        path.unlink(missing_ok=True)
    gens = sorted((p for p in index_dir.glob(f"{GEN_PREFIX}*") if p.is_dir()), key=lambda p: p.name)
    for path in gens[:-keep]:
        if path.name != current:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def build_lock(index_dir: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the index folder's build lock; a second builder waits `wait_s` then gets IndexBusyError.

    The lock is an OS file lock, so a killed builder releases it and leaves no stale lock behind.
    """
    from filelock import FileLock, Timeout

    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / ".lock"))
    try:
        lock.acquire(timeout=wait_s)
    except Timeout as exc:
        raise IndexBusyError(f"another process is building the index in {index_dir}; try again when it is done") from exc
    try:
        yield
    finally:
        lock.release()
