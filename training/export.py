"""Export the trained scorer to ONNX (int8 where it keeps its quality), calibrate abstention on the held-out
articles, and write `models/answer-scorer/` with its manifest (sha256, none logit, threshold, figures).

Run: python -m training.export --run artifacts/train/run --examples artifacts/train/examples.jsonl --out models/answer-scorer
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.learned import FORMAT_VERSION, MANIFEST, AnswerScorer
from rag.search.embedder import resolve_model
from rag.search.store import file_sha256
from rag.settings import DEFAULT_MODEL
from training.train import Scorer, load_examples

MAX_FALSE_ABSTENTION = 0.05
INT8_TOLERANCE = 0.01  # int8 is shipped when it loses at most this much top-1 and AUC on validation,
GIT_BUDGET_BYTES = 40 * 1024 * 1024
COMPARE_EVERY = 6  # or when the float32 file would not fit the repository's budget for models/


def export_onnx(model: Scorer, target: Path) -> None:
    """The encoder, pooling and head as one graph: token ids in, one logit per row out."""
    import torch

    class _Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder, self.head = model.encoder, model.head

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(pooled).squeeze(-1)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}
    model.encoder.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_Logits().eval(), dummy, str(target), input_names=names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def measure(scorer: AnswerScorer, examples: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-1, answerability AUC and the P(answerable) of every validation question, through the shipped runtime."""
    from sklearn.metrics import roc_auc_score

    hits, n_ans, p_of, answerable, sources = 0, 0, [], [], []
    for ex in examples:
        scores = scorer.score(ex["question"], ex["sentences"], ex["contexts"])
        if ex["label"] >= 0:
            n_ans += 1
            hits += int(int(np.argmax(scores.logits)) in ex["positives"])
        p_of.append(scores.answerable())
        answerable.append(ex["label"] >= 0)
        sources.append(ex["source"])
    p, y = np.array(p_of), np.array(answerable)
    squad = np.array([s == "squad" for s in sources])
    return {"top1": hits / max(n_ans, 1), "auc_squad": float(roc_auc_score(y[squad], p[squad])), "p": p, "y": y, "squad": squad}


def calibrate(p: np.ndarray, y: np.ndarray) -> float:
    """The highest threshold that abstains on at most MAX_FALSE_ABSTENTION of the answerable questions (an answer
    abstains when its confidence is below the threshold).

    >>> calibrate(np.array([0.1, 0.2, 0.3, 0.4] * 10), np.ones(40, dtype=bool))
    0.1
    """
    ranked = np.sort(p[y])
    return float(ranked[int(MAX_FALSE_ABSTENTION * len(ranked))])


def main(argv: list[str] | None = None) -> int:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ap = argparse.ArgumentParser(prog="python -m training.export", description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=Path("artifacts/train/run"))
    ap.add_argument("--examples", type=Path, default=Path("artifacts/train/examples.jsonl"))
    ap.add_argument("--out", type=Path, default=Path("models/answer-scorer"))
    args = ap.parse_args(argv)
    source = resolve_model(DEFAULT_MODEL)
    model = Scorer(source)
    model.load_state(torch.load(args.run / "model.pt", weights_only=False))
    none_logit = float(model.none.detach())
    _, val = load_examples(args.examples)
    work = Path(tempfile.mkdtemp(prefix="scorer-"))
    export_onnx(model, work / "model-fp32.onnx")
    quantize_dynamic(str(work / "model-fp32.onnx"), str(work / "model-int8.onnx"), weight_type=QuantType.QInt8)
    figures: dict[str, Any] = {}
    sample = val[::COMPARE_EVERY]  # float32 against int8 on every COMPARE_EVERY-th question; the shipped one on all
    for variant in ("fp32", "int8"):
        folder = work / variant
        folder.mkdir()
        shutil.copy(work / f"model-{variant}.onnx", folder / "model.onnx")
        shutil.copy(Path(source) / "tokenizer.json", folder / "tokenizer.json")
        _write_manifest(folder, none_logit, 0.5, {})
        m = measure(AnswerScorer(folder, threads=2), sample)
        figures[variant] = m
        print(f"{variant} on {len(sample)} questions: top-1 {m['top1']:.3f}, SQuAD answerability AUC {m['auc_squad']:.3f}", file=sys.stderr)
    fp32, int8 = figures["fp32"], figures["int8"]
    close = fp32["top1"] - int8["top1"] <= INT8_TOLERANCE and fp32["auc_squad"] - int8["auc_squad"] <= INT8_TOLERANCE
    keep_int8 = close or (work / "model-fp32.onnx").stat().st_size > GIT_BUDGET_BYTES
    chosen = "int8" if keep_int8 else "fp32"
    m = measure(AnswerScorer(work / chosen, threads=2), val)
    threshold = calibrate(m["p"], m["y"])
    squad_unans = m["squad"] & ~m["y"]
    validation = {
        "questions": len(val), "answerable": int(m["y"].sum()), "squad_unanswerable": int(squad_unans.sum()),
        "top1": round(m["top1"], 4), "auc_squad": round(m["auc_squad"], 4),
        "false_abstention": round(float((m["p"][m["y"]] < threshold).mean()), 4),
        "unanswerable_abstained": round(float((m["p"][squad_unans] < threshold).mean()), 4),
        "compared_on": len(sample),
        "fp32": {"top1": round(fp32["top1"], 4), "auc_squad": round(fp32["auc_squad"], 4)},
        "int8": {"top1": round(int8["top1"], 4), "auc_squad": round(int8["auc_squad"], 4)},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(work / f"model-{chosen}.onnx", args.out / "model.onnx")
    shutil.copy(Path(source) / "tokenizer.json", args.out / "tokenizer.json")
    done = args.run / "training.json"
    trained = json.loads(done.read_text(encoding="utf-8")) if done.exists() else {}
    _write_manifest(args.out, none_logit, threshold, {"variant": chosen, "validation": validation, "training": trained})
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(validation, indent=1))
    return 0


def _write_manifest(folder: Path, none_logit: float, threshold: float, extra: dict[str, Any]) -> None:
    manifest = {
        "format": FORMAT_VERSION, "file": "model.onnx", "sha256": file_sha256(folder / "model.onnx"),
        "none_logit": round(none_logit, 6), "threshold": round(threshold, 4), "base_model": DEFAULT_MODEL, **extra,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
