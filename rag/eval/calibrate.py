"""Labelled (claim, passage) pairs from an index -> ROC AUC and operating point of the checker.

Positives are real article sentences judged against the passage they come from, as written and
lightly reworded (an attribution prefix, the main clause alone). Negatives are controlled
perturbations of the same sentences: a number changed, a name swapped for one from another
article, a weekday or month changed, a negation flipped, a detail the article never gives
added, and a sentence of another article cited to this passage. An eval set adds its gold
quotes (positives) and the same quotes cited to a passage of another article (negatives).

    rag calibrate [--sample 120] [--set eval/citations.jsonl] [--json]
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..text import MONTHS, WEEKDAYS, facts
from ..types import Chunk, Passage
from ..verify import SUPPORTED_AT, Checker

if TYPE_CHECKING:
    from ..settings import Settings

_AUX = re.compile(r"\b(is|was|are|were|will|would|has|have|had|can|could|should|may|might)\b")
_DIGITS = re.compile(r"\d+")
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]{2,}(?:\s[A-Z][a-z]{2,})*")


@dataclass(frozen=True)
class Pair:
    claim: str
    passage: Passage
    supported: bool
    kind: str


def negate(sentence: str) -> str | None:
    m = _AUX.search(sentence)
    if not m:
        return None
    return sentence[: m.end()] + " not" + sentence[m.end() :]


def swap_number(sentence: str, rng: random.Random) -> str | None:
    m = _DIGITS.search(sentence)
    if not m:
        return None
    value = int(m.group())
    new = value + rng.choice([1, 2, 3, 7, 10]) if value < 1900 else value + rng.choice([-2, 1, 3])
    return sentence[: m.start()] + str(new) + sentence[m.end() :]


def swap_date(sentence: str, rng: random.Random) -> str | None:
    for words in (WEEKDAYS, MONTHS):
        for w in words:
            m = re.search(rf"\b{w}\b", sentence, re.I)
            if m:
                other = rng.choice([x for x in words if x != w]).capitalize()
                return sentence[: m.start()] + other + sentence[m.end() :]
    return None


def swap_name(sentence: str, names: Sequence[str], rng: random.Random) -> str | None:
    own = [m for m in _NAME.finditer(sentence) if m.group().casefold() in facts(sentence)]
    pool = [n for n in names if n.casefold() not in sentence.casefold()]
    if not own or not pool:
        return None
    m = rng.choice(own)
    return sentence[: m.start()] + rng.choice(pool) + sentence[m.end() :]


EMBELLISHMENTS = [
    ", after weeks of mounting public pressure",
    ", in a move widely criticised by opposition lawmakers",
    ", citing a sharp rise in complaints from parents",
    ", a spokesperson for the European Commission confirmed",
]


def embellish(sentence: str, rng: random.Random) -> str:
    """The sentence with a plausible detail the article never gives."""
    body = sentence.rstrip(".”\"' ")
    return body + rng.choice(EMBELLISHMENTS) + "."


def rewordings(sentence: str) -> list[str]:
    out = ["According to the article, " + sentence[0].lower() + sentence[1:]]
    head = sentence.split(",")[0].strip()
    if len(head.split()) >= 6 and head != sentence:
        out.append(head + ".")
    return out


def build_pairs(passages: Sequence[Passage], seed: int = 0) -> list[Pair]:
    """Positives and perturbed negatives from every sentence of 6+ words in the passages."""
    rng = random.Random(seed)
    sentences = [
        (p, p.article.text[s:e]) for p in passages for s, e in p.chunk.sentences
    ]  # fmt: skip
    sentences = [(p, t) for p, t in sentences if len(t.split()) >= 6 and "\n" not in t.strip()]
    names_by_doc: dict[str, list[str]] = {}
    for p, t in sentences:
        names_by_doc.setdefault(p.article.doc_id, []).extend(m.group() for m in _NAME.finditer(t))
    pairs: list[Pair] = []
    for p, text in sentences:
        doc = p.article.doc_id
        pairs.append(Pair(text, p, True, "verbatim"))
        pairs.extend(Pair(r, p, True, "reworded") for r in rewordings(text))
        foreign = [n for d, ns in names_by_doc.items() if d != doc for n in ns]
        faults = {
            "number": swap_number(text, rng),
            "name": swap_name(text, foreign, rng),
            "date": swap_date(text, rng),
            "negation": negate(text),
            "added detail": embellish(text, rng),
        }
        pairs.extend(Pair(c, p, False, k) for k, c in faults.items() if c and c != text)
        others = [t for q, t in sentences if q.article.doc_id != doc]
        if others:
            pairs.append(Pair(rng.choice(others), p, False, "other article"))
    return pairs


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """P(score of a random positive > that of a random negative), ties counting half."""
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def operating_point(scores: list[tuple[float, bool]], threshold: float) -> dict[str, float]:
    pos = [s for s, y in scores if y]
    neg = [s for s, y in scores if not y]
    return {
        "threshold": threshold,
        "faulty_flagged": sum(s < threshold for s in neg) / max(len(neg), 1),
        "correct_flagged": sum(s < threshold for s in pos) / max(len(pos), 1),
    }


def best_threshold(scores: list[tuple[float, bool]]) -> float:
    """The threshold with the highest (faults flagged - correct flagged)."""
    cuts = sorted({round(s, 3) for s, _ in scores})

    def gain(t: float) -> float:
        op = operating_point(scores, t)
        return op["faulty_flagged"] - op["correct_flagged"]

    return max(cuts, key=gain)


def calibrate(checker: Checker, pairs: Sequence[Pair]) -> dict[str, Any]:
    scored = [(checker.judge(x.claim, [x.passage]).score, x.supported) for x in pairs]
    kinds: dict[str, list[float]] = {}
    for (score, _), x in zip(scored, pairs, strict=True):
        kinds.setdefault(x.kind, []).append(score)
    positives = [s for s, y in scored if y]
    negatives = [s for s, y in scored if not y]
    return {
        "checker": checker.name,
        "pairs": len(pairs),
        "positives": len(positives),
        "negatives": len(negatives),
        "auc": round(auc(positives, negatives), 4),
        "shipped": operating_point(scored, SUPPORTED_AT),
        "best": operating_point(scored, best_threshold(scored)),
        "by_kind": {
            k: {"n": len(v), "flagged": round(sum(s < SUPPORTED_AT for s in v) / len(v), 3)}
            for k, v in sorted(kinds.items())
        },
    }


def sample_passages(store: Any, n: int, seed: int = 0) -> list[Passage]:
    """n chunks of the index, spread over as many articles as possible."""
    ids = store.chunk_ids()
    random.Random(seed).shuffle(ids)
    found = store.chunks(ids[:n])
    return [Passage(c, a, 0.0, i) for i, (c, a) in enumerate(found.values())]


def eval_set_pairs(path: Path, store: Any, passages: Sequence[Passage]) -> list[Pair]:
    """Gold quotes against their own chunk (supported) and another article's (not)."""
    pairs = []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_doc: dict[str, list[Chunk]] = {}
    for c, a in store.chunks(store.chunk_ids()).values():
        by_doc.setdefault(a.doc_id, []).append(c)
    for row in rows:
        for ev in row.get("evidence", []):
            art = store.article(ev["doc"])
            chunk = next(
                (c for c in by_doc.get(ev["doc"], []) if ev["quote"] in c.text), None
            )  # fmt: skip
            if art is None or chunk is None:
                continue
            pairs.append(Pair(ev["quote"], Passage(chunk, art, 0.0, 0), True, "eval quote"))
            other = next((p for p in passages if p.article.doc_id != ev["doc"]), None)
            if other is not None:
                pairs.append(Pair(ev["quote"], other, False, "eval quote, wrong passage"))
    return pairs


def run_calibration(
    settings: Settings, sample: int = 120, eval_set: Path | None = None
) -> dict[str, Any]:
    """`rag calibrate`: pairs from `sample` chunks of the index (plus an eval set's gold
    quotes), judged by the configured checker."""
    from ..engine import Engine
    from ..verify import make_checker

    engine = Engine.from_settings(settings)
    passages = sample_passages(engine.store, sample)
    pairs = build_pairs(passages)
    if eval_set:
        pairs += eval_set_pairs(eval_set, engine.store, passages)
    return calibrate(make_checker(settings, engine.embedder), pairs)


def describe(result: dict[str, Any]) -> str:
    """The calibration result for the terminal."""
    lines = [
        f"checker: {result['checker']}",
        f"pairs: {result['pairs']} ({result['positives']} supported, {result['negatives']} not)",
        f"ROC AUC: {result['auc']}",
    ]
    for key in ("shipped", "best"):
        op = result[key]
        lines.append(
            f"{key} threshold {op['threshold']:.3f}: faulty flagged {op['faulty_flagged']:.3f}, "
            f"correct flagged {op['correct_flagged']:.3f}"
        )
    for kind, v in result["by_kind"].items():
        lines.append(f"  {kind:28} n={v['n']:4}  flagged {v['flagged']:.3f}")
    return "\n".join(lines)
