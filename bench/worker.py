"""One measured step in its own process, so peak RSS is that step's -> one JSON line on stdout.

python -m bench.worker ingest-ours|query-ours|ingest-stock|query-stock ARGS_JSON
"""

from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.settings import Settings

TOP_K = 8  # passages per answer (the default); hit@5 reads the first five


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6


def percentiles(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}


def settings_for(a: dict[str, Any]) -> Settings:
    """The step's settings: RAG_* from the environment, then the step's index (a folder, or a
    database and a Chroma server), encoder and (for query steps) answer model."""
    extra = {"answer_model": a["answer_model"]} if a.get("answer_model") else {}
    if a.get("database_url"):  # the records in PostgreSQL, the vectors in a Chroma server
        extra.update(collection=a["collection"])
    return Settings(
        index_dir=Path(a["index"]),
        encoder=a["encoder"],
        chroma_url=a.get("chroma_url"),
        database_url=a.get("database_url"),
        **extra,
    )


class RandomVectors:
    """Stands in for the encoder at ingest when the scale run says so: seeded unit vectors.

    Only the corpus is embedded this way (the run is labelled); questions use the real model.
    """

    def __init__(self, embedder: Any) -> None:
        self.inner = embedder

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def articles(self) -> RandomVectors:
        # article vectors too, in their own encoder's dimension (the static table's 256 is not
        # MiniLM's 384): the scale run times storage and search, not a model
        return RandomVectors(self.inner.articles)

    def encode(self, texts: list[str]) -> np.ndarray:
        rng = np.random.default_rng(len(texts))
        v = rng.standard_normal((len(texts), self.inner.dimension)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def encode_sums(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As Embedder.encode_sums (how the default pools chunk vectors from sentences)."""
        v = self.encode(texts)
        return v, v, np.ones(len(texts), dtype=np.float32)

    def encode_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[Any]:
        pairs = zip(texts, spans, strict=True)
        return [self.encode([t, *(t[s:e] for s, e in sp)]) for t, sp in pairs]


def ingest_ours(a: dict[str, Any]) -> dict[str, Any]:
    from rag.engine import Engine

    settings = settings_for(a)
    if a.get("vectors") == "random":
        # the models are bypassed, spaCy's entity reader too (at 100k articles it alone would
        # take most of an hour): the scale rows time storage and search
        settings = settings.model_copy(update={"entities": False})
    engine = Engine(settings)
    if a.get("vectors") == "random":
        engine.embedder = RandomVectors(engine.embedder)  # type: ignore[assignment]
    t0 = time.perf_counter()
    report = engine.ingest([Path(a["corpus"])], progress=False)
    seconds = time.perf_counter() - t0
    if a.get("vectors") == "random":
        engine.store.write_manifest(bench_corpus_vectors="random (encoder bypassed at ingest)")
    return {
        "ingest_s": seconds,
        "chunks": report.chunks,
        "articles": len(report.added),
        "chunks_per_s": report.chunks / seconds,
        "ingest_rss_mb": peak_rss_mb(),
        "index_mb": disk_mb(Path(a["index"])),
        # each model and step of the ingest, so that no feature doubles it unnoticed
        **{f"stage:{name}": s for name, s in report.stages.items()},
    }


def query_ours(a: dict[str, Any]) -> dict[str, Any]:
    from rag.engine import Engine

    engine = Engine(settings_for(a))
    questions = a["questions"]
    engine.ask(questions[0]["question"])  # load the model and the index before timing
    retrieve_ms, answer_ms, hits, unstored_ms = [], [], [], []
    for q in questions:
        engine.embedder.clear_cache()  # time the question's embedding too
        t = time.perf_counter()
        passages = engine.retrieve(q["question"], TOP_K)
        retrieve_ms.append((time.perf_counter() - t) * 1000)
        hits.append(bool({p.article.doc_id for p in passages[:5]} & set(q["gold"])))
        engine.embedder.clear_cache()
        if engine.answer_model is not None:  # its scores of this question's sentences too
            engine.answer_model.clear_cache()
        t = time.perf_counter()
        engine.ask(q["question"], TOP_K, as_of=q.get("as_of"))  # as of the question's date
        answer_ms.append((time.perf_counter() - t) * 1000)
        # the lever: the same answer step embedding the sentences per question, as before
        vector = engine.embedder.encode_cached([q["question"]])[0]
        bare = [replace(p, vectors=None) for p in passages]
        engine.embedder.clear_cache()
        t = time.perf_counter()
        engine.backend.answer(q["question"], bare, vector)
        unstored_ms.append((time.perf_counter() - t) * 1000)
    out = summary(retrieve_ms, answer_ms, hits)
    out["answer_step_p50_ms_sentences_embedded_per_question"] = float(np.median(unstored_ms))
    return out


def summary(retrieve_ms: list[float], answer_ms: list[float], hits: list[bool]) -> dict[str, Any]:
    r, w = percentiles(retrieve_ms), percentiles(answer_ms)
    return {
        "retrieve_p50_ms": r["p50_ms"],
        "retrieve_p95_ms": r["p95_ms"],
        "answer_p50_ms": w["p50_ms"],
        "answer_p95_ms": w["p95_ms"],
        "hit@5": float(np.mean(hits)),
        "questions": len(hits),
        "query_rss_mb": peak_rss_mb(),
    }


def ingest_stock(a: dict[str, Any]) -> dict[str, Any]:
    from rag.eval.dataset import read_corpus
    from rag.eval.runners import stock_index

    articles = read_corpus(Path(a["corpus"]))
    t0 = time.perf_counter()
    _, collection = stock_index(articles, settings_for(a), Path(a["index"]))
    seconds = time.perf_counter() - t0
    chunks = collection.count()
    return {
        "ingest_s": seconds,
        "chunks": chunks,
        "articles": len(articles),
        "chunks_per_s": chunks / seconds,
        "ingest_rss_mb": peak_rss_mb(),
        "index_mb": disk_mb(Path(a["index"])),
    }


def stock_engines(a: dict[str, Any]) -> tuple[Any, Any]:
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import CitationQueryEngine

    from rag.eval.runners import stock_index

    index, _ = stock_index(None, settings_for(a), Path(a["index"]))
    retriever = index.as_retriever(similarity_top_k=TOP_K)
    engine = CitationQueryEngine.from_args(index, llm=MockLLM(max_tokens=1), similarity_top_k=TOP_K)
    return retriever, engine


def query_stock(a: dict[str, Any]) -> dict[str, Any]:
    retriever, engine = stock_engines(a)
    questions = a["questions"]
    engine.query(questions[0]["question"])
    retrieve_ms, answer_ms, hits = [], [], []
    for q in questions:
        t = time.perf_counter()
        nodes = retriever.retrieve(q["question"])
        retrieve_ms.append((time.perf_counter() - t) * 1000)
        hits.append(bool({n.node.ref_doc_id for n in nodes[:5]} & set(q["gold"])))
        t = time.perf_counter()
        engine.query(q["question"])
        answer_ms.append((time.perf_counter() - t) * 1000)
    return summary(retrieve_ms, answer_ms, hits)


def ask_stock(a: dict[str, Any]) -> dict[str, Any]:
    """The stock pipeline's `rag ask`: open the index, answer one question, print it."""
    _, engine = stock_engines(a)
    response = engine.query(a["question"])
    print(response.response, *(n.node.get_content()[:200] for n in response.source_nodes))
    return {}


TASKS = {
    "ingest-ours": ingest_ours,
    "query-ours": query_ours,
    "ingest-stock": ingest_stock,
    "query-stock": query_stock,
    "ask-stock": ask_stock,
}


if __name__ == "__main__":
    task, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(TASKS[task](args)))
