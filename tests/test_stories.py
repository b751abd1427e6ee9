"""Copies of one story: grouped at ingest, one per story in retrieval, credited to the earliest."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from rag.copies import _Copies, attribute_citation
from rag.embed import Embedder
from rag.engine import Engine
from rag.retrieve import Filters
from rag.settings import Settings
from rag.types import Citation

from .conftest import ROOT, make_settings

RIVERTON = ROOT / "tests" / "fixtures" / "stories" / "riverton.jsonl"
TOLL = "How many people died in the Riverton floods?"
# doc ids of riverton.jsonl's records, ingested by file path
WIRE, COURIER, VALLEY, UPDATE, LIBRARY, MARKET = (f"riverton/{n}" for n in range(6))
FLOOD = {WIRE, COURIER, VALLEY, UPDATE}


def _engine(tmp: Path, embedder: Embedder, **kw: object) -> Engine:
    eng = Engine(make_settings(tmp, **kw), embedder)
    assert eng.ingest([RIVERTON]).exit_code == 0
    return eng


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    return _engine(tmp_path_factory.mktemp("stories"), embedder)


@pytest.fixture(scope="module")
def apart(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    return _engine(tmp_path_factory.mktemp("apart"), embedder, stories=False)


def _story_of(eng: Engine, doc_id: str) -> dict[str, object]:
    return next(s for s in eng.stories() if doc_id in s["doc_ids"])  # type: ignore[operator]


def test_copies_and_the_update_are_one_story_and_the_others_are_not(grouped: Engine) -> None:
    flood = _story_of(grouped, WIRE)
    assert set(flood["doc_ids"]) == FLOOD and flood["copies"] == 4  # type: ignore[arg-type]
    assert flood["outlets"] == ["Northern Wire", "Daily Courier", "Valley Times"]
    assert (flood["first"], flood["last"]) == ("2025-03-10", "2025-03-12")
    assert flood["headline"] == "Riverton floods: at least 12 dead as Marrow River bursts its banks"
    for doc in (LIBRARY, MARKET):
        assert _story_of(grouped, doc)["doc_ids"] == [doc]
    assert len(grouped.stories()) == 3
    assert grouped.stories({LIBRARY}) == [_story_of(grouped, LIBRARY)]  # a filter's hook
    m = grouped.stats()["manifest"]
    assert m["stories"] is True and m["story_threshold"] == grouped.settings.story_threshold


def _docs(passages: list) -> list[str]:  # type: ignore[type-arg]
    return [p.article.doc_id for p in passages]


def test_top_k_holds_one_passage_per_story(grouped: Engine, apart: Engine) -> None:
    docs = _docs(grouped.retrieve(TOLL, top_k=8))
    # one copy stands for the story, and the update too: it gives the toll another value
    flood = [d for d in docs if d in FLOOD]
    assert len(flood) == 2 and "riverton/3" in flood, docs
    assert {LIBRARY, MARKET} <= set(docs)
    # as of the day before the update, the three copies repeating the story count once
    early, _ = grouped.search(TOLL, top_k=8, as_of="2025-03-11")
    assert len([d for d in _docs(early) if d in FLOOD]) == 1
    # per article, the copies crowd the top-k
    assert len([d for d in _docs(apart.retrieve(TOLL, top_k=8)) if d in FLOOD]) == 4


def test_citation_credits_the_earliest_copy_and_names_the_others(grouped: Engine) -> None:
    # as of the Tuesday, before the update saying 15 died was published
    answer = grouped.ask(TOLL, as_of="2025-03-11")
    toll = next(c for c in answer.citations if "12 people died" in c.quote)
    assert (toll.doc_id, toll.source, toll.published) == (WIRE, "Northern Wire", "2025-03-10")
    assert grouped.article(WIRE).text[toll.char_start : toll.char_end] == toll.quote  # type: ignore[union-attr]
    # the update says 15 dead on Tuesday: not the same sentence
    assert [c.doc_id for c in toll.also_reported_by] == [COURIER, VALLEY]
    assert [c.source for c in toll.also_reported_by] == ["Daily Courier", "Valley Times"]
    assert toll.to_dict()["also_reported_by"][0] == {
        "doc_id": COURIER,
        "source": "Daily Courier",
        "published": "2025-03-10",
        "url": "https://dailycourier.example/news/riverton-floods",
    }


def test_copies_the_filters_leave_out_are_neither_cited_nor_named(grouped: Engine) -> None:
    only = Filters(sources=("Valley Times", "Daily Courier"))
    toll = next(c for c in grouped.ask(TOLL, filters=only).citations if "12 people" in c.quote)
    assert toll.doc_id == COURIER and [c.doc_id for c in toll.also_reported_by] == [VALLEY]


def _cite(eng: Engine, doc_id: str, words: str) -> Citation:
    """A citation of the sentence of doc_id holding `words`, as an answer would make it."""
    article = eng.article(doc_id)
    assert article is not None
    start = article.text.index(words)
    start = article.text.rfind(". ", 0, start) + 2 if ". " in article.text[:start] else 0
    end = article.text.index(".", start) + 1
    quote = article.text[start:end]
    return Citation(doc_id, article.title, article.source, article.published, article.url,
                    f"{doc_id}#0", start, end, quote, 1)  # fmt: skip


def test_a_copy_whose_sentence_was_edited_is_not_named(grouped: Engine) -> None:
    # Valley Times wrote "About 3,400 residents"; the others "Around 3,400 residents"
    moved = attribute_citation(_cite(grouped, COURIER, "3,400"), _Copies(grouped.store))
    assert moved.doc_id == WIRE and moved.quote.startswith("Around 3,400 residents")
    assert [c.doc_id for c in moved.also_reported_by] == [COURIER, UPDATE]
    alone = attribute_citation(_cite(grouped, VALLEY, "3,400"), _Copies(grouped.store))
    assert (alone.doc_id, alone.also_reported_by) == (VALLEY, ())


def test_without_grouping_answers_are_per_article(apart: Engine) -> None:
    assert not apart.grouped and len(apart.stories()) == 6
    answer = apart.ask(TOLL)
    assert answer.citations and all(c.also_reported_by == () for c in answer.citations)


def test_rag_stories_false_turns_grouping_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_STORIES", "false")
    monkeypatch.setenv("RAG_STORY_THRESHOLD", "0.7")
    assert (Settings().stories, Settings().story_threshold) == (False, 0.7)


def test_incremental_ingest_joins_copies_and_deletion_keeps_the_story(
    tmp_path: Path, embedder: Embedder
) -> None:
    feed = tmp_path / "in" / "riverton.jsonl"
    feed.parent.mkdir()
    lines = RIVERTON.read_text().splitlines()
    feed.write_text("\n".join(lines[:2]) + "\n")
    eng = Engine(make_settings(tmp_path), embedder)
    eng.ingest([feed])
    story = eng.store.stories.of([WIRE, COURIER])
    assert story[WIRE] == story[COURIER]
    feed.write_text("\n".join(lines) + "\n")
    report = eng.ingest([feed])
    assert sorted(report.unchanged) == [WIRE, COURIER] and len(report.added) == 4
    after = eng.store.stories.of(sorted(FLOOD | {LIBRARY}))
    assert {after[d] for d in FLOOD} == {story[WIRE]} and after[LIBRARY] != story[WIRE]
    assert eng.remove([WIRE]) == 1
    assert set(_story_of(eng, COURIER)["doc_ids"]) == FLOOD - {WIRE}  # type: ignore[arg-type]
    early = eng.ask(TOLL, as_of="2025-03-11").citations
    toll = next(c for c in early if "12 people died" in c.quote)
    assert toll.doc_id == COURIER and [c.doc_id for c in toll.also_reported_by] == [VALLEY]


def test_another_threshold_regroups_and_an_index_without_stories_gets_them(
    tmp_path: Path, embedder: Embedder
) -> None:
    strict = _engine(tmp_path, embedder, story_threshold=0.95)
    assert len(strict.stories()) == 6  # the copies' small edits keep them apart at 0.95
    strict.store.close()
    loose = Engine(make_settings(tmp_path), embedder)
    loose.ingest([RIVERTON])
    assert len(loose.stories()) == 3
    loose.store.close()
    # an index from before stories: no table, nothing in the manifest
    db = sqlite3.connect(tmp_path / "index" / "meta.sqlite3")
    db.execute("DROP TABLE stories")
    db.commit()
    db.close()
    manifest = tmp_path / "index" / "manifest.json"
    m = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({k: v for k, v in m.items() if "stor" not in k}))
    old = Engine(make_settings(tmp_path), embedder)
    assert not old.grouped and len(old.stories()) == 6 and old.ask(TOLL).citations
    old.ingest([RIVERTON])
    assert old.grouped and len(old.stories()) == 3
