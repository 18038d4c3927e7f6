"""Putting uploaded files into the documents folder and taking them out: safe names, atomic writes, no path from a client."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from rag.errors import DocumentError, DocumentNotFoundError, StorageFullError
from rag.ingest.loaders import SUPPORTED_SUFFIXES

_UNSAFE = re.compile(r"[^\w. -]+")  # \w keeps letters of every script
_MAX_NAME = 100
_CHUNK = 1024 * 1024


class UnsupportedTypeError(DocumentError):
    """The upload's type is not one the loaders read."""


class TooLargeError(DocumentError):
    """The upload is over the size limit."""


class StorageError(DocumentError):
    """The documents folder can't be written (permissions, full disk): the server's problem, not the client's."""


def safe_name(filename: str) -> str:
    """A file name that can't leave the folder, hide itself or surprise a shell; keeps the suffix.

    >>> safe_name("../../etc/My Report (final).TXT")
    'My Report -final.txt'
    >>> safe_name("C:\\\\Users\\\\x\\\\.env.md")
    'env.md'
    """
    base = unicodedata.normalize("NFKC", filename).replace("\\", "/").rsplit("/", 1)[-1].strip()  # "x.md " is x.md
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedTypeError(f"unsupported file type {suffix or '(none)'}: upload one of {allowed}")
    stem = _UNSAFE.sub("-", stem).strip(" .-")[:_MAX_NAME].strip(" .-") or "document"
    return stem + suffix


def free_name(folder: Path, name: str) -> str:
    """`name`, or `name-2`, `name-3`... so an upload never overwrites a document already there."""
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 1
    while (folder / candidate).exists() or (folder / candidate).is_symlink():
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    return candidate


def store_upload(folder: Path, filename: str, source: BinaryIO, max_bytes: int) -> tuple[str, str]:
    """Copy an upload into `folder` under a safe, unused name, atomically; returns the new document id and the
    sha256 of its bytes (taken while writing, so a copy of an indexed file is known without reading it back)."""
    name = safe_name(filename)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A hidden temporary name: the loader skips it if a build runs while it is being written.
        fd, tmp = tempfile.mkstemp(prefix=PART_PREFIX, suffix=".part", dir=folder)
    except OSError as exc:
        raise StorageError(f"can't write to the documents folder ({exc.strerror})") from exc
    written, digest = 0, hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            while block := source.read(_CHUNK):
                written += len(block)
                digest.update(block)
                if written > max_bytes:
                    raise TooLargeError(f"the file is larger than the upload limit of {max_bytes:,} bytes")
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if written == 0:
            raise DocumentError("the file is empty")
        name = free_name(folder, name)
        os.replace(tmp, folder / name)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFullError(f"the disk is full: the upload could not be saved in the documents folder (about {written / 1e6:.1f} MB "
                                   "written before it ran out); nothing was added. Free some space and try again") from exc
        raise StorageError(f"can't write to the documents folder ({exc.strerror})") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name, digest.hexdigest()


ASIDE_PREFIX = ".deleting-"  # hidden, so a build run meanwhile doesn't read it
PART_PREFIX = ".upload-"


def set_aside(path: Path) -> Path:
    """Move a document's file to a hidden name beside it, so a delete can be undone if its rebuild fails."""
    aside = path.with_name(f"{ASIDE_PREFIX}{path.name}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise StorageError(f"can't delete the file from the documents folder ({exc.strerror})") from exc
    return aside


def put_back(aside: Path) -> None:
    """Undo `set_aside`: the document is where it was."""
    os.replace(aside, aside.with_name(aside.name[len(ASIDE_PREFIX) :]))


def remove(path: Path) -> None:
    """Delete a file (a symlink itself, never its target)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise StorageError(f"can't delete the file from the documents folder ({exc.strerror})") from exc


def recover(folder: Path, indexed: set[str]) -> list[str]:
    """Settle what a killed server left in the documents folder; returns one line for each thing done.

    An upload cut off while it was written (`.upload-*.part`) is removed. A delete cut off before its rebuild was
    published (its document is still indexed) is undone; one whose rebuild was published is finished.
    """
    notes: list[str] = []
    if not folder.is_dir():
        return notes
    for part in folder.rglob(f"{PART_PREFIX}*.part"):
        part.unlink(missing_ok=True)
        notes.append(f"removed an unfinished upload ({part.name})")
    for aside in folder.rglob(f"{ASIDE_PREFIX}*"):
        original = aside.with_name(aside.name[len(ASIDE_PREFIX) :])
        doc_id = original.relative_to(folder).as_posix()
        if doc_id in indexed and not original.exists():
            put_back(aside)
            notes.append(f"restored {doc_id}: its delete was interrupted before the index changed")
        else:
            aside.unlink(missing_ok=True)
            notes.append(f"finished deleting {doc_id}")
    return notes


def document_path(folder: Path, doc_id: str) -> Path | None:
    """The file of an indexed document inside `folder`, or None when it is already gone (ids come from the index, never a URL).

    A symlink is returned as itself: unlinking it removes the link, never its target.
    """
    root = folder.resolve()
    rel = Path(doc_id)
    if rel.is_absolute() or ".." in rel.parts:
        raise DocumentNotFoundError("no document has this id")
    path = root / rel
    if not path.parent.resolve().is_relative_to(root):
        raise DocumentNotFoundError("no document has this id")
    if path.is_symlink():
        return path
    if not path.exists():
        return None
    if not path.is_file():
        raise DocumentError(f"document {doc_id} is not a regular file")
    return path
