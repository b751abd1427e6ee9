from __future__ import annotations

from rag.engine import Engine
from rag.retrieve import diversify

from .conftest import ROOT


def test_diversify_spreads_over_articles_before_repeating_one() -> None:
    ranked = ["a#0", "a#1", "a#2", "b#0", "c#0", "b#1"]
    assert diversify(ranked, 3) == ["a#0", "b#0", "c#0"]
    assert diversify(ranked, 5) == ["a#0", "b#0", "c#0", "a#1", "a#2"]
    assert diversify(["a#0", "a#1"], 8) == ["a#0", "a#1"]


def test_many_articles_give_one_passage_each(engine: Engine) -> None:
    docs = [p.article.doc_id for p in engine.retrieve("news this week", top_k=8)]
    assert len(docs) == 8 and len(set(docs)) == 8


def test_one_article_still_fills_top_k(fresh: Engine) -> None:
    fresh.ingest([ROOT / "seeds"])
    passages = fresh.retrieve("What did Ofcom do?", top_k=8)
    assert sorted(p.chunk.n for p in passages) == list(range(fresh.store.chunk_count()))
    assert len(passages) > 1
