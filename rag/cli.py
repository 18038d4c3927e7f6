"""The `rag` command: index, ask, serve, eval and bench."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rag.errors import ConfigError, RagError
from rag.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; expected errors print one line and exit 1."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(
            docs_dir=getattr(args, "docs", None), index_dir=getattr(args, "index", None), model=getattr(args, "model", None),
            watch=getattr(args, "watch", None), store=getattr(args, "store", None), milvus_uri=getattr(args, "milvus_uri", None),
            ray=getattr(args, "ray", None) or (True if getattr(args, "ray_address", None) else None),
            ray_address=getattr(args, "ray_address", None),
        )
        return int(args.run(args, settings) or 0)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Answer questions from your documents with verbatim, cited quotes.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--docs", type=Path, help="documents folder (default: seeds, or RAG_DOCS_DIR)")
        p.add_argument("--index", type=Path, help="index folder (default: index, or RAG_INDEX_DIR)")
        p.add_argument("--model", help="sentence-transformers model name or path (default: the packaged all-MiniLM-L6-v2)")
        p.add_argument("--store", choices=("local", "milvus"), help="where the index lives (default: local, or RAG_STORE)")
        p.add_argument("--milvus-uri", help="Milvus Lite file or Milvus server URL (default: INDEX/rag.db, or RAG_MILVUS_URI)")

    p = sub.add_parser("index", help="build or update the index of a documents folder")
    common(p)
    p.add_argument("--force", action="store_true", help="re-embed every document")
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")
    p.add_argument("--ray", action="store_true", default=None, help="embed on Ray: a local Ray, or the cluster at --ray-address")
    p.add_argument("--ray-address", help="a Ray cluster's address, e.g. ray://head:10001 (default: start a local Ray)")
    p.set_defaults(run=_index)

    p = sub.add_parser("ask", help="ask one question")
    common(p)
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the same JSON object as POST /api/ask")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--history", type=Path, help="a JSON file of earlier turns: [{role, content}, ...]")
    p.set_defaults(run=_ask)

    p = sub.add_parser("serve", help="serve the chat page and the HTTP API")
    common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--watch", action="store_true", default=None,
                   help="index files added, changed or deleted in the documents folder as they appear (or RAG_WATCH=1)")
    p.set_defaults(run=_serve)

    p = sub.add_parser("mcp", help="serve the documents to an MCP client over stdio (tools ask, search, get_document)")
    common(p)
    p.set_defaults(run=_mcp)

    from evals import bench, harness

    p = sub.add_parser("eval", help="measure answer quality on a gold file")
    common(p)
    harness.add_arguments(p)
    p.set_defaults(run=harness.main)

    p = sub.add_parser("bench", help="measure speed, load, scale and memory; writes evals/BENCHMARKS.md")
    common(p)
    bench.add_arguments(p)
    p.set_defaults(run=bench.main)
    return parser


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from rag.search.embedder import Embedder
    from rag.search.indexer import build_index, is_stale

    if args.if_stale and not is_stale(settings):
        print(f"index in {settings.index_dir} is up to date")
        return 0
    embedder = Embedder.from_settings(settings)
    report = build_index(settings, embedder, force=args.force, log=lambda m: print(m, file=sys.stderr))
    state = "up to date" if report.up_to_date else f"built {report.generation}"
    print(
        f"{state}: {report.documents} documents, {report.chunks} chunks, {report.sentences} sentences; "
        f"{report.embedded_documents} embedded, {report.reused_documents} reused, {len(report.skipped)} skipped; {report.seconds:.1f} s"
    )
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.engine import Engine

    history = None
    if args.history:
        try:
            history = json.loads(args.history.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"can't read history file {args.history}: {exc}") from exc
    answer = Engine(settings).ask(args.question, history, args.top_k)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    for c in answer.citations:
        print(f"  [{c.n}] {c.doc_id} (chars {c.start}-{c.end})")
    if answer.abstained:
        for p in answer.passages[:3]:
            print(f"  - {p.doc_id} (chars {p.start}-{p.end}): {preview(p.text)}")
    if answer.searched_question != answer.question:
        print(f"  (searched: {answer.searched_question})")
    return 0


def preview(text: str, limit: int = 160) -> str:
    """A passage on one line, cut at a word within `limit` characters.

    >>> preview("## Printing\\n\\n- The printer is on the second floor.", 30)
    '## Printing - The printer is…'
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _mcp(args: argparse.Namespace, settings: Settings) -> int:
    from server.mcp_tools import serve_stdio

    serve_stdio(replace(settings, progress=False))  # stdout carries the protocol alone
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from server.main import serve

    serve(settings, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
