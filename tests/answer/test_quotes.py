"""Composing the answer from ranked sentences: verbatim quotes, lists with their lead-ins, table rows with headers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.answer.composer import Candidate
from rag.answer.quotes import compose
from rag.engine import Engine
from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from tests.conftest import make_settings

pytestmark = pytest.mark.slow
HANDBOOK = (
    "# Sickness absence\n\nCompany sick pay is paid at full salary for up to ten working days.\n\n"
    "If you are too unwell to work, follow these steps:\n"
    "1. Phone your line manager before 9:30 on the first day of absence.\n2. Record the absence in BreatheHR.\n\n"
    "# Holidays\n\nBook holidays two weeks ahead.\n"
)


@pytest.fixture
def handbook(docs_and_index: tuple[Path, Path], embedder: Embedder) -> LoadedIndex:
    docs, index = docs_and_index
    (docs / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    engine = Engine(make_settings(docs, index), embedder)
    engine.build()
    return engine.index


def _ranked(index: LoadedIndex, *openings: str) -> list[Candidate]:
    """Candidates for the sentences opening with these words, in this order, scores one apart."""
    ids = [next(i for i in range(len(index.tables.sent_doc)) if index.sentence_text(i).startswith(o)) for o in openings]
    return [Candidate(sid, 0, np.zeros(15, dtype=np.float32), 10.0 - n) for n, sid in enumerate(ids)]


def test_compose_quotes_a_runner_up_lead_in_with_the_list_it_introduces(handbook: LoadedIndex) -> None:
    text, citations = compose(handbook, _ranked(handbook, "Company sick pay", "If you are too unwell"), 60, 3.0)
    assert [c.quote for c in citations] == [
        "Company sick pay is paid at full salary for up to ten working days.",
        "If you are too unwell to work, follow these steps:\n1. Phone your line manager before 9:30 on the first day of"
        " absence.\n2. Record the absence in BreatheHR.",
    ]
    assert all(handbook.documents[c.doc_id].text[c.start : c.end] == c.quote for c in citations)
    assert text.endswith("Record the absence in BreatheHR. [2]")


def test_compose_leaves_out_a_runner_up_lead_in_whose_list_the_answer_already_quotes(handbook: LoadedIndex) -> None:
    _, citations = compose(handbook, _ranked(handbook, "1. Phone your line manager", "If you are too unwell"), 60, 3.0)
    assert [c.quote for c in citations] == ["1. Phone your line manager before 9:30 on the first day of absence."]
