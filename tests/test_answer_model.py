"""The shipped answer model: loads with nothing downloaded, judges answer sentences, reranks."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.parts import question_parts
from rag.answer_model import AnswerModel, load_answer_model
from rag.engine import Engine
from rag.errors import RagError
from rag.segment import split_sentences

from .conftest import DATA, FACTS


@pytest.fixture(scope="module")
def judged(engine: Engine) -> Engine:
    """The test index, answered with the shipped answer model (reranking included)."""
    cfg = engine.settings.model_copy(update={"answer_model": "shipped"})
    return Engine(cfg, engine.embedder)


def sentences(name: str) -> list[str]:
    text = (DATA / name).read_text()
    return [text[s:e] for s, e in split_sentences(text)]


def test_shipped_model_ranks_the_answer_above_a_same_topic_sentence() -> None:
    model = load_answer_model("shipped")
    bridge = sentences("harbour_bridge.txt")
    answer = next(s for s in bridge if "14 March" in s)
    same_topic = next(s for s in bridge if "corrosion" in s)
    p = model.probabilities(
        "When does the Aldmere swing bridge shut for repairs?", [same_topic, answer]
    )
    assert p[1] > p[0]
    assert p[1] >= model.threshold > p[0]


def test_scores_are_remembered_per_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    model = AnswerModel()
    texts = sentences("rail_strike.txt")
    first = model.probabilities("How long will the drivers strike?", texts)
    monkeypatch.setattr(model, "_run", lambda *a: pytest.fail("scored twice"))
    again = model.probabilities("How long will the drivers strike?", texts)
    assert (first == again).all()


def test_a_folder_without_a_model_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RagError, match="make train"):
        AnswerModel(tmp_path)


@pytest.mark.parametrize(("question", "doc_id", "must"), FACTS)
def test_reranked_retrieval_puts_the_answering_article_first(
    judged: Engine, question: str, doc_id: str, must: list[str]
) -> None:
    passages = judged.retrieve(question)
    assert passages[0].article.doc_id == doc_id
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))


def test_an_on_topic_question_the_articles_do_not_answer_is_refused(judged: Engine) -> None:
    answer = judged.ask("Who designed the Aldmere swing bridge?")
    assert answer.abstained and not answer.citations
    assert any("Aldmere" in r.quote for r in answer.related)


@pytest.mark.xfail(
    reason="each part is judged, but the shipped model gives the ferry sentence only 0.39 "
    "for the second part (with the rest of the question as context): joined with the cheap "
    "signals it stays below the threshold (docs/answer-model.md)",
    strict=True,
)
def test_a_two_part_question_gets_a_sentence_for_each_part(judged: Engine) -> None:
    answer = judged.ask(
        "When will the Aldmere swing bridge close, and how often will the ferries run?"
    )
    quotes = " ".join(c.quote for c in answer.citations)
    assert "14 March" in quotes and "every 20 minutes" in quotes


def test_question_parts() -> None:
    assert question_parts("What did Ofcom change on Friday, and how did Downing Street react?") == [
        "What did Ofcom change on Friday?",
        "how did Downing Street react?",
    ]
    assert question_parts("What is the black and white bird?") == [
        "What is the black and white bird?"
    ]


@pytest.mark.xfail(
    reason="at its threshold calibrated on RealTime QA (0.41) the shipped model refuses 6 of "
    "the 8 facts: its probabilities do not transfer to these articles (docs/answer-model.md)",
    strict=True,
)
def test_the_model_answers_each_fact_with_its_sentence(judged: Engine) -> None:
    assert judged.backend.model is not None  # type: ignore[attr-defined]
    for question, doc_id, must in FACTS:
        answer = judged.ask(question)
        assert not answer.abstained, question
        assert any(
            c.doc_id == doc_id and all(w in c.quote for w in must) for c in answer.citations
        ), question


def test_by_default_the_heuristic_answers_without_the_model(engine: Engine) -> None:
    assert engine.settings.answer_model == "none"
    assert engine.backend.model is None  # type: ignore[attr-defined]
    question, _, must = FACTS[0]
    answer = engine.ask(question)
    assert any(all(w in c.quote for w in must) for c in answer.citations)
