"""RealTime QA -> lexical search in PostgreSQL (tsvector, ts_rank_cd) against bm25s, same chunks.

    python -m bench.fulltext --year 2023 --database-url postgresql://postgres@127.0.0.1/test

builds an embedded index of the year's articles, copies it into a new database on that server
with `rag migrate` (a `chroma run` of its own holds the vectors; nothing is embedded twice),
then asks every question of both, as of its date: lexical hit@5 and hit@20 (a gold article
among the first chunks of the lexical list alone), full retrieval hit@5 (dense + lexical +
article vectors, fused), and lexical search time. Paired bootstrap intervals on the
differences. Prints one JSON object and writes bench/results/fulltext.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from rag.engine import Engine
from rag.index import Filters
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def hit(ids: list[str], gold: list[str], k: int) -> bool:
    """Whether a gold article owns one of the first k chunk ids (or passages' doc ids)."""
    return any(i.rsplit("#", 1)[0] in gold for i in ids[:k])


def paired_interval(a: list[bool], b: list[bool], seed: int = 0) -> dict[str, float]:
    """Mean of b - a with a 95% paired bootstrap interval (2,000 resamples)."""
    x = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), (2000, len(x)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"diff": round(float(x.mean()), 3), "lo": round(float(lo), 3), "hi": round(float(hi), 3)}


def measure(engine: Engine, questions: list[dict[str, Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"lex5": [], "lex20": [], "hit5": [], "lex_ms": []}
    store = engine.store
    for q in questions:
        filters = Filters(as_of=q["as_of"]) if q.get("as_of") else None
        allowed = store.allowed_docs(filters)
        t0 = time.perf_counter()
        lex = store.lexical(q["question"], 20, allowed)
        out["lex_ms"].append((time.perf_counter() - t0) * 1000)
        out["lex5"].append(hit(lex, q["gold"], 5))
        out["lex20"].append(hit(lex, q["gold"], 20))
        passages = engine.retrieve(q["question"], 5, filters)
        out["hit5"].append(hit([p.chunk.chunk_id for p in passages], q["gold"], 5))
    return out


def summary(m: dict[str, list[Any]]) -> dict[str, float]:
    return {
        "lexical_hit@5": round(float(np.mean(m["lex5"])), 3),
        "lexical_hit@20": round(float(np.mean(m["lex20"])), 3),
        "retrieval_hit@5": round(float(np.mean(m["hit5"])), 3),
        "lexical_p50_ms": round(float(np.percentile(m["lex_ms"], 50)), 2),
        "lexical_p95_ms": round(float(np.percentile(m["lex_ms"], 95)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", default="2023")
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--questions", type=int, default=None, help="first N (default all)")
    parser.add_argument(
        "--work", type=Path, help="a folder of an earlier run: its embedded index is reused"
    )
    parser.add_argument("--candidates", type=int, help="chunks PostgreSQL scores at most")
    args = parser.parse_args()

    import psycopg

    from rag.index import fulltext

    if args.candidates:
        fulltext.CANDIDATES = args.candidates

    from bench.run import rtqa_slice
    from rag.migrate import migrate
    from tests.servers import ChromaServer

    work = args.work or Path(tempfile.mkdtemp(prefix="fulltext-"))
    built = (work / "index" / "manifest.json").exists()
    corpus, questions, mb = rtqa_slice(
        args.datasets / "realtimeqa" / args.year, work / "rtqa", args.questions or 10**6
    )
    questions = [q for q in questions if q["gold"]]
    local = Engine(Settings(index_dir=work / "index", chroma_url=None, database_url=None))
    t0 = time.perf_counter()
    if not built:
        local.ingest([corpus])
    ingest_s = time.perf_counter() - t0 if not built else None
    name = f"rag_fulltext_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.database_url.rsplit("/", 1)[0] + "/" + name
    chroma = ChromaServer(work / "chroma").start()
    try:
        settings = local.settings.model_copy(update={"chroma_url": chroma.url})
        copied = migrate(settings, url)
        shared = Engine(settings.model_copy(update={"database_url": url}), local.embedder)
        bm25, pg = measure(local, questions), measure(shared, questions)
        shared.store.close()
    finally:
        chroma.kill()
        with psycopg.connect(args.database_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result = {
        "year": args.year,
        "candidates": fulltext.CANDIDATES,
        "questions": len(questions),
        "articles": copied.articles,
        "chunks": copied.chunks,
        "corpus_mb": round(mb, 2),
        "ingest_s": round(ingest_s, 1) if ingest_s is not None else "(an earlier run's index)",
        "bm25s": summary(bm25),
        "postgresql": summary(pg),
        "postgresql_minus_bm25s": {
            k: paired_interval(bm25[k], pg[k]) for k in ("lex5", "lex20", "hit5")
        },
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "fulltext.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
