"""Synthetic corpora -> the sizing table of docs/deployment.md: embedded SQLite against
PostgreSQL + a Chroma server, same chunks, same questions.

    python -m bench.deployment --chunks 100000 --database-url postgresql://postgres@127.0.0.1/test

For each size and each store: ingest (corpus vectors seeded random, no spaCy: the encoder's
cost is the same for both and is in docs/performance.md) and warm answers (questions embedded
by the model), each step in its own process (bench.worker). The PostgreSQL rows use a new
database on that server, dropped afterwards, and a `chroma run` of their own. Prints the rows as
JSON and as a Markdown table; writes bench/results/deployment.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.run import step
from bench.worker import disk_mb

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def new_database(server: str) -> Iterator[str]:
    """A new empty database on `server`; yields its URL and drops it afterwards."""
    import psycopg

    name = f"rag_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return float(row[0]) / 1e6 if row else 0.0


def run_size(
    n: int, work: Path, server: str, questions: int, stores: list[str]
) -> list[dict[str, Any]]:
    from bench.synthetic import write_corpus

    corpus = work / f"synthetic-{n}"
    asked = write_corpus(corpus, n)
    picked = [{"question": q["question"], "gold": [q["doc"]]} for q in asked[:: n // questions]]
    rows = []
    for store in stores:
        args: dict[str, Any] = {
            "corpus": str(corpus),
            "index": str(work / f"{store}-{n}"),
            "encoder": "onnx",
            "vectors": "random",
        }
        with store_for(store, server, work / f"chroma-{n}") as extra:
            args.update(extra)
            print(f"{n} chunks, {store}", flush=True)
            ingest = step("ingest-ours", args)
            query = step("query-ours", {**args, "questions": picked[:questions]})
            size = disk_mb(Path(args["index"]))
            if store == "postgresql":
                size = database_mb(extra["database_url"]) + disk_mb(work / f"chroma-{n}")
        rows.append(
            {
                "chunks": ingest["chunks"],
                "store": store,
                "ingest_s": round(ingest["ingest_s"], 1),
                "chunks_per_s": round(ingest["chunks_per_s"], 1),
                "answer_p50_ms": round(query["answer_p50_ms"], 1),
                "answer_p95_ms": round(query["answer_p95_ms"], 1),
                "retrieve_p50_ms": round(query["retrieve_p50_ms"], 1),
                "query_rss_mb": round(query["query_rss_mb"]),
                "stored_mb": round(size),
                "stages": {k[6:]: round(v, 1) for k, v in ingest.items() if k.startswith("stage:")},
            }
        )
    return rows


@contextmanager
def store_for(store: str, server: str, chroma_dir: Path) -> Iterator[dict[str, str]]:
    """Nothing for SQLite; a new database and a `chroma run` for PostgreSQL."""
    if store == "sqlite":
        yield {}
        return
    from tests.servers import ChromaServer

    chroma = ChromaServer(chroma_dir).start()
    try:
        with new_database(server) as url:
            yield {"database_url": url, "chroma_url": chroma.url, "collection": "bench"}
    finally:
        chroma.kill()


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| chunks | store | ingest (chunks/s) | answer p50 / p95 (ms) | retrieval p50 (ms) "
        "| query RSS (MB) | stored (MB) |\n|---|---|---|---|---|---|---|"
    )
    lines = [
        f"| {r['chunks']:,} | {r['store']} | {r['chunks_per_s']} | {r['answer_p50_ms']} / "
        f"{r['answer_p95_ms']} | {r['retrieve_p50_ms']} | {r['query_rss_mb']} | {r['stored_mb']} |"
        for r in rows
    ]
    return "\n".join([head, *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", default="100000", help="comma-separated corpus sizes")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="deployment-"))
    rows = []
    for n in (int(x) for x in args.chunks.split(",")):
        rows += run_size(n, work, args.database_url, args.questions, args.stores.split(","))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "deployment.json").write_text(json.dumps(rows, indent=2))
    print(json.dumps(rows, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
