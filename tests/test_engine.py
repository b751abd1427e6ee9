"""Questions through the whole pipeline: retrieval, extractive answers, citations, LlamaIndex."""

from __future__ import annotations

import pytest

from rag.engine import Engine
from rag.retrieve import Filters, fuse

from .conftest import FACT_PARAMS, FACTS


@pytest.mark.parametrize(("question", "doc_id", "must"), FACT_PARAMS)
def test_each_fact_is_cited_at_its_sentence(
    engine: Engine, question: str, doc_id: str, must: list[str]
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained
    carrying = [c for c in answer.citations if all(word in c.quote for word in must)]
    assert carrying and all(c.doc_id == doc_id for c in carrying)
    article = engine.article(doc_id)
    assert article is not None
    for c in answer.citations:  # the data contract
        assert engine.article(c.doc_id).text[c.char_start : c.char_end] == c.quote  # type: ignore[union-attr]
    assert all(s.text.endswith(f"[{s.citations[0]}]") for s in answer.sentences)


def test_retrieval_finds_each_fact_in_top_three(engine: Engine) -> None:
    for question, doc_id, _ in FACTS:
        docs = [p.article.doc_id for p in engine.retrieve(question, top_k=3)]
        assert doc_id in docs, (question, docs)


def test_sources_numbered_by_first_citation_and_only_cited(engine: Engine) -> None:
    answer = engine.ask("What did the Vellmar council and the Lusk valley cherry growers do?")
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    cited = sorted({n for s in answer.sentences for n in s.citations})
    assert cited == [c.n for c in answer.citations]
    assert 1 <= len(answer.sentences) <= 3


@pytest.mark.parametrize(
    "question",
    ["What is the boiling point of mercury?", "Who won the 1998 football World Cup?"],
)
def test_off_topic_question_abstains_with_related(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert answer.abstained
    assert answer.citations == () and answer.sentences == ()
    assert "don't answer" in answer.text
    assert answer.related and all(r.n is None for r in answer.related)


def test_filters_reach_retrieval(engine: Engine) -> None:
    wire = Filters(sources=("Northern Wire",))
    docs = {p.article.doc_id for p in engine.retrieve("council vote harvest bridge", filters=wire)}
    assert docs == {"feeds/wire/0", "feeds/wire/1"}
    june = Filters(published_from="2025-06-15", published_to="2025-06-30")
    assert {p.article.doc_id for p in engine.retrieve("news", filters=june)} == {"feeds/wire/1"}


def test_fuse_rewards_agreement() -> None:
    assert [k for k, _ in fuse([["a", "b"], ["b", "c"]])] == ["b", "a", "c"]


def test_llamaindex_query_engine_returns_cited_nodes_only(engine: Engine) -> None:
    qe = engine.as_query_engine()
    response = qe.query("Who is the new Mount Kessel telescope named after?")
    answer = response.metadata["answer"]
    assert len(response.source_nodes) == len(answer["citations"]) >= 1
    nodes = [n.node for n in response.source_nodes]
    assert any("Agnes Whitlow" in n.get_content() for n in nodes)
    assert {n.metadata["doc_id"] for n in nodes} == {"observatory"}
    assert str(response) == answer["answer"]


def test_llamaindex_retriever(engine: Engine) -> None:
    nodes = engine.as_retriever(top_k=2).retrieve("Gorran Museum clock")
    assert len(nodes) == 2 and nodes[0].node.metadata["doc_id"] == "museum_theft"


def test_concurrent_questions_get_their_own_answers(engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    alone = {q: engine.ask(q).citations for q, _, _ in FACTS}
    work = FACTS * 2
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda f: engine.ask(f[0]), work))
    for (question, doc_id, _), answer in zip(work, answers, strict=True):
        assert answer.question == question
        assert answer.citations == alone[question]  # the same as asked alone
        assert answer.citations and answer.citations[0].doc_id == doc_id
