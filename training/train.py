"""Fine-tune MiniLM as a cross-encoder over (question, candidate) with a "none of these" option.

Each question's candidates are scored together and trained with one softmax over [none, candidate 1..n]: the target
is the answering sentence, or "none" for an unanswerable question, whose plausible sentences are then its
negatives. So one objective teaches both which sentence answers and whether any does (the issue's listwise loss with
a "none" option). Checkpoints every few minutes; a killed run resumes where it stopped.

Run: python -m training.train --examples artifacts/train/examples.jsonl --out artifacts/train/run [--minutes 90]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from rag.answer.learned import MAX_LENGTH, QUESTION_WORDS, candidate_text
from rag.search.embedder import resolve_model
from rag.settings import DEFAULT_MODEL
from training.folds import validation_groups

TRAIN_CANDIDATES = 6  # per question in a training step: the positives, then the composer's best negatives, then random ones


def load_examples(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Training and validation examples, split by article."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    held = validation_groups(r["group"] for r in rows)
    return [r for r in rows if r["group"] not in held], [r for r in rows if r["group"] in held]


class Scorer:
    """MiniLM + mean pooling + a linear head, and the learned "none" logit (torch, for training only)."""

    def __init__(self, source: str) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.encoder = AutoModel.from_pretrained(source, local_files_only=True)
        self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        hidden = self.encoder.config.hidden_size
        self.head = torch.nn.Linear(hidden, 1)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)
        self.none = torch.nn.Parameter(torch.zeros(()))

    def parameters(self) -> list[Any]:
        return [*self.encoder.parameters(), *self.head.parameters(), self.none]

    def state(self) -> dict[str, Any]:
        return {"encoder": self.encoder.state_dict(), "head": self.head.state_dict(), "none": self.none.detach().clone()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.encoder.load_state_dict(state["encoder"])
        self.head.load_state_dict(state["head"])
        with self.torch.no_grad():
            self.none.copy_(state["none"])

    def batch(self, question: str, sentences: list[str], contexts: list[str]) -> dict[str, Any]:
        """Model inputs for one question's candidates."""
        return self.pairs([question] * len(sentences), sentences, contexts)

    def pairs(self, questions: list[str], sentences: list[str], contexts: list[str]) -> dict[str, Any]:
        """Model inputs for (question, candidate) pairs, cut as `rag.answer.learned` cuts them at inference."""
        first = [" ".join(q.split()[:QUESTION_WORDS]) for q in questions]
        second = [candidate_text(s, c) for s, c in zip(sentences, contexts)]
        return dict(self.tokenizer(first, second, truncation="longest_first", max_length=MAX_LENGTH, padding=True, return_tensors="pt"))

    def logits(self, enc: dict[str, Any]) -> Any:
        tokens = self.encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.head(pooled).squeeze(-1)


def pick(example: dict[str, Any], rng: random.Random, n: int) -> tuple[list[int], list[int]]:
    """Candidates for one training step and which of them answer."""
    positives = list(example["positives"])
    negatives = [i for i in range(len(example["sentences"])) if i not in positives]
    hard = negatives[: n // 2]
    rest = negatives[n // 2 :]
    rng.shuffle(rest)
    chosen = (positives[:2] + hard + rest)[:n]
    rng.shuffle(chosen)
    return chosen, [chosen.index(p) for p in positives if p in chosen]


def step_loss(model: Scorer, examples: list[dict[str, Any]], rng: random.Random) -> Any:
    """Mean over the questions of a softmax over [none, candidates]: -log of the answering candidates' (or none's)
    share. Each question's candidates go through the model as one batch (padding to one question's longest is
    cheaper than to the whole step's)."""
    torch = model.torch
    losses = []
    for ex in examples:
        chosen, pos = pick(ex, rng, TRAIN_CANDIDATES)
        enc = model.batch(ex["question"], [ex["sentences"][i] for i in chosen], [ex["contexts"][i] for i in chosen])
        scores = torch.cat([model.none.view(1), model.logits(enc)])
        target = [p + 1 for p in pos] if pos else [0]
        losses.append(torch.logsumexp(scores, 0) - torch.logsumexp(scores[target], 0))
    return torch.stack(losses).mean()


def evaluate(model: Scorer, examples: list[dict[str, Any]], limit: int | None = None) -> dict[str, float]:
    """Top-1 on answerable questions and answerability AUC (SQuAD), on held-out articles."""
    from sklearn.metrics import roc_auc_score

    torch = model.torch
    hits, n_ans, ys, ps = 0, 0, [], []
    with torch.no_grad():
        for ex in examples[:limit]:
            enc = model.batch(ex["question"], ex["sentences"], ex["contexts"])
            logits = model.logits(enc)
            scores = torch.cat([model.none.view(1), logits])
            p_ans = 1 - torch.softmax(scores, 0)[0].item()
            if ex["label"] >= 0:
                n_ans += 1
                hits += int(int(logits.argmax()) in ex["positives"])
            if ex["source"] == "squad":
                ys.append(int(ex["label"] >= 0))
                ps.append(p_ans)
    auc = roc_auc_score(ys, ps) if len(set(ys)) == 2 else float("nan")
    return {"top1": hits / max(n_ans, 1), "auc": float(auc), "questions": len(examples[:limit])}


def train(args: argparse.Namespace) -> None:
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    rng = random.Random(0)
    train_rows, val_rows = load_examples(args.examples)
    print(f"{len(train_rows)} training and {len(val_rows)} validation questions", file=sys.stderr, flush=True)
    model = Scorer(resolve_model(DEFAULT_MODEL))
    total = min(args.epochs * len(train_rows), args.max_questions or args.epochs * len(train_rows))
    # The word embeddings stay as pre-trained: 12 of the 22 M weights, whose updates would cost more than they teach.
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    trainable = [*encoder_params, *model.head.parameters(), model.none]
    optimiser = torch.optim.AdamW([
        {"params": encoder_params, "lr": args.lr},
        {"params": [*model.head.parameters(), model.none], "lr": args.lr * 20},
    ], weight_decay=0.01)
    args.out.mkdir(parents=True, exist_ok=True)
    ckpt = args.out / "checkpoint.pt"
    step = 0
    order = list(range(len(train_rows)))
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        model.load_state(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        step, order = saved["step"], saved["order"]
        rng.setstate(saved["rng"])
        print(f"resumed at question {step}", file=sys.stderr, flush=True)
    else:
        order = [i for _ in range(args.epochs) for i in rng.sample(range(len(train_rows)), len(train_rows))]
    started = last_save = time.monotonic()
    model.encoder.train()
    running = 0.0
    while step < total and time.monotonic() - started < args.minutes * 60:
        warm = min(1.0, (step + 1) / max(1, total // 20))
        decay = max(0.0, 1 - step / total)
        for g, base in zip(optimiser.param_groups, (args.lr, args.lr * 20)):
            g["lr"] = base * min(warm, decay)
        optimiser.zero_grad()
        batch = [train_rows[order[step + j]] for j in range(min(args.questions, total - step))]
        loss = step_loss(model, batch, rng)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimiser.step()
        step += len(batch)
        running = 0.98 * running + 0.02 * loss.item() if running else loss.item()
        if step % (args.questions * 25) == 0:
            print(f"question {step}/{total} loss {running:.3f} {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
        if time.monotonic() - last_save > args.save_minutes * 60:
            _save(ckpt, model, optimiser, step, order, rng)
            last_save = time.monotonic()
    _save(ckpt, model, optimiser, step, order, rng)
    model.encoder.eval()
    figures: dict[str, Any] = {"trained_questions": step, "minutes": round((time.monotonic() - started) / 60, 1)}
    torch.save(model.state(), args.out / "model.pt")
    if args.evaluate:  # training.export measures the shipped ONNX file on the same fold anyway
        figures.update(evaluate(model, val_rows))
    (args.out / "training.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(json.dumps(figures), file=sys.stderr, flush=True)


def _save(path: Path, model: Scorer, optimiser: Any, step: int, order: list[int], rng: random.Random) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state(), "optimiser": optimiser.state_dict(), "step": step, "order": order, "rng": rng.getstate()}, tmp)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=Path, default=Path("artifacts/train/examples.jsonl"))
    p.add_argument("--out", type=Path, default=Path("artifacts/train/run"))
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-questions", type=int, default=0, help="train on this many questions in all (0: every epoch whole)")
    p.add_argument("--questions", type=int, default=8, help="questions per optimiser step")
    p.add_argument("--lr", type=float, default=4e-5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--minutes", type=float, default=600.0, help="stop (with a checkpoint) after this long")
    p.add_argument("--save-minutes", type=float, default=5.0)
    p.add_argument("--evaluate", action="store_true", help="also measure the torch model on the validation fold")
    train(p.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
