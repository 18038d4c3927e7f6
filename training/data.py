"""Training examples: each question with the candidate sentences the product would score for it, labelled.

SQuAD articles are written out as documents, indexed by the product's own indexer and searched by its own
retriever; the candidates are the composer's first `MAX_CANDIDATES` sentences, as at inference. SelQA gives a
question with the sentences of one Wikipedia section, which stand for its candidates directly.

Run: python -m training.data --train-dir ../shared/datasets/train --out artifacts/train/examples.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from evals.metrics import contains_answer
from rag.answer.composer import candidates
from rag.answer.features import question_info
from rag.answer.learned import MAX_CANDIDATES, candidate_context
from rag.engine import Engine
from rag.search.index import LoadedIndex
from rag.search.retrieval import retrieve
from rag.settings import Settings

# Excluded whatever the data folder holds: the product is measured on them (DEVELOPERS.md).
EXCLUDED_TITLES = frozenset({"Normans", "Rhine", "Computational_complexity_theory", "Computational complexity theory"})
SQUAD_SETS = ("squad2-dev-explorer", "squad11-dev-explorer")


@dataclass(frozen=True)
class Example:
    """One question and its candidates; `label` is the index of the answering candidate, -1 for none."""

    qid: str
    source: str
    group: str  # the article: folds never split one
    question: str
    sentences: tuple[str, ...]
    contexts: tuple[str, ...]  # the sentence before each candidate (same document), "" when none
    label: int
    positives: tuple[int, ...]  # every candidate that holds the answer (the label is the first)
    composer_scores: tuple[float, ...]


def squad_articles(train_dir: Path) -> dict[str, list[dict[str, object]]]:
    """SQuAD questions grouped by article title, excluded articles left out; each question notes its set."""
    articles: dict[str, list[dict[str, object]]] = defaultdict(list)
    for name in SQUAD_SETS:
        path = train_dir / name / "questions.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if q["title"] not in EXCLUDED_TITLES:
                articles[str(q["title"])].append({**q, "set": name.split("-")[0]})
    return dict(articles)


def write_articles(articles: dict[str, list[dict[str, object]]], docs: Path) -> dict[tuple[str, int], tuple[int, int]]:
    """One text file per article (title line, then paragraphs); returns each paragraph's character range."""
    docs.mkdir(parents=True, exist_ok=True)
    ranges: dict[tuple[str, int], tuple[int, int]] = {}
    for title, qs in articles.items():
        paragraphs: dict[int, str] = {}
        for q in qs:
            paragraphs.setdefault(int(q["paragraph_index"]), str(q["context"]))  # type: ignore[call-overload]
        text = title.replace("_", " ")
        for no in sorted(paragraphs):
            text += "\n\n"
            ranges[(title, no)] = (len(text), len(text) + len(paragraphs[no]))
            text += paragraphs[no]
        (docs / f"{file_name(title)}.txt").write_text(text + "\n", encoding="utf-8")
    return ranges


def file_name(title: str) -> str:
    """An article's file name stem: its title's letters and digits, the rest "_" ("Victoria (Australia)": "Victoria__Australia_")."""
    return "".join(c if c.isalnum() else "_" for c in title)[:80]


def squad_examples(train_dir: Path, work: Path, settings: Settings, log: bool = True) -> Iterator[Example]:
    """Every SQuAD question with the product's own candidates for it, over an index of all the articles."""
    articles = squad_articles(train_dir)
    ranges = write_articles(articles, work / "docs")
    engine = Engine(replace(settings, docs_dir=work / "docs", index_dir=work / "index", progress=log))
    engine.build()
    index = engine.index
    questions = [q for qs in articles.values() for q in qs]
    for no, q in enumerate(questions):
        if log and no % 500 == 0:
            print(f"  squad: {no}/{len(questions)} questions", file=sys.stderr, flush=True)
        question = str(q["question"])
        qv = engine.embedder.encode_one(question)
        hits = retrieve(index, qv, question, settings.top_k, settings.candidates, settings.fusion)
        ranked = candidates(index, hits, qv, question_info(question))
        doc_id = f"{file_name(str(q['title']))}.txt"
        lo, hi = ranges[(str(q["title"]), int(q["paragraph_index"]))]  # type: ignore[call-overload]
        answers = [str(a) for a in q["answers"]]  # type: ignore[attr-defined]

        picked = [(c.sentence_id, c.score) for c in ranked]
        labels = [_gold(index, sid, doc_id, (lo, hi), answers) for sid, _ in picked]
        kept = [(p, lab) for p, lab in zip(picked, labels) if lab is not None][:MAX_CANDIDATES]
        if q["answerable"] and not any(lab for _, lab in kept):
            sid = _gold_sentence(index, doc_id, lo, hi, answers)
            if sid is None:
                continue
            kept = [*kept[: MAX_CANDIDATES - 1], ((sid, min((s for (_, s), _ in kept), default=0.0)), True)]
        if not kept:
            continue
        sids = [sid for (sid, _), _ in kept]
        positives = tuple(i for i, (_, lab) in enumerate(kept) if lab)
        yield Example(
            qid=str(q["id"]), source="squad", group=f"{q['set']}:{q['title']}", question=question,
            sentences=tuple(index.sentence_text(s) for s in sids),
            contexts=tuple(candidate_context(index, s) for s in sids),
            label=positives[0] if positives else -1, positives=positives,
            composer_scores=tuple(round(s, 4) for (_, s), _ in kept),
        )


def _gold(index: LoadedIndex, sid: int, doc_id: str, span: tuple[int, int], answers: list[str]) -> bool | None:
    """True: holds the answer inside the gold paragraph; None: holds an answer string elsewhere (left out)."""
    if not answers or not contains_answer(index.sentence_text(sid), answers):
        return False
    t = index.tables
    inside = t.doc_ids[t.sent_doc[sid]] == doc_id and span[0] <= t.sent_start[sid] and t.sent_end[sid] <= span[1]
    return True if inside else None


def _gold_sentence(index: LoadedIndex, doc_id: str, lo: int, hi: int, answers: list[str]) -> int | None:
    """The sentence of the gold paragraph that holds an answer (the retriever missed it)."""
    t = index.tables
    doc_no = t.doc_ids.index(doc_id)
    for sid in np.flatnonzero((t.sent_doc == doc_no) & (t.sent_start >= lo) & (t.sent_end <= hi)):
        if contains_answer(index.sentence_text(int(sid)), answers):
            return int(sid)
    return None


def selqa_examples(train_dir: Path) -> Iterator[Example]:
    """SelQA: a question over the sentences of one Wikipedia section (every question has an answer there)."""
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for line in (train_dir / "selqa" / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        groups[str(row["qid"])].append(row)
    for qid, rows in groups.items():
        if rows[0]["title"] in EXCLUDED_TITLES:
            continue
        rows = rows[:MAX_CANDIDATES * 2]
        sentences = tuple(str(r["sentence"]) for r in rows)
        positives = tuple(i for i, r in enumerate(rows) if r["label"])
        if not positives:
            continue
        # Keep every positive and the negatives nearest them, MAX_CANDIDATES in all.
        keep = sorted(range(len(rows)), key=lambda i: (i not in positives, min(abs(i - p) for p in positives)))[:MAX_CANDIDATES]
        keep.sort()
        yield Example(
            qid=qid, source="selqa", group=f"selqa:{rows[0]['title']}", question=str(rows[0]["question"]),
            sentences=tuple(sentences[i] for i in keep), contexts=tuple(sentences[i - 1] if i else "" for i in keep),
            label=keep.index(positives[0]), positives=tuple(keep.index(p) for p in positives if p in keep),
            composer_scores=tuple(0.0 for _ in keep),
        )


def main(argv: list[str] | None = None) -> int:
    """Write every example as one JSON line."""
    p = argparse.ArgumentParser(prog="python -m training.data", description=__doc__.splitlines()[0])
    p.add_argument("--train-dir", type=Path, default=Path("../shared/datasets/train"))
    p.add_argument("--work", type=Path, default=Path("artifacts/train/work"))
    p.add_argument("--out", type=Path, default=Path("artifacts/train/examples.jsonl"))
    args = p.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = defaultdict(int)
    tmp = args.out.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        for ex in [*selqa_examples(args.train_dir), *squad_examples(args.train_dir, args.work, Settings(threads=2))]:
            out.write(json.dumps(asdict(ex), ensure_ascii=False) + "\n")
            counts[f"{ex.source} {'answerable' if ex.label >= 0 else 'none'}"] += 1
    tmp.replace(args.out)
    print(json.dumps(counts, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
