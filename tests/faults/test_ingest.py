"""Re-ingesting: twice, after a kill, after a deletion, with duplicates: stable counts, no duplicate citations."""

from __future__ import annotations

import signal

from faultkit import QUESTIONS, Baseline, leftovers, spawn_builder

from rag.engine import Engine
from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from rag.search.indexer import build_index
from rag.settings import Settings


def _no_duplicates(engine: Engine) -> None:
    for question in QUESTIONS:
        answer = engine.ask(question)
        spans = [(c.doc_id, c.start, c.end) for c in answer.citations]
        assert len(spans) == len(set(spans)), answer.to_dict()
        quotes = [c.quote for c in answer.citations]
        assert len(quotes) == len(set(quotes)), answer.to_dict()
        passages = [p.text for p in answer.passages]
        assert len(passages) == len(set(passages)), answer.to_dict()


def test_ingesting_twice_changes_nothing(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    report = build_index(work, embedder)
    assert report.up_to_date and report.chunks == baseline.chunks and report.embedded_documents == 0
    assert LoadedIndex.load(work.index_dir, work.model).generation == baseline.generation


def test_same_content_under_other_names_and_line_ends_is_indexed_once(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    seed = next(p for p in work.docs_dir.iterdir() if not p.name.startswith("ledger-"))
    raw = seed.read_bytes()
    (work.docs_dir / "copy-of-article.txt").write_bytes(raw)
    (work.docs_dir / "article-windows.txt").write_bytes(raw.replace(b"\n", b"\r\n"))  # other bytes, same text
    (work.docs_dir / "article-bom.md").write_bytes(b"\xef\xbb\xbf" + raw)
    report = build_index(work, embedder)
    assert report.chunks == baseline.chunks, report
    same = {s.path for s in report.skipped if s.reason.startswith("same content as")}
    assert len(same) == 3 and same < {seed.name, "copy-of-article.txt", "article-windows.txt", "article-bom.md"}, report.skipped
    _no_duplicates(Engine(work, embedder))


def test_deleted_documents_leave_the_index_and_are_never_cited(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    seed = next(p for p in work.docs_dir.iterdir() if not p.name.startswith("ledger-"))
    text = seed.read_text(encoding="utf-8")
    (work.docs_dir / "ledger-0000.txt").unlink()
    (work.docs_dir / "ledger-0001.txt").unlink()
    report = build_index(work, embedder)
    assert report.chunks == baseline.chunks - 2 and report.embedded_documents == 0
    index = LoadedIndex.load(work.index_dir, work.model)
    assert "ledger-0000.txt" not in index.documents and "ledger-0001.txt" not in index.documents
    seed.unlink()
    build_index(work, embedder)
    engine = Engine(work, embedder)
    for question in QUESTIONS:
        answer = engine.ask(question)
        assert all(c.doc_id != seed.name for c in answer.citations) and all(p.doc_id != seed.name for p in answer.passages)
        assert not any(c.quote in text for c in answer.citations if len(c.quote) > 40)


def test_build_killed_halfway_then_rerun_equals_an_uninterrupted_build(work: Settings, baseline: Baseline, embedder: Embedder) -> None:
    for i in range(3):
        (work.docs_dir / f"new-{i}.txt").write_text(f"New ledger {i}\nThe mill of Yssel ground {300 + i} sacks of rye.\n", encoding="utf-8")
    child = spawn_builder(work, load_model=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "started"
    child.send_signal(signal.SIGKILL)  # the model is loaded, the build has just begun
    child.communicate(timeout=60)
    assert LoadedIndex.load(work.index_dir, work.model).chunk_count == baseline.chunks
    report = build_index(work, embedder)
    assert leftovers(work.index_dir) == []
    assert report.chunks == baseline.chunks + 3 and report.embedded_documents == 3
    again = build_index(work, embedder)
    assert again.up_to_date and again.chunks == report.chunks
    _no_duplicates(Engine(work, embedder))
