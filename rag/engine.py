"""The engine: one loaded index and one embedder behind `ask()`, shared by the CLI, the server and the evals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

from rag.answer.composer import ABSTAIN_TEXT, candidates, confidence, on_topic, question_features
from rag.answer.conversation import standalone_question
from rag.answer.features import asks_for_several, question_info
from rag.answer.learned import (
    HYBRID_CANDIDATES,
    LEARNED_CANDIDATES,
    LEARNED_SECOND_MARGIN,
    AnswerScorer,
    blend,
    default_dir,
    rerank,
)
from rag.answer.quotes import compose
from rag.errors import ConfigError, RagError
from rag.ingest.pageview import PageViews, is_pdf
from rag.schema import Answer, Citation, Passage
from rag.search import store
from rag.search.embedder import Embedder
from rag.search.index import LoadedIndex
from rag.search.indexer import BuildReport, Progress, build_index, is_stale, ocr_folder
from rag.search.retrieval import Hit, retrieve
from rag.settings import Settings

NO_DOCUMENTS_TEXT = "There are no documents yet: add some (upload them on the page, or put them in the documents folder)."
COMPOSER_THRESHOLD = 0.54  # the composer's confidence threshold, chosen with evals/fit.py (evals/README.md)
COMPOSER_SECOND_MARGIN = 3.0  # composer score units, measured in evals/README.md
PLACE_TIMEOUT_S = 10.0  # finding a PDF quote's page and boxes takes 0.1-1 s; a file that takes longer gets none


class Engine:
    """Answers questions over the current index generation; `reload()` picks up a newer one.

    >>> engine = Engine(Settings())  # cheap: the model and the index load on first use
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None, scorer: AnswerScorer | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self.scorer = scorer
        if scorer is None and settings.answer_scorer in ("learned", "hybrid"):
            self.scorer = AnswerScorer(settings.scorer_dir or default_dir(), threads=settings.threads)
        self._index: LoadedIndex | None = None
        self._lock = threading.Lock()

    @cached_property
    def pages(self) -> PageViews:
        """The PDFs' page views: where quotes lie on their pages, and the pages as pictures."""
        return PageViews(self.settings.docs_dir, self.settings.pdf_timeout_s, ocr_folder(self.settings))

    @property
    def abstain_threshold(self) -> float:
        """Confidence below which answers abstain: the settings', else the learned scorer's calibrated one."""
        if self.settings.abstain_threshold is not None:
            return self.settings.abstain_threshold
        if self.scorer is None or self.settings.answer_scorer == "hybrid":
            return COMPOSER_THRESHOLD
        return self.scorer.threshold()

    @property
    def second_quote_margin(self) -> float:
        """How near the best the runner-up must score to be quoted too, in the units of the scorer in use."""
        if self.settings.second_quote_margin is not None:
            return self.settings.second_quote_margin
        learned = self.scorer is not None and self.settings.answer_scorer != "hybrid"  # hybrid scores are in composer units
        return LEARNED_SECOND_MARGIN if learned else COMPOSER_SECOND_MARGIN

    @property
    def index(self) -> LoadedIndex:
        """The loaded generation (loaded on first use)."""
        current = self._index
        if current is None:
            with self._lock:
                if self._index is None:
                    self._index = LoadedIndex.open(self.settings)
                current = self._index
        return current

    def generation_on_disk(self) -> str:
        """The name of the generation CURRENT points at (it may be newer than the one served); with the Milvus
        store, the generation Milvus serves."""
        if self.settings.store == "milvus":
            from rag.search import milvus

            number = milvus.current(milvus.connect(self.settings))
            return store.generation_name(number or 0)
        return store.current_generation(self.settings.index_dir).name

    def reload(self) -> bool:
        """Load the generation CURRENT points at if it is newer; True when it changed."""
        gen = self.generation_on_disk()
        if self._index is not None and self._index.generation == gen:
            return False
        fresh = LoadedIndex.open(self.settings)
        with self._lock:
            self._index = fresh  # one assignment: readers see the old or the new generation, never a mix
        return True

    def is_stale(self) -> bool:
        """True when the documents folder or the settings changed since the index on disk was built."""
        return is_stale(self.settings)

    def build(self, force: bool = False, progress: Progress | None = None, log: Callable[[str], None] | None = None) -> BuildReport:
        """Bring the index up to date with the documents folder, then serve the new generation (`progress` and `log`:
        see `build_index`)."""
        report = build_index(self.settings, self.embedder, force=force, log=log, progress=progress)
        self.reload()
        return report

    def warm_up(self) -> None:
        """Load the model and the index now rather than on the first question."""
        _ = self.index
        self.embedder.encode_one("warm up")
        if self.scorer is not None:
            self.scorer.score("warm up", ["Warm up."], [""])
        question_info("Is Moscow warm?")  # loads the country names once, not on the first question

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None, top_k: int | None = None) -> Answer:
        """Answer a question from the documents with verbatim cited quotes, or abstain."""
        t0 = time.perf_counter()
        question = question.strip()
        if not question:
            raise ConfigError("the question is empty")
        k = top_k or self.settings.top_k
        index = self.index  # one generation for the whole answer
        if not index.documents:
            return Answer(question, NO_DOCUMENTS_TEXT, True, (), (), question, 0.0, {"total": (time.perf_counter() - t0) * 1000})
        searched = standalone_question(question, history)
        t1 = time.perf_counter()
        qvec = self.embedder.encode_one(searched)
        t2 = time.perf_counter()
        cfg = self.settings
        hits = retrieve(index, qvec, searched, max(k, cfg.top_k), cfg.candidates, cfg.fusion)
        t3 = time.perf_counter()
        info = question_info(searched)
        ranked = candidates(index, hits[: cfg.top_k], qvec, info)  # the answer never depends on how many passages are shown
        evidence = question_features(ranked, info, index) if ranked else None
        conf = confidence(evidence, cfg.relevance_floor) if evidence is not None else 0.0
        if self.scorer is not None and evidence is not None:
            if cfg.answer_scorer == "hybrid":  # both rank, the composer judges
                ranked, _ = blend(index, ranked, searched, self.scorer, cfg.scorer_candidates or HYBRID_CANDIDATES)
            else:  # the model ranks and judges; an off-topic question stays out
                ranked, scores = rerank(index, ranked, searched, self.scorer, cfg.scorer_candidates or LEARNED_CANDIDATES)
                conf = scores.answerable() if on_topic(evidence, cfg.relevance_floor) else min(conf, scores.answerable())
        abstained = conf < self.abstain_threshold
        whole_list = asks_for_several(searched)
        text, citations = ("", ()) if abstained else compose(index, ranked, cfg.max_answer_words, self.second_quote_margin, whole_list)
        passages = tuple(_passage(index, h) for h in hits[:k])
        t4 = time.perf_counter()
        citations = self._placed(index, citations)
        t5 = time.perf_counter()
        marks = (t0, t1, t2, t3, t4, t5)
        stages = ("rewrite", "embed", "retrieve", "compose", "place")
        timings = {name: (marks[i + 1] - marks[i]) * 1000 for i, name in enumerate(stages)} | {"total": (t5 - t0) * 1000}
        return Answer(question, ABSTAIN_TEXT if abstained else text, abstained, citations, passages, searched, conf, timings)

    def _placed(self, index: LoadedIndex, citations: tuple[Citation, ...]) -> tuple[Citation, ...]:
        """The citations, a PDF's with the page and boxes of its quote; an unplaceable quote keeps none (the answer
        never waits longer than PLACE_TIMEOUT_S on a file)."""
        out = list(citations)
        for doc_id in {c.doc_id for c in citations if is_pdf(c.doc_id)}:
            mine = [i for i, c in enumerate(out) if c.doc_id == doc_id]
            try:
                layout = self.pages.layout(index.documents[doc_id], [(out[i].start, out[i].end) for i in mine], PLACE_TIMEOUT_S)
            except RagError:
                continue  # the file changed or can't be read now: the quote still stands, without its page
            for i, place in zip(mine, layout.places, strict=True):
                if place is not None:
                    out[i] = replace(out[i], page=place.page, boxes=place.boxes)
        return tuple(out)

    def search(self, query: str, k: int | None = None) -> tuple[Passage, ...]:
        """The `k` passages hybrid retrieval ranks first for a query (no answer is composed)."""
        query = query.strip()
        if not query:
            raise ConfigError("the query is empty")
        k = k or self.settings.top_k
        index = self.index
        if not index.documents:
            return ()
        hits = retrieve(index, self.embedder.encode_one(query), query, k, max(self.settings.candidates, k), self.settings.fusion)
        return tuple(_passage(index, h) for h in hits[:k])


def _passage(index: LoadedIndex, hit: Hit) -> Passage:
    """A retrieved chunk as the API shows it."""
    chunk = index.chunk(hit.chunk_id)
    doc = index.documents[chunk.doc_id]
    return Passage(chunk.chunk_id, doc.doc_id, doc.title, doc.text[chunk.start : chunk.end], chunk.start, chunk.end,
                   round(hit.score, 5), round(hit.dense, 4), round(hit.lexical, 4))
