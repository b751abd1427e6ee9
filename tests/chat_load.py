"""Chat sessions against a real `rag serve` while articles are uploaded and ingested -> figures.

    python -m tests.chat_load --sessions 20 --seconds 60
    python -m tests.chat_load --replicas 2 --database-url postgresql://postgres@127.0.0.1/test

builds an index of tests/data in a temporary folder, starts `rag serve` on a free port, runs
N gradio_client sessions asking in a loop, and meanwhile uploads batches of new articles
through the Library's own upload and ingest events until the time is up. Every answer is
checked for the `rag ask --json` contract. Prints one JSON object of figures.

With --database-url, the library lives in a new database on that PostgreSQL server (dropped
afterwards) and a `chroma run` of its own, served by --replicas `rag serve` processes, each
with an empty index folder of its own; the sessions are dealt out among them in turn and the
uploads go to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .servers import call, file_data, rag_serve, upload

DATA = Path(__file__).parent / "data"
# (question, words its answer must contain; None: it must abstain)
QUESTIONS: list[tuple[str, str | None]] = [
    ("When does the Aldmere swing bridge shut for repairs?", "14 March"),
    ("How far did the Tarnvik glacier pull back?", "41 metres"),
    ("Who won the Brenholt chess tournament?", "Mira Okafor"),
    ("How did the Vellmar council vote on the shorter working week?", "23 to 9"),
    ("Who is the new Mount Kessel telescope named after?", "Agnes Whitlow"),
    ("How long will the Saltmarsh train drivers walk out?", "48 hours"),
    ("What is the boiling point of mercury?", None),
    # the default answerer quotes the lede here, not the shed (conftest.MISSED)
    ("Where was the stolen Gorran Museum clock found?", "Gorran Museum"),
]
# the `rag ask --json` fields every answer has (backends may add more)
KEYS = {"question", "answer", "abstained", "sentences", "citations", "related", "timings_ms"}


@dataclass
class Figures:
    sessions: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds per answered question
    errors: list[str] = field(default_factory=list)
    ingests: list[float] = field(default_factory=list)  # seconds per upload + ingest
    uploaded: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else 0.0

        return {
            "sessions": self.sessions,
            "seconds": self.seconds,
            "requests": len(lat),
            "errors": len(self.errors),
            "first_errors": self.errors[:5],
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "max_ms": round(lat[-1] * 1000, 1) if lat else 0.0,
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else 0.0,
            "ingests": len(self.ingests),
            "ingest_s_each": [round(s, 1) for s in self.ingests],
            "articles_uploaded": self.uploaded,
        }


def check_answer(out: Any, question: str, words: str | None) -> str | None:
    """Why an API answer is wrong or breaks the `rag ask --json` contract; None when right."""
    if not isinstance(out, dict) or not set(out) >= KEYS:
        return f"wrong shape: {str(out)[:120]}"
    if out["question"] != question:
        return "question not echoed"
    if (words is None) != out["abstained"] or (words and words not in out["answer"]):
        return f"wrong answer to {question!r}: {out['answer'][:100]!r}"
    cites = out["citations"]
    if out["abstained"] != (not cites):
        return "abstained disagrees with citations"
    if [c["n"] for c in cites] != list(range(1, len(cites) + 1)):
        return "citations not numbered 1..n"
    for c in cites:
        if not c["quote"] or c["char_end"] - c["char_start"] != len(c["quote"]):
            return f"quote and offsets disagree in {c['chunk_id']}"
    for s in out["sentences"]:
        if not set(s["citations"]) <= {c["n"] for c in cites}:
            return "a sentence cites a source that is not listed"
    return None


def chat_session(url: str, deadline: float, figures: Figures, offset: int) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as err:  # a refused connection is a finding, not a crash of the run
        with figures.lock:
            figures.errors.append(f"connect: {type(err).__name__}: {err}")
        return
    n = offset
    while time.monotonic() < deadline:
        question, words = QUESTIONS[n % len(QUESTIONS)]
        n += 1
        t0 = time.perf_counter()
        try:
            out = client.predict(question, api_name="/ask")
            problem = check_answer(out, question, words)
        except Exception as err:  # every failure is counted and shown
            problem = f"{type(err).__name__}: {err}"
        took = time.perf_counter() - t0
        with figures.lock:
            if problem:
                figures.errors.append(problem)
            else:
                figures.latencies.append(took)


def article(batch: int, i: int) -> bytes:
    lines = [f"Upload batch {batch} story {i}: the Kelby {i} market report", ""]
    for p in range(6):
        lines.append(
            " ".join(
                f"Stall {p}-{k} in Kelby district {batch}-{i} sold {100 + 7 * k + p} crates."
                for k in range(6)
            )
        )
    return ("\n".join(lines) + "\n").encode()


def ingest_loop(url: str, deadline: float, figures: Figures, per_batch: int) -> None:
    """Upload batches of new articles and ingest them through the Library, until the deadline."""
    with httpx.Client(base_url=url, timeout=600) as session:
        batch = 0
        while time.monotonic() < deadline:
            files = [(f"kelby_{batch}_{i}.txt", article(batch, i)) for i in range(per_batch)]
            t0 = time.perf_counter()
            try:
                stored = upload(session, files)
                named = [file_data(p, name) for p, (name, _) in zip(stored, files, strict=True)]
                done = call(session, "add_files", [named])
                report = done["output"]["data"][0] if done.get("success") else str(done)
                ok = report.count("Added '") == per_batch
            except Exception as err:  # counted as an error of the run
                report, ok = f"{type(err).__name__}: {err}", False
            with figures.lock:
                if ok:
                    figures.ingests.append(time.perf_counter() - t0)
                    figures.uploaded += per_batch
                else:
                    figures.errors.append(f"ingest: {report[:200]}")
            batch += 1


@contextmanager
def served_index(workdir: Path) -> Iterator[str]:
    """tests/data indexed into workdir/index and served by `rag serve`; yields its URL."""
    env = {**os.environ, "RAG_INDEX_DIR": str(workdir / "index"), "HF_HUB_OFFLINE": "1"}
    rag = [sys.executable, "-m", "rag"]
    built = subprocess.run(
        [*rag, "ingest", str(DATA)], env=env, capture_output=True, text=True, check=False
    )
    if built.returncode != 0:
        raise RuntimeError(built.stderr)
    with rag_serve(env, workdir / "serve.log") as url:
        yield url + "/"


@contextmanager
def served_replicas(workdir: Path, replicas: int, server: str) -> Iterator[list[str]]:
    """tests/data indexed into a new database on `server` and a `chroma run`, served by
    `replicas` processes with index folders of their own; yields their URLs."""
    from .postgres import database
    from .servers import ChromaServer

    chroma = ChromaServer(workdir / "chroma").start()
    try:
        with database(server) as url, ExitStack() as stack:
            env = {**os.environ, "RAG_DATABASE_URL": url, "RAG_CHROMA_URL": chroma.url}
            env["HF_HUB_OFFLINE"] = "1"
            rag = [sys.executable, "-m", "rag"]
            built = subprocess.run(
                [*rag, "ingest", str(DATA)],
                env={**env, "RAG_INDEX_DIR": str(workdir / "r0")},
                capture_output=True,
                text=True,
                check=False,
            )
            if built.returncode != 0:
                raise RuntimeError(built.stderr)
            urls = [
                stack.enter_context(
                    rag_serve({**env, "RAG_INDEX_DIR": str(workdir / f"r{i}")},
                              workdir / f"serve{i}.log")
                ) + "/"
                for i in range(replicas)
            ]  # fmt: skip
            yield urls
    finally:
        chroma.kill()


def run_load(url: str | list[str], sessions: int, seconds: float, per_batch: int = 10) -> Figures:
    """Sessions dealt out among the servers in turn; uploads to the first."""
    urls = [url] if isinstance(url, str) else url
    figures = Figures(sessions, seconds)
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=chat_session, args=(urls[i % len(urls)], deadline, figures, i))
        for i in range(sessions)
    ]
    threads.append(
        threading.Thread(target=ingest_loop, args=(urls[0], deadline, figures, per_batch))
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--per-batch", type=int, default=10, help="articles per upload")
    parser.add_argument("--database-url", help="a PostgreSQL server to hold the library")
    parser.add_argument("--replicas", type=int, default=1, help="rag serve processes")
    args = parser.parse_args()
    if args.replicas > 1 and not args.database_url:
        parser.error("--replicas above 1 needs --database-url (replicas share a database)")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if args.database_url:
            urls = stack.enter_context(served_replicas(Path(tmp), args.replicas, args.database_url))
        else:
            urls = [stack.enter_context(served_index(Path(tmp)))]
        figures = run_load(urls, args.sessions, args.seconds, args.per_batch)
        with httpx.Client(base_url=urls[0]) as session:
            info = session.get("/gradio_api/info").is_success
    out = {**figures.summary(), "replicas": len(urls), "api_info_ok": info}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
