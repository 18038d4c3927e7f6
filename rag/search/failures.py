"""Files that failed to parse, remembered beside the generations so that a rebuild doesn't parse them again until
they change."""

from __future__ import annotations

import json
import time
from pathlib import Path

from rag.ingest import ocr
from rag.ingest.chunking import SPLITTER_VERSION
from rag.ingest.loaders import LoadResult
from rag.settings import Settings

FAILURES = "failed.json"  # beside the generations: the sha256 of files that failed to parse, with the reason


def _key(settings: Settings) -> str:
    """What a remembered failure depends on: the reader's version, the limits it ran under and whether OCR could read
    scans (a scan refused for want of Tesseract is read again once it is installed)."""
    return f"splitter {SPLITTER_VERSION}; max {settings.max_file_bytes}; timeout {settings.pdf_timeout_s}; ocr {ocr.available()}"


def remembered(index_dir: Path, settings: Settings) -> dict[str, str]:
    """Files that failed to parse under these settings (sha256 -> reason); {} when none are remembered."""
    try:
        data = json.loads((index_dir / FAILURES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("key") == _key(settings) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def remember(index_dir: Path, settings: Settings, loaded: LoadResult, before: dict[str, str]) -> None:
    """Write the failures of this load (a cache: a write that fails only costs a parse next time)."""
    now = {s.sha256: s.reason for s in loaded.skipped if s.sha256}
    if now == before:
        return
    tmp = index_dir / f".{FAILURES}.tmp-{time.time_ns()}"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"key": _key(settings), "files": now}, indent=1), encoding="utf-8")
        tmp.replace(index_dir / FAILURES)
    except OSError:
        tmp.unlink(missing_ok=True)
