"""An Item, its gold spans and a pipeline's Outcome -> QuestionScore; the typed eval results.

Scores: retrieval (document and evidence-span hits), citations (overlap with the gold
quotes), support (ALCE-style, with rag.verify.support_of), answers and abstentions. Every
result is a frozen dataclass; its `as_dict()` is its form in results.json.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ..text import strip_markers
from ..types import Answer, Citation
from ..verify import support_of
from .dataset import Gold, Item, Span, contains_answer, overlaps

CHECKER = "rag.verify.support_of (content-term containment: all terms of a sentence in its quotes)"
RATE_METRICS = (
    "hit@k",
    "mrr",
    "span_hit@k",
    "citation_precision",
    "citation_recall",
    "support_precision",
    "support_recall",
    "shown_supported",
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
    "shown_supported": "shown_supported",
    "answer_correctness": "correct",
    "answer_words": "words",
    "mc_accuracy": "mc_correct",
    "answer_retrieved": "answer_retrieved",
}


@dataclass(frozen=True)
class Outcome:
    """What one pipeline did with one question: its answer, what it read, how long it took."""

    answer: Answer
    retrieved: tuple[Span, ...]  # best first
    latency_ms: float
    texts: tuple[str, ...] = ()  # the retrieved passages' texts, in the same order


@dataclass(frozen=True)
class QuestionScore:
    """One question's numbers; None where a metric does not apply to it."""

    item: Item
    outcome: Outcome
    cited_gold: tuple[bool, ...]  # per citation of the answer: does it overlap a gold quote
    hit: float | None = None
    rr: float | None = None
    span_hit: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    support_precision: float | None = None
    support_recall: float | None = None
    shown_supported: float | None = None  # share of sentences the pipeline shows as supported
    correct: float | None = None
    words: float | None = None
    mc_correct: float | None = None  # multiple-choice sets only
    mc_choice: int | None = None  # the choice picked, when mc_correct is set
    # an accepted answer occurs in a retrieved passage: what a quoting answer could be right on
    answer_retrieved: float | None = None

    @property
    def latency_ms(self) -> float:
        return round(self.outcome.latency_ms, 2)

    def as_dict(self) -> dict[str, Any]:
        """The per_question record of results.json."""
        answer = self.outcome.answer
        row: dict[str, Any] = {
            "id": self.item.id,
            "question": self.item.question,
            "answerable": self.item.answerable,
            "abstained": answer.abstained,
            "answer": answer.text,
            "sentences": [
                {"text": x.text, "citations": list(x.citations), "support": x.support}
                for x in answer.sentences
            ],
            "gold": [{"doc": d, "quote": q} for d, q in self.item.evidence],
            "retrieved": [d for d, _, _ in self.outcome.retrieved],
            "cited": [
                {
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "char_start": c.char_start,
                    "char_end": c.char_end,
                    "quote": c.quote,
                    "gold": gold,
                }
                for c, gold in zip(answer.citations, self.cited_gold, strict=True)
            ],
            "latency_ms": self.latency_ms,
        }
        row.update((key, getattr(self, key)) for key in FIELDS.values())
        if self.mc_correct is not None:
            row["mc_choice"] = self.mc_choice
        return row


def _attr(metric: str) -> str:
    return metric.replace("@k", "_at_k")


@dataclass(frozen=True)
class Metrics:
    """One pipeline's metrics on an eval set (None: applies to no question, e.g. 0/0)."""

    hit_at_k: float | None
    mrr: float | None
    span_hit_at_k: float | None
    citation_precision: float | None
    citation_recall: float | None
    support_precision: float | None
    support_recall: float | None
    shown_supported: float | None
    answer_correctness: float | None
    abstention_precision: float | None
    abstention_recall: float | None
    abstention_f1: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    n: int

    @classmethod
    def from_names(cls, values: dict[str, Any]) -> Metrics:
        """From {metric name (as in METRICS): value}."""
        return cls(**{_attr(name): v for name, v in values.items()})

    def as_dict(self) -> dict[str, Any]:
        """{metric name: value}, names as in METRICS ("hit@k", ...)."""
        return {name: getattr(self, _attr(name)) for name in METRICS}


@dataclass(frozen=True)
class Extra:
    """Numbers beside the metrics: means that not every set has, and question counts."""

    answer_words: float | None  # mean words per answer, answered questions
    mc_accuracy: float | None  # multiple-choice sets only
    answerable: int
    unanswerable: int
    abstained: int
    skipped_no_evidence: int | None = None  # RealTime QA only
    # share of answerable questions with an accepted answer in the retrieved passages: the
    # most answer correctness a pipeline quoting them could reach
    answer_retrieved: float | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("skipped_no_evidence", "answer_retrieved"):
            if d[key] is None:
                del d[key]
        return d


Interval = list[float]  # [low, high]


@dataclass(frozen=True)
class Summary:
    """Metrics with their bootstrap 95% intervals (None: no resample defines one)."""

    metrics: Metrics
    ci: dict[str, Interval | None]
    extra: Extra

    def value(self, name: str) -> float | None:
        """A metric, answer_words or mc_accuracy, by name."""
        metrics = self.metrics.as_dict()
        value: float | None = metrics[name] if name in metrics else getattr(self.extra, name)
        return value

    def as_dict(self) -> dict[str, Any]:
        return {"metrics": self.metrics.as_dict(), "ci": self.ci, "extra": self.extra.as_dict()}


@dataclass(frozen=True)
class PipelineRun:
    """One pipeline's scores on the eval set, and how its index was built."""

    summary: Summary
    per_question: tuple[QuestionScore, ...]
    index: dict[str, Any]
    difference: dict[str, list[float | None]] | None = None  # ours minus this pipeline

    def as_dict(self) -> dict[str, Any]:
        """An entry of results.json's "compare"."""
        rows = [r.as_dict() for r in self.per_question]
        extra = {"per_question": rows, "index": self.index, "difference": self.difference}
        return {**self.summary.as_dict(), **extra}


@dataclass(frozen=True)
class EvalResult:
    """Our pipeline's scores and those of each compared pipeline (`compare`)."""

    ours: PipelineRun
    compare: dict[str, PipelineRun]
    set: str
    corpus: str
    settings: dict[str, Any]
    warnings: list[str]
    seconds: float
    checker: str = CHECKER
    realtimeqa: dict[str, int] | None = None  # the adapter's counts, for RealTime QA runs

    def pipelines(self) -> dict[str, PipelineRun]:
        return {"ours": self.ours, **self.compare}

    def as_dict(self) -> dict[str, Any]:
        """results.json."""
        out = {
            **self.ours.summary.as_dict(),
            "checker": self.checker,
            "per_question": [r.as_dict() for r in self.ours.per_question],
            "compare": {name: run.as_dict() for name, run in self.compare.items()},
            "set": self.set,
            "corpus": self.corpus,
            "settings": self.settings,
            "index": self.ours.index,
            "warnings": self.warnings,
            "seconds": self.seconds,
        }
        if self.realtimeqa is not None:
            out["realtimeqa"] = self.realtimeqa
        return out


def support_scores(answer: Answer) -> tuple[float, float]:
    """(precision, recall) of citation support for one answer, as ALCE computes them.

    Recall: share of sentences whose citations together support them. Precision: share of
    citations that support their sentence alone, or without which the rest no longer would
    (a supported sentence's citations only; a sentence left unsupported earns none).
    """
    quotes = {c.n: c.quote for c in answer.citations}
    supported = relevant = total = 0
    for sentence in answer.sentences:
        text = sentence.text
        refs = [n for n in sentence.citations if n in quotes]
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
    recall = supported / len(answer.sentences) if answer.sentences else 0.0
    return (relevant / total if total else 0.0), recall


def score(
    item: Item,
    gold: Gold,
    out: Outcome,
    pick: Callable[[str, list[str]], int] | None = None,
) -> QuestionScore:
    """One question's numbers; None where a metric does not apply to it."""
    answer = out.answer
    flat = [s for spans in gold for s in spans]
    answered = not answer.abstained and bool(answer.citations)
    cited_gold = tuple(any(overlaps(_span(c), g) for g in flat) for c in answer.citations)
    values: dict[str, Any] = {}
    if item.answerable and flat:
        values |= _retrieval_scores(flat, out.retrieved)
        values |= _citation_scores(gold, answer, cited_gold, answered)
    if item.answerable:
        values["correct"] = float(answered and contains_answer(answer.text, item.answers))
        if out.texts and item.answers:
            values["answer_retrieved"] = float(
                any(contains_answer(t, item.answers) for t in out.texts)
            )
    if answered:
        values["support_precision"], values["support_recall"] = support_scores(answer)
    if not answer.abstained and answer.sentences:  # uncited sentences count: they are shown
        shown = [s.support == "supported" for s in answer.sentences]
        values["shown_supported"] = sum(shown) / len(shown)
        values["words"] = float(len(strip_markers(answer.text).split()))
    values |= _choice_scores(item, answer, pick, answered)
    return QuestionScore(item, out, cited_gold, **values)


def _span(c: Citation) -> Span:
    return (c.doc_id, c.char_start, c.char_end)


def _retrieval_scores(flat: list[Span], retrieved: tuple[Span, ...]) -> dict[str, float]:
    """hit, reciprocal rank and span hit of the retrieved passages against the gold spans."""
    gold_docs = {s[0] for s in flat}
    ranks = [i for i, (d, _, _) in enumerate(retrieved, 1) if d in gold_docs]
    return {
        "hit": float(bool(ranks)),
        "rr": 1.0 / ranks[0] if ranks else 0.0,
        "span_hit": float(any(overlaps(r, g) for r in retrieved for g in flat)),
    }


def _citation_scores(
    gold: Gold, answer: Answer, cited_gold: tuple[bool, ...], answered: bool
) -> dict[str, float]:
    """Recall: share of gold quotes some citation overlaps (0 when not answered); precision:
    share of citations that overlap a gold quote (answered questions only)."""
    cited = [_span(c) for c in answer.citations] if answered else []
    recall = sum(any(overlaps(c, g) for c in cited for g in spans) for spans in gold) / len(gold)
    out = {"citation_recall": recall}
    if answered:
        out["citation_precision"] = sum(cited_gold) / len(cited)
    return out


def _choice_scores(
    item: Item, answer: Answer, pick: Callable[[str, list[str]], int] | None, answered: bool
) -> dict[str, Any]:
    """Multiple choice: the choice closest to the answer and its cited quotes; abstaining or
    citing nothing counts as wrong."""
    if not item.choices or pick is None:
        return {}
    if item.choice is None or not answered:
        return {"mc_choice": None, "mc_correct": 0.0}
    used = {n for s in answer.sentences for n in s.citations}
    quotes = [c.quote for c in answer.citations if c.n in used]
    chosen = pick(" ".join([strip_markers(answer.text), *quotes]), item.choices)
    return {"mc_choice": chosen, "mc_correct": float(chosen == item.choice)}
