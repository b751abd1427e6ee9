"""Two `rag serve` replicas, each with an empty index folder of its own, sharing one PostgreSQL
database and one `chroma run`: an article uploaded through one replica's Library is answered by
the other within 2 s, and a removal through the other is gone from the first as soon."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from . import postgres
from .chat_load import DATA
from .servers import ChromaServer, call, file_data, rag_serve, upload

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
pg_server, pg_url, chroma = postgres.pg_server, postgres.pg_url, postgres.chroma  # fixtures

NEW = (
    "Quarry town elects a beekeeper as mayor\n\n"
    "The town of Orrin Vale elected the beekeeper Tamsin Greaves as its mayor on Tuesday. "
    "She won 2,311 votes, ahead of two other candidates.\n"
)
QUESTION = "Who did Orrin Vale elect as mayor?"


def ask(url: str, question: str) -> dict[str, object]:
    from gradio_client import Client

    out = Client(url, verbose=False).predict(question, api_name="/ask")
    assert isinstance(out, dict)
    return out


def cited(out: dict[str, object]) -> set[str]:
    return {str(c["doc_id"]) for c in out["citations"]}  # type: ignore[attr-defined]


def until(check: object, seconds: float) -> float:
    """Seconds until `check()` is true; fails after `seconds`."""
    t0 = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - t0 < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - t0


def test_an_upload_through_one_replica_is_answered_by_the_other(
    tmp_path: Path, pg_url: str, chroma: ChromaServer
) -> None:
    base = {**os.environ, "RAG_DATABASE_URL": pg_url, "RAG_CHROMA_URL": chroma.url}
    base["RAG_COLLECTION"] = pg_url.rsplit("/", 1)[1]
    env = [{**base, "RAG_INDEX_DIR": str(tmp_path / f"replica{i}")} for i in (0, 1)]
    built = subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(DATA)],
        env=env[0],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(rag_serve(e, tmp_path / f"serve{i}.log")) for i, e in enumerate(env)
        )
        assert ask(b, QUESTION)["abstained"]
        with httpx.Client(base_url=a, timeout=300) as session:
            stored = upload(session, [("orrin_vale.txt", NEW.encode())])
            done = call(session, "add_files", [[file_data(stored[0], "orrin_vale.txt")]])
            assert "Added 'Quarry town" in str(done["output"]["data"][0]), done
        took = until(lambda: "orrin_vale" in cited(ask(b, QUESTION)), 2.0)
        print(f"\nanswered by the other replica {took:.2f} s after the upload finished")
        assert "Tamsin Greaves" in str(ask(b, QUESTION)["answer"])
        with httpx.Client(base_url=b, timeout=300) as session:
            page = "replica-b-page"  # the page loads the library, then its Remove is used
            call(session, "library", [], page)
            done = call(session, "remove", ["orrin_vale"], page)
            assert "Removed orrin_vale" in str(done["output"].get("data")), done
        until(lambda: "orrin_vale" not in cited(ask(a, QUESTION)), 2.0)
        # nothing the replicas share sits in their folders
        for i in (0, 1):
            names = {p.name for p in (tmp_path / f"replica{i}").iterdir()}
            assert not names & {"meta.sqlite3", "manifest.json", "bm25", "chroma"}, names
