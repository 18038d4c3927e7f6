"""Build an index with the Milvus store in a process of its own (`python milvus_build.py DOCS INDEX [kill]`); with
`kill`, the process SIGKILLs itself after its first rows reach Milvus, as a power cut mid-publish would."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from rag.engine import Engine
from rag.search import milvus
from rag.settings import Settings

if __name__ == "__main__":
    docs, index = Path(sys.argv[1]), Path(sys.argv[2])
    if sys.argv[3:] == ["kill"]:
        real = milvus._put

        def put_then_die(client: Any, name: str, rows: list[dict[str, Any]]) -> None:
            real(client, name, rows[:1])
            os.kill(os.getpid(), signal.SIGKILL)

        milvus._put = put_then_die
    Engine(Settings(docs_dir=docs, index_dir=index, store="milvus", progress=False)).build()
