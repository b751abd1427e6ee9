"""Shared fixtures: the real embedding model (loaded once) and a real index of tests/data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag.embed import Embedder  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.settings import Settings  # noqa: E402

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent

# Each synthetic article holds one fact; (question, doc_id, words the cited sentence must contain).
FACTS = [
    ("When does the Aldmere swing bridge shut for repairs?", "harbour_bridge", ["14 March"]),
    ("How far did the Tarnvik glacier pull back?", "glacier_survey", ["41 metres"]),
    ("Who won the Brenholt chess tournament?", "chess_final", ["Mira Okafor"]),
    ("How did the Vellmar council vote on the shorter working week?", "feeds/wire/0", ["23 to 9"]),
    ("How much fruit did Lusk valley cherry growers pick?", "feeds/wire/1", ["12,500 tonnes"]),
    ("Who is the new Mount Kessel telescope named after?", "observatory", ["Agnes Whitlow"]),
    ("How long will the Saltmarsh train drivers walk out?", "rail_strike", ["48 hours"]),
    ("Where was the stolen Gorran Museum clock found?", "museum_theft", ["garden shed"]),
]
# The fact the default answerer gets wrong: the answer model quotes the lede ("Police have
# recovered … clock stolen from the Gorran Museum in January"), not where it was found.
MISSED = pytest.mark.xfail(
    reason="the answer model quotes the lede ('Police have recovered … clock stolen from the "
    "Gorran Museum in January') before the sentence that says where: the cheap signals joined "
    "to its probability favour the lede (docs/answer-model.md)",
    strict=True,
)
# FACTS for a parametrised test, the missed one marked as an expected failure
FACT_PARAMS = [pytest.param(*f, marks=MISSED) if f[1] == "museum_theft" else f for f in FACTS]
# FACTS the default answerer answers, for tests about something else (storage, concurrency)
ANSWERED = [f for f in FACTS if f[1] != "museum_theft"]


def make_settings(tmp: Path, **kw: object) -> Settings:
    return Settings(index_dir=tmp / "index", seeds_dir=ROOT / "seeds", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder.from_settings(Settings())


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of tests/data, safe to ingest from."""
    dest = tmp_path_factory.mktemp("corpus") / "data"
    shutil.copytree(DATA, dest)
    return dest


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, corpus: Path) -> Engine:
    """A real index (Chroma + BM25 + SQLite) of the synthetic articles and the seed article."""
    tmp = tmp_path_factory.mktemp("engine")
    eng = Engine(make_settings(tmp), embedder)
    report = eng.ingest([corpus])
    assert report.exit_code == 0, report.rejected
    return eng


@pytest.fixture
def fresh(tmp_path: Path, embedder: Embedder) -> Engine:
    """An engine with an empty index in tmp_path."""
    return Engine(make_settings(tmp_path), embedder)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """An index of the seed article alone: every passage is one of its chunks (read only)."""
    tmp = tmp_path_factory.mktemp("seeded")
    assert Engine(make_settings(tmp), embedder).ingest([ROOT / "seeds"]).exit_code == 0
    return tmp
