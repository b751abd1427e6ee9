"""One question's Item, gold spans and pipeline Outcome -> its scores.

Retrieval (document and evidence-span hits), citations (overlap with the gold quotes),
support (ALCE-style, with rag.verify.support_of), answers and abstentions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..text import strip_markers
from ..verify import support_of
from .dataset import Item, Span, contains_answer, overlaps

CHECKER = "rag.verify.support_of (content-term containment: all terms of a sentence in its quotes)"
RATE_METRICS = (
    "hit@k",
    "mrr",
    "span_hit@k",
    "citation_precision",
    "citation_recall",
    "support_precision",
    "support_recall",
    "answer_correctness",
)
ABSTENTION_METRICS = ("abstention_precision", "abstention_recall", "abstention_f1")
METRICS = (*RATE_METRICS, *ABSTENTION_METRICS, "latency_p50_ms", "latency_p95_ms", "n")
# per-question field behind each mean metric
FIELDS = {
    "hit@k": "hit",
    "mrr": "rr",
    "span_hit@k": "span_hit",
    "citation_precision": "citation_precision",
    "citation_recall": "citation_recall",
    "support_precision": "support_precision",
    "support_recall": "support_recall",
    "answer_correctness": "correct",
    "answer_words": "words",
    "mc_accuracy": "mc_correct",
}


@dataclass(frozen=True)
class Cited:
    n: int
    doc_id: str
    start: int
    end: int
    quote: str


@dataclass
class Outcome:
    """What one pipeline did with one question, in pipeline-neutral terms."""

    retrieved: list[tuple[str, int, int]]  # (doc_id, char_start, char_end), best first
    text: str
    sentences: list[tuple[str, tuple[int, ...]]]  # (sentence, citation numbers)
    citations: list[Cited]
    abstained: bool
    latency_ms: float
    extra: dict[str, Any] = field(default_factory=dict)


def support_scores(out: Outcome) -> tuple[float, float]:
    """(precision, recall) of citation support for one answer, as ALCE computes them.

    Recall: share of sentences whose citations together support them. Precision: share of
    citations that support their sentence alone, or without which the rest no longer would
    (a supported sentence's citations only; a sentence left unsupported earns none).
    """
    quotes = {c.n: c.quote for c in out.citations}
    supported = relevant = total = 0
    for text, ns in out.sentences:
        refs = [n for n in ns if n in quotes]
        total += len(refs)
        joint = bool(refs) and support_of(text, [quotes[n] for n in refs]) == "supported"
        supported += joint
        if not joint:
            continue
        if len(refs) == 1:
            relevant += 1
            continue
        for n in refs:
            alone = support_of(text, [quotes[n]]) == "supported"
            rest = [quotes[m] for m in refs if m != n]
            relevant += alone or support_of(text, rest) != "supported"
    recall = supported / len(out.sentences) if out.sentences else 0.0
    return (relevant / total if total else 0.0), recall


def score(
    item: Item,
    gold: list[list[Span]],
    out: Outcome,
    pick: Callable[[str, list[str]], int] | None = None,
) -> dict[str, Any]:
    """One question's numbers; None where a metric does not apply to it."""
    gold_docs = {s[0] for spans in gold for s in spans}
    flat = [s for spans in gold for s in spans]
    answered = not out.abstained and bool(out.citations)
    row: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "answerable": item.answerable,
        "abstained": out.abstained,
        "answer": out.text,
        "gold": [{"doc": d, "quote": q} for d, q in item.evidence],
        "retrieved": [d for d, _, _ in out.retrieved],
        "cited": [
            {
                "n": c.n,
                "doc_id": c.doc_id,
                "char_start": c.start,
                "char_end": c.end,
                "quote": c.quote,
                "gold": any(overlaps((c.doc_id, c.start, c.end), g) for g in flat),
            }
            for c in out.citations
        ],
        "latency_ms": round(out.latency_ms, 2),
        **out.extra,
    }
    row.update(dict.fromkeys(FIELDS.values()))
    if item.answerable and flat:
        ranks = [i for i, (d, _, _) in enumerate(out.retrieved, 1) if d in gold_docs]
        row["hit"] = float(bool(ranks))
        row["rr"] = 1.0 / ranks[0] if ranks else 0.0
        row["span_hit"] = float(any(overlaps(r, g) for r in out.retrieved for g in flat))
        cited = [(c.doc_id, c.start, c.end) for c in out.citations] if answered else []
        row["citation_recall"] = sum(
            any(overlaps(c, g) for c in cited for g in spans) for spans in gold
        ) / len(gold)
        if answered:
            row["citation_precision"] = sum(c["gold"] for c in row["cited"]) / len(cited)
    if item.answerable:
        row["correct"] = float(answered and contains_answer(out.text, item.answers))
    if answered:
        row["support_precision"], row["support_recall"] = support_scores(out)
        row["words"] = float(len(strip_markers(out.text).split()))
    if item.choices and item.choice is not None and pick is not None and answered:
        used = {n for _, ns in out.sentences for n in ns}
        quotes = [c.quote for c in out.citations if c.n in used]
        chosen = pick(" ".join([strip_markers(out.text), *quotes]), item.choices)
        row["mc_choice"] = chosen
        row["mc_correct"] = float(chosen == item.choice)
    elif item.choices and pick is not None:
        row["mc_choice"], row["mc_correct"] = None, 0.0
    return row
