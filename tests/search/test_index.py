"""The loaded index's view of a document's opening: a title or a heading is context, never an answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from rag.search.indexer import build_index
from tests.conftest import make_settings
from tests.pdfmake import simple_pdf


@pytest.mark.slow
def test_a_pdfs_opening_heading_is_no_answer_though_its_metadata_title_differs(
    docs_and_index: tuple[Path, Path], embedder: Embedder
) -> None:
    docs, index_dir = docs_and_index
    lines = ["Millbrook Town Council: Capital and", "Operating Budget 2023-2025",
             "The council approved its three-year budget in March.", "Roads get the largest share."]
    (docs / "budget.pdf").write_bytes(simple_pdf(lines, title="Millbrook Budget"))
    (docs / "note.pdf").write_bytes(simple_pdf(["The wifi password is orange-kite-42.", "Ask reception for a pass."], title="Notes"))
    settings = make_settings(docs, index_dir)
    build_index(settings, embedder)
    index = LoadedIndex.load(index_dir, settings.model)
    first = {index.sentence_doc(i).doc_id: i for i in reversed(range(len(index.tables.sent_doc)))}
    assert index.documents["budget.pdf"].title == "Millbrook Budget"
    assert index.is_heading(first["budget.pdf"]) and not index.is_heading(first["budget.pdf"] + 1)
    assert not index.is_heading(first["note.pdf"])  # a sentence opening a PDF is content
