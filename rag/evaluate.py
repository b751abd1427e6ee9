"""Eval set + corpus -> citation-accuracy metrics for our pipeline (and LlamaIndex's stock one).

Each run builds a throwaway index of the corpus in a temporary folder, asks every question,
and scores retrieval (document and evidence-span hits), citations (overlap with the gold
quotes), support (ALCE-style, with rag.verify.support_of), answers and abstentions.
Rates are means over the questions they apply to; every metric gets a bootstrap 95% CI.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .embed import Embedder
from .errors import RagError
from .settings import Settings
from .text import normalise, strip_markers
from .types import Article
from .verify import support_of

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
_FIELDS = {
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
BOOTSTRAP = 1000
SEED = 0
COMPARE = ("stock", "heuristic")


@dataclass(frozen=True)
class Item:
    """One eval-set record (eval/README.md); choices/choice only for multiple-choice sets."""

    id: str
    question: str
    answers: list[str]
    evidence: list[tuple[str, str]]  # (doc, quote)
    answerable: bool
    choices: list[str] | None = None
    choice: int | None = None


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


Span = tuple[str, int, int]


def load_set(path: Path, limit: int | None = None) -> list[Item]:
    items = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            items.append(
                Item(
                    str(r["id"]),
                    r["question"],
                    list(r.get("answers", [])),
                    [(e["doc"], e["quote"]) for e in r.get("evidence", [])],
                    bool(r.get("answerable", True)),
                    r.get("choices"),
                    r.get("choice"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise RagError(f"{path} line {lineno}: not an eval record ({err})") from err
        if limit is not None and len(items) >= limit:
            break
    if not items:
        raise RagError(f"{path} holds no questions")
    return items


def read_corpus(corpus: Path) -> dict[str, Article]:
    """doc_id -> Article, read exactly as `rag ingest` reads it."""
    from .ingest import discover, iter_articles

    files, _, _ = discover([corpus])
    return {a.doc_id: a for _, arts, _ in iter_articles(files) for a in arts}


def gold_spans(item: Item, texts: dict[str, str]) -> tuple[list[list[Span]], list[str]]:
    """Per evidence entry, every place its quote occurs (in its doc or a same-text twin)."""
    twins: dict[str, list[str]] = {}
    for doc, text in texts.items():
        twins.setdefault(text, []).append(doc)
    spans, problems = [], []
    for doc, quote in item.evidence:
        found: list[Span] = []
        for twin in twins.get(texts.get(doc, "\0"), [doc]):
            text = texts.get(twin, "")
            at = text.find(quote) if quote else -1
            while at >= 0:
                found.append((twin, at, at + len(quote)))
                at = text.find(quote, at + 1)
        if not found:
            problems.append(f"{item.id}: quote not found in '{doc}': {quote[:60]!r}")
        spans.append(found)
    return spans, problems


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def contains_answer(text: str, answers: list[str]) -> bool:
    hay = f" {normalise(strip_markers(text))} "
    return any(norm and f" {norm} " in hay for norm in map(normalise, answers))


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
                "gold": any(_overlaps((c.doc_id, c.start, c.end), g) for g in flat),
            }
            for c in out.citations
        ],
        "latency_ms": round(out.latency_ms, 2),
        **out.extra,
    }
    row.update(dict.fromkeys(_FIELDS.values()))
    if item.answerable and flat:
        ranks = [i for i, (d, _, _) in enumerate(out.retrieved, 1) if d in gold_docs]
        row["hit"] = float(bool(ranks))
        row["rr"] = 1.0 / ranks[0] if ranks else 0.0
        row["span_hit"] = float(any(_overlaps(r, g) for r in out.retrieved for g in flat))
        cited = [(c.doc_id, c.start, c.end) for c in out.citations] if answered else []
        row["citation_recall"] = sum(
            any(_overlaps(c, g) for c in cited for g in spans) for spans in gold
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


# -- aggregation ----------------------------------------------------------------------------


def _stats(rows: list[dict[str, Any]], idx: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric for each resample of questions; idx is (resamples, questions)."""
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, key in _FIELDS.items():
            v = np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)
            taken = v[idx]
            count = (~np.isnan(taken)).sum(axis=1)
            out[name] = np.where(count > 0, np.nansum(taken, axis=1) / np.maximum(count, 1), np.nan)
        unans = np.array([not r["answerable"] for r in rows], dtype=float)[idx]
        absd = np.array([r["abstained"] for r in rows], dtype=float)[idx]
        tp = (unans * absd).sum(axis=1)
        fp = ((1 - unans) * absd).sum(axis=1)
        fn = (unans * (1 - absd)).sum(axis=1)
        out["abstention_precision"] = tp / (tp + fp)
        out["abstention_recall"] = tp / (tp + fn)
        out["abstention_f1"] = 2 * tp / (2 * tp + fp + fn)
        lat = np.array([r["latency_ms"] for r in rows], dtype=float)[idx]
        out["latency_p50_ms"] = np.percentile(lat, 50, axis=1)
        out["latency_p95_ms"] = np.percentile(lat, 95, axis=1)
    return out


def _num(x: float) -> float | None:
    return None if x is None or np.isnan(x) else round(float(x), 4)


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """{"metrics", "ci", "extra"}: point values (None = undefined, e.g. 0/0) and 95% CIs."""
    n = len(rows)
    point = {k: v[0] for k, v in _stats(rows, np.arange(n)[None, :]).items()}
    rng = np.random.default_rng(SEED)
    boot = _stats(rows, rng.integers(0, n, size=(BOOTSTRAP, n)))
    ci = {}
    for name, values in boot.items():
        ok = values[~np.isnan(values)]
        ci[name] = (
            [_num(np.percentile(ok, 2.5)), _num(np.percentile(ok, 97.5))] if len(ok) else None
        )
    metrics = {k: _num(point[k]) for k in METRICS if k != "n"}
    metrics["n"] = n
    extra = {
        "answer_words": _num(point["answer_words"]),
        "mc_accuracy": _num(point["mc_accuracy"]),
        "answerable": sum(r["answerable"] for r in rows),
        "unanswerable": sum(not r["answerable"] for r in rows),
        "abstained": sum(r["abstained"] for r in rows),
    }
    keep = [*METRICS[:-1], "answer_words", "mc_accuracy"]
    return {"metrics": metrics, "ci": {k: ci[k] for k in keep}, "extra": extra}


def paired_difference(ours: list[dict[str, Any]], other: list[dict[str, Any]]) -> dict[str, Any]:
    """Ours minus the other pipeline on the same questions, with a paired bootstrap 95% CI
    (the same resampled questions for both): {metric: [difference, low, high]}."""
    n = len(ours)
    idx = np.vstack([np.arange(n), np.random.default_rng(SEED).integers(0, n, (BOOTSTRAP, n))])
    a, b = _stats(ours, idx), _stats(other, idx)
    out: dict[str, Any] = {}
    for name in (*RATE_METRICS, *ABSTENTION_METRICS, "mc_accuracy"):
        d = a[name] - b[name]
        ok = d[1:][~np.isnan(d[1:])]
        if np.isnan(d[0]) or not len(ok):
            continue
        out[name] = [_num(d[0]), _num(np.percentile(ok, 2.5)), _num(np.percentile(ok, 97.5))]
    return out


# -- the pipelines ----------------------------------------------------------------------


def _progress(items: list[Item], label: str, show: bool | None) -> Any:
    from tqdm import tqdm

    show = sys.stderr.isatty() if show is None else show
    return tqdm(items, desc=label, unit="q", disable=not show)


def run_ours(
    items: list[Item], corpus: Path, settings: Settings, embedder: Embedder, progress: bool | None
) -> tuple[list[Outcome], dict[str, Any]]:
    from .engine import Engine

    engine = Engine(settings, embedder)
    t0 = time.perf_counter()
    report = engine.ingest([corpus], progress=progress)
    info = {
        "ingest_seconds": round(time.perf_counter() - t0, 2),
        "ingest": report.summary(),
        "manifest": engine.stats()["manifest"],
        "rejected": [f"{r.where}: {r.reason}" for r in report.rejected],
    }
    return ask_items(items, engine, "ours", progress), info


def ask_items(items: list[Item], engine: Any, label: str, progress: bool | None) -> list[Outcome]:
    """Every question through one engine, timed (the models are loaded first)."""
    top_k = engine.settings.top_k
    engine.ask(items[0].question)  # load the models before anything is timed
    outcomes = []
    for item in _progress(items, label, progress):
        t = time.perf_counter()
        ans = engine.ask(item.question, top_k)
        ms = (time.perf_counter() - t) * 1000
        retrieved = engine.retrieve(item.question, top_k)  # what ask() read
        outcomes.append(
            Outcome(
                [(p.chunk.doc_id, p.chunk.char_start, p.chunk.char_end) for p in retrieved],
                ans.text,
                [(s.text, s.citations) for s in ans.sentences],
                [
                    Cited(c.n or 0, c.doc_id, c.char_start, c.char_end, c.quote)
                    for c in ans.citations
                ],
                ans.abstained,
                ms,
            )
        )
    return outcomes


def run_heuristic(
    items: list[Item], settings: Settings, embedder: Embedder, progress: bool | None
) -> list[Outcome]:
    """Ours on the same index without the answer model: cosine + term overlap, no reranking
    (the default; with RAG_ANSWER_MODEL set, this is what the model is measured against)."""
    from .engine import Engine

    cfg = settings.model_copy(update={"answer_model": "none", "rerank_depth": 0})
    return ask_items(items, Engine(cfg, embedder), "heuristic", progress)


def _locate(doc_text: str, piece: str, near: int | None) -> tuple[int, int] | None:
    """Where a split-off piece of a node sits in its document (first match from `near`)."""
    piece = piece.strip()
    if not piece:
        return None
    at = doc_text.find(piece, near or 0)
    if at < 0:
        at = doc_text.find(piece)
    return (at, at + len(piece)) if at >= 0 else None


def stock_index(
    articles: dict[str, Article] | None, settings: Settings, chroma_dir: Path
) -> tuple[Any, Any]:
    """(VectorStoreIndex, Chroma collection) the stock way: SentenceSplitter defaults,
    HuggingFaceEmbedding of the same model, Chroma in chroma_dir; articles=None reopens it."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from .embed import resolve_model

    embed = HuggingFaceEmbedding(model_name=resolve_model(settings.embed_model), device="cpu")
    client = chromadb.PersistentClient(
        path=str(chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("stock")
    store = ChromaVectorStore(chroma_collection=collection)
    if articles is None:
        return VectorStoreIndex.from_vector_store(store, embed_model=embed), collection
    docs = [
        Document(text=a.text, id_=a.doc_id, metadata={"title": a.title}) for a in articles.values()
    ]
    index = VectorStoreIndex.from_documents(
        docs,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=embed,
        transformations=[SentenceSplitter()],
    )
    return index, collection


def run_stock(
    items: list[Item],
    articles: dict[str, Article],
    settings: Settings,
    workdir: Path,
    progress: bool | None,
) -> tuple[list[Outcome], dict[str, Any]]:
    """LlamaIndex out of the box: SentenceSplitter defaults, Chroma, CitationQueryEngine, no LLM."""
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.core.schema import MetadataMode, QueryBundle

    t0 = time.perf_counter()
    index, collection = stock_index(articles, settings, workdir / "stock-chroma")
    info = {"ingest_seconds": round(time.perf_counter() - t0, 2), "chunks": collection.count()}
    engine = CitationQueryEngine.from_args(
        index, llm=MockLLM(max_tokens=1), similarity_top_k=settings.top_k
    )
    engine.query(items[0].question)  # warm up before timing
    outcomes: list[Outcome] = []
    unlocated = mismatched = 0
    for item in _progress(items, "stock", progress):
        bundle = QueryBundle(item.question)
        t = time.perf_counter()
        nodes = engine.retrieve(bundle)
        response = engine.synthesize(bundle, nodes)
        ms = (time.perf_counter() - t) * 1000
        retrieved: list[Span] = []
        cited: list[Cited] = []
        pieces = 0
        for node in nodes:
            doc = node.node.ref_doc_id or ""
            text = articles[doc].text if doc in articles else ""
            content = node.node.get_content(metadata_mode=MetadataMode.NONE)
            start, end = node.node.start_char_idx, node.node.end_char_idx  # type: ignore[attr-defined]
            span = (start, end) if start is not None else _locate(text, content, 0)
            if span is not None and span[1] is not None:
                retrieved.append((doc, span[0], span[1]))
            # CitationQueryEngine splits each node into "Source n:" chunks, in order
            for piece in engine.text_splitter.split_text(content):
                pieces += 1
                where = _locate(text, piece, start)
                if where is None:
                    unlocated += 1
                    continue
                cited.append(Cited(len(cited) + 1, doc, *where, text[where[0] : where[1]]))
        mismatched += pieces != len(response.source_nodes)
        answer = cited[0].quote if cited else ""
        outcomes.append(
            Outcome(retrieved, answer, [(answer, (1,))] if cited else [], cited, False, ms)
        )
    info["unlocated_citations"] = unlocated
    info["questions_with_source_count_mismatch"] = mismatched
    return outcomes, info


def _picker(embedder: Embedder) -> Callable[[str, list[str]], int]:
    def pick(text: str, choices: list[str]) -> int:
        vecs = embedder.encode([text, *choices])
        return int(np.argmax(vecs[1:] @ vecs[0]))

    return pick


def run_eval(
    eval_set: Path,
    corpus: Path | None,
    settings: Settings,
    top_k: int | None = None,
    backend: str | None = None,
    compare: list[str] | None = None,
    embedder: Embedder | None = None,
    limit: int | None = None,
    progress: bool | None = False,
) -> dict[str, Any]:
    """Score our pipeline (and each `compare` pipeline) on an eval set; the results dict.

    The index is built from `corpus` (default: settings.seeds_dir) in a temporary folder,
    never in settings.index_dir.
    """
    unknown = sorted(set(compare or []) - set(COMPARE))
    if unknown:
        raise RagError(f"unknown --compare pipeline(s) {unknown} — known: {', '.join(COMPARE)}")
    corpus = Path(corpus or settings.seeds_dir)
    if not corpus.exists():
        raise RagError(f"corpus {corpus} does not exist — pass --corpus DIR")
    items = load_set(Path(eval_set), limit)
    update: dict[str, Any] = {"chroma_url": None}
    if top_k is not None:
        update["top_k"] = top_k
    if backend is not None:
        update["llm"] = backend
    articles = read_corpus(corpus)
    texts = {d: a.text for d, a in articles.items()}
    golds, warnings = [], []
    for item in items:
        spans, problems = gold_spans(item, texts)
        golds.append(spans)
        warnings += problems
    embedder = embedder or Embedder.from_settings(settings)
    pick = _picker(embedder) if any(i.choices for i in items) else None
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        work = Path(tmp)
        cfg = settings.model_copy(update={**update, "index_dir": work / "index"})
        outs, info = run_ours(items, corpus, cfg, embedder, progress)
        rows = [score(i, g, o, pick) for i, g, o in zip(items, golds, outs, strict=True)]
        result: dict[str, Any] = {
            **aggregate(rows),
            "checker": CHECKER,
            "per_question": rows,
            "compare": {},
            "set": str(eval_set),
            "corpus": str(corpus),
            "settings": {**cfg.model_dump(mode="json"), "index_dir": "(temporary)"},
            "index": info,
            "warnings": warnings,
        }
        for name in compare or []:
            if name == "heuristic":
                s_outs, s_info = run_heuristic(items, cfg, embedder, progress), info
            else:
                s_outs, s_info = run_stock(items, articles, cfg, work, progress)
            s_rows = [score(i, g, o, pick) for i, g, o in zip(items, golds, s_outs, strict=True)]
            result["compare"][name] = {
                **aggregate(s_rows),
                "per_question": s_rows,
                "index": s_info,
                "difference": paired_difference(rows, s_rows),
            }
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result


def json_view(result: dict[str, Any]) -> dict[str, Any]:
    """What `rag eval --json` prints."""
    keys = ("metrics", "ci", "checker", "extra", "per_question", "compare")
    return {k: result[k] for k in keys if k in result}
