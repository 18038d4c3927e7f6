"""Build an index with the Milvus store in a process of its own (Milvus Lite serves one process a file).

    python milvus_build.py DOCS INDEX            build
    python milvus_build.py DOCS INDEX kill       build, SIGKILLed after the first rows reach Milvus
    python milvus_build.py DOCS INDEX kill-at N  print what readers see now (one JSON line), then build, SIGKILLed
                                                 just before the N-th write (insert, upsert or delete) to Milvus
    python milvus_build.py DOCS INDEX look       print what readers see now, and the rows of other generations

as a power cut mid-publish would kill it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from rag.engine import Engine
from rag.search import milvus
from rag.settings import Settings

HARBOUR_Q, SEED_Q = "How many barrels of tar did Brenzo count?", "Who is Keith Kellogg?"


def look(engine: Engine) -> dict[str, Any]:
    """The generation readers get, its documents, and whether each corpus's question is answered."""
    index = engine.index
    client = milvus.connect(engine.settings)
    stray = sum(len(client.query(name, filter=f"gen != {milvus.current(client)}", output_fields=["id"], limit=100))
                for name in (milvus.CHUNKS, milvus.SENTENCES, milvus.DOCUMENTS))
    return {"generation": index.generation, "documents": sorted(index.documents), "stray_rows": stray,
            "harbour": not engine.ask(HARBOUR_Q).abstained, "seed": not engine.ask(SEED_Q).abstained}


def die_before_write(n: int) -> None:
    """SIGKILL this process just before its n-th write to Milvus."""
    from pymilvus import MilvusClient

    writes = [0]
    for name in ("insert", "upsert", "delete"):
        real = getattr(MilvusClient, name)

        def counted(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            writes[0] += 1
            if writes[0] == n:
                os.kill(os.getpid(), signal.SIGKILL)
            return _real(self, *args, **kwargs)

        setattr(MilvusClient, name, counted)


if __name__ == "__main__":
    docs, index, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    engine = Engine(Settings(docs_dir=docs, index_dir=index, store="milvus", progress=False))
    if mode[:1] in (["kill-at"], ["look"]):
        print(json.dumps(look(engine)), flush=True)
    if mode[:1] == ["look"]:
        sys.exit(0)
    if mode == ["kill"]:
        real_put = milvus._put

        def put_then_die(client: Any, name: str, rows: list[dict[str, Any]]) -> None:
            real_put(client, name, rows[:1])
            os.kill(os.getpid(), signal.SIGKILL)

        milvus._put = put_then_die
    if mode[:1] == ["kill-at"]:
        die_before_write(int(mode[1]))
    engine.build()
