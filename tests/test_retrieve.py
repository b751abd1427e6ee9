from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.engine import Engine
from rag.retrieve import Filters, diversify, fuse, lead_chunks, rank, tops_first

from .conftest import ROOT


def test_diversify_spreads_over_articles_before_repeating_one() -> None:
    ranked = ["a#0", "a#1", "a#2", "b#0", "c#0", "b#1"]
    assert diversify(ranked, 3) == ["a#0", "b#0", "c#0"]
    assert diversify(ranked, 5) == ["a#0", "b#0", "c#0", "a#1", "a#2"]
    assert diversify(["a#0", "a#1"], 8) == ["a#0", "a#1"]


def test_each_lists_best_hit_leads_even_when_the_other_list_misses_it() -> None:
    dense = ["a#0", "c#0", "d#0", "e#0", "b#0"]  # sure of a; BM25 never finds it
    lexical = ["b#0", "c#0", "d#0", "e#0"]
    fused = [c for c, _ in fuse([dense, lexical])]
    assert fused.index("a#0") > 2  # plain fusion buries it under items both lists hold
    ranked = tops_first([dense, lexical], fused)
    assert ranked[:2] == ["a#0", "b#0"] and sorted(ranked) == sorted(fused)
    assert tops_first([dense, []], fused)[0] == "a#0"
    assert tops_first([["c#0"], ["c#0"]], fused)[0] == "c#0"


def test_many_articles_give_one_passage_each(engine: Engine) -> None:
    docs = [p.article.doc_id for p in engine.retrieve("news this week", top_k=8)]
    assert len(docs) == 8 and len(set(docs)) == 8


def test_one_article_still_fills_top_k(fresh: Engine) -> None:
    fresh.ingest([ROOT / "seeds"])
    passages = fresh.retrieve("What did Ofcom do?", top_k=8)
    assert sorted(p.chunk.n for p in passages) == list(range(fresh.store.chunk_count()))
    assert len(passages) > 1


def test_article_list_counts_by_its_weight() -> None:
    # "x" is found only by its article vector (second); "a" is second in both chunk lists
    dense = ["b#0", "a#0", "c#0"]
    lexical = ["c#1", "a#0", "b#0"]
    leads = ["b#0", "x#0", "c#0"]
    ranked, scores = rank(dense, lexical, leads, lead_weight=3)
    assert ranked[0] == "b#0" and ranked.index("x#0") < ranked.index("a#0")
    ranked, _ = rank(dense, lexical, leads, lead_weight=1)
    assert ranked.index("x#0") > ranked.index("a#0")
    ranked, _ = rank(dense, lexical, leads, lead_weight=0)
    assert "x#0" not in ranked and ranked[:2] == ["b#0", "c#1"]
    assert rank(dense, lexical, [], lead_weight=3)[0] == ranked


def test_articles_map_to_their_best_chunk_else_their_opening() -> None:
    assert lead_chunks(["b", "a", "c"], [["a#2", "b#1"], ["b#0", "c#3"]]) == ["b#1", "a#2", "c#3"]
    assert lead_chunks(["z"], [["a#2"], []]) == ["z#0"]


def test_article_vectors_rank_articles_and_obey_filters(engine: Engine) -> None:
    store = engine.store
    assert store.manifest["lead_tokens"] == engine.settings.lead_tokens > 0
    vector = engine.embedder.articles.encode(["Which bridge is closing for repairs?"])[0]
    order = store.leads(vector, 50, None)
    assert order[0] == "harbour_bridge"
    assert sorted(order) == sorted(a["doc_id"] for a in engine.articles())
    two = {"observatory", "rail_strike"}
    assert set(store.leads(vector, 3, two)) == two
    assert set(store.leads(vector, 50, {"observatory"})) == {"observatory"}
    passages = engine.retrieve("Which bridge is closing for repairs?", top_k=3)
    assert passages[0].article.doc_id == "harbour_bridge"


def test_a_date_range_admits_only_articles_with_a_date(fresh: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    rows = [
        {
            "title": "Vellmar ferry fares rise",
            "text": "Vellmar ferry fares rise by a tenth.",
            "published": "2025-06-20",
        },
        {
            "title": "Vellmar ferry timetable changes",
            "text": "The Vellmar ferry sails hourly.",
            "published": "Spring 2025",
        },  # kept as written: not a date a range can place
    ]
    feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    fresh.ingest([feed])
    since = Filters(published_from="2025-06-01")  # "Spring…" sorts after "2025-…" as text
    for question in ("Vellmar ferry timetable", "When does the Vellmar ferry sail?"):
        docs = {p.article.doc_id for p in fresh.retrieve(question, filters=since)}
        assert docs == {"feed/0"}, docs
    assert len(fresh.retrieve("Vellmar ferry timetable")) == 2


def test_retrieval_asks_the_article_vectors_with_the_transformers_question_vector(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    leads = engine.store.leads

    def spy(vector: np.ndarray, n: int, allowed: set[str] | None) -> list[str]:
        calls.append(len(vector))
        return leads(vector, n, allowed)

    monkeypatch.setattr(engine.store, "leads", spy)
    question = "Which bridge is closing for repairs?"
    assert engine.retrieve(question, top_k=3)[0].article.doc_id == "harbour_bridge"
    assert calls == [384]
    off = Engine(engine.settings.model_copy(update={"lead_weight": 0}), engine.embedder)
    off._store = engine.store
    off.retrieve(question, top_k=3)
    assert calls == [384]  # weight 0: the article list is not consulted
