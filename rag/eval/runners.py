"""Eval set + corpus -> EvalResult: each pipeline asked every question on a throwaway index.

Each run builds a throwaway index of the corpus in a temporary folder, asks every question of
our pipeline (and of each compared one: LlamaIndex's stock pipeline, or ours without the
answer model) and scores the answers (rag.eval.metrics, rag.eval.bootstrap).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..embed import Embedder
from ..errors import RagError
from ..settings import Settings
from ..types import Answer, AnswerSentence, Article, Citation
from .bootstrap import aggregate, paired_difference
from .dataset import Gold, Item, Span, gold_spans, load_set, read_corpus
from .metrics import EvalResult, Outcome, PipelineRun, score

COMPARE = ("stock", "heuristic")


def _progress(items: list[Item], label: str, show: bool | None) -> Any:
    from tqdm import tqdm

    show = sys.stderr.isatty() if show is None else show
    return tqdm(items, desc=label, unit="q", disable=not show)


def run_ours(
    items: list[Item], corpus: Path, settings: Settings, embedder: Embedder, progress: bool | None
) -> tuple[list[Outcome], dict[str, Any]]:
    from ..engine import Engine

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
        answer = engine.ask(item.question, top_k, as_of=item.as_of)
        ms = (time.perf_counter() - t) * 1000
        retrieved, _ = engine.search(item.question, top_k, as_of=item.as_of)  # what ask() read
        spans = tuple((p.chunk.doc_id, p.chunk.char_start, p.chunk.char_end) for p in retrieved)
        outcomes.append(Outcome(answer, spans, ms, tuple(p.chunk.text for p in retrieved)))
    return outcomes


def run_heuristic(
    items: list[Item], settings: Settings, embedder: Embedder, progress: bool | None
) -> list[Outcome]:
    """Ours on the same index without the answer model: cosine + term overlap, no reranking
    (the default; with RAG_ANSWER_MODEL set, this is what the model is measured against)."""
    from ..engine import Engine

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

    from ..embed import resolve_model

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
        outcome, lost, mismatch = _ask_stock(engine, item, articles)
        outcomes.append(outcome)
        unlocated += lost
        mismatched += mismatch
    info["unlocated_citations"] = unlocated
    info["questions_with_source_count_mismatch"] = mismatched
    return outcomes, info


def _ask_stock(engine: Any, item: Item, articles: dict[str, Article]) -> tuple[Outcome, int, bool]:
    """(outcome, citation chunks not found in their article, whether the chunks cut here
    differ in number from the engine's sources) for one question."""
    from llama_index.core.schema import MetadataMode, QueryBundle

    bundle = QueryBundle(item.question)
    t = time.perf_counter()
    nodes = engine.retrieve(bundle)
    response = engine.synthesize(bundle, nodes)
    ms = (time.perf_counter() - t) * 1000
    retrieved: list[Span] = []
    texts: list[str] = []
    cited: list[Citation] = []
    pieces = unlocated = 0
    for node in nodes:
        doc = node.node.ref_doc_id or ""
        text = articles[doc].text if doc in articles else ""
        content = node.node.get_content(metadata_mode=MetadataMode.NONE)
        start, end = node.node.start_char_idx, node.node.end_char_idx  # type: ignore[attr-defined]
        span = (start, end) if start is not None else _locate(text, content, 0)
        if span is not None and span[1] is not None:
            retrieved.append((doc, span[0], span[1]))
            texts.append(content)
        # CitationQueryEngine splits each node into "Source n:" chunks, in order
        for piece in engine.text_splitter.split_text(content):
            pieces += 1
            where = _locate(text, piece, start)
            if where is None:
                unlocated += 1
                continue
            cited.append(_stock_citation(articles[doc], node.node.node_id, *where, len(cited) + 1))
    said = cited[0].quote if cited else ""
    sentences = (AnswerSentence(said, (1,)),) if cited else ()
    answer = Answer(item.question, said, sentences, tuple(cited), backend="stock")
    outcome = Outcome(answer, tuple(retrieved), ms, tuple(texts))
    return outcome, unlocated, pieces != len(response.source_nodes)


def _stock_citation(a: Article, chunk_id: str, start: int, end: int, n: int) -> Citation:
    """A citation chunk of the stock pipeline, located in its article, as our Citation."""
    quote = a.text[start:end]
    return Citation(a.doc_id, a.title, a.source, a.published, a.url, chunk_id, start, end, quote, n)


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
) -> EvalResult:
    """Score our pipeline (and each `compare` pipeline) on an eval set.

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
    update: dict[str, Any] = {"chroma_url": None, "database_url": None}  # never a shared one
    if top_k is not None:
        update["top_k"] = top_k
    if backend is not None:
        update["llm"] = backend
    articles = read_corpus(corpus)
    golds, warnings = _gold(items, articles)
    embedder = embedder or Embedder.from_settings(settings)
    pick = _picker(embedder) if any(i.choices for i in items) else None
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        work = Path(tmp)
        cfg = settings.model_copy(update={**update, "index_dir": work / "index"})
        outs, info = run_ours(items, corpus, cfg, embedder, progress)
        ours = _scored(items, golds, outs, pick, info)
        others = {}
        for name in compare or []:
            if name == "heuristic":
                s_outs, s_info = run_heuristic(items, cfg, embedder, progress), info
            else:
                s_outs, s_info = run_stock(items, articles, cfg, work, progress)
            others[name] = _scored(items, golds, s_outs, pick, s_info, ours)
        dumped = {**cfg.model_dump(mode="json"), "index_dir": "(temporary)"}
    seconds = round(time.perf_counter() - t0, 1)
    return EvalResult(ours, others, str(eval_set), str(corpus), dumped, warnings, seconds)


def _gold(items: list[Item], articles: dict[str, Article]) -> tuple[list[Gold], list[str]]:
    """Each item's gold spans, and a warning for each quote not found in the corpus."""
    texts = {d: a.text for d, a in articles.items()}
    golds, warnings = [], []
    for item in items:
        spans, problems = gold_spans(item, texts)
        golds.append(spans)
        warnings += problems
    return golds, warnings


def _scored(
    items: list[Item],
    golds: list[Gold],
    outs: list[Outcome],
    pick: Callable[[str, list[str]], int] | None,
    index: dict[str, Any],
    ours: PipelineRun | None = None,
) -> PipelineRun:
    """One pipeline's outcomes scored; with `ours`, also ours minus it."""
    rows = tuple(score(i, g, o, pick) for i, g, o in zip(items, golds, outs, strict=True))
    difference = paired_difference(ours.per_question, rows) if ours is not None else None
    return PipelineRun(aggregate(rows), rows, index, difference)


def json_view(result: EvalResult) -> dict[str, Any]:
    """What `rag eval --json` prints."""
    full = result.as_dict()
    keys = ("metrics", "ci", "checker", "extra", "per_question", "compare")
    return {k: full[k] for k in keys if k in full}
