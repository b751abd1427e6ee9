"""The shipped answer model: loads with nothing downloaded, judges answer sentences, reranks."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.extractive import ExtractiveBackend
from rag.answer.parts import question_parts
from rag.answer_model import AnswerModel, load_answer_model
from rag.engine import Engine
from rag.errors import RagError
from rag.segment import split_sentences

from .conftest import DATA, FACTS


@pytest.fixture(scope="module")
def judged(engine: Engine) -> Engine:
    """The test index, the shipped answer model deciding whether to answer and reranking."""
    update = {"answer_model": "shipped", "abstain_with": "model", "rerank_depth": 20}
    return Engine(engine.settings.model_copy(update=update), engine.embedder)


@pytest.fixture(scope="module")
def heuristic(engine: Engine) -> Engine:
    """The test index, answered by the cosine and term-overlap heuristic alone."""
    return Engine(engine.settings.model_copy(update={"answer_model": "none"}), engine.embedder)


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


TWO_PARTS = "When will the Aldmere swing bridge close, and how often will the ferries run?"


def test_a_two_part_question_gets_a_sentence_for_each_part(
    engine: Engine, heuristic: Engine
) -> None:
    quotes = [c.quote for c in engine.ask(TWO_PARTS).citations]
    assert "14 March" in quotes[0] and "every 20 minutes" in quotes[1]
    # the heuristic alone, asked the whole question, finds the first only
    assert not any("every 20 minutes" in c.quote for c in heuristic.ask(TWO_PARTS).citations)


@pytest.mark.xfail(
    reason="with the model deciding, the ferry sentence's probability for the second part "
    "(with the rest of the question as context) stays below the model's threshold "
    "(docs/answer-model.md)",
    strict=True,
)
def test_with_the_model_deciding_each_part_gets_a_sentence(judged: Engine) -> None:
    quotes = " ".join(c.quote for c in judged.ask(TWO_PARTS).citations)
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
    reason="at its threshold calibrated on RealTime QA (0.34) the shipped model refuses 6 of "
    "the 8 facts: its probabilities do not transfer to these articles, which is why the "
    "heuristic decides by default (docs/answer-model.md)",
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


def test_by_default_the_model_chooses_and_the_heuristic_decides(engine: Engine) -> None:
    backend = engine.backend
    assert backend.model is not None and backend.gate == "heuristic"  # type: ignore[attr-defined]
    assert engine.settings.rerank_depth == 0
    for question, doc_id, must in FACTS[:3]:  # all eight: tests/test_engine.py
        answer = engine.ask(question)
        assert any(
            c.doc_id == doc_id and all(w in c.quote for w in must) for c in answer.citations
        ), question


def test_the_default_refuses_what_the_heuristic_refuses(engine: Engine, heuristic: Engine) -> None:
    for question in ("What is the capital of Mongolia?", "Who won the 1998 World Cup final?"):
        assert heuristic.ask(question).abstained
        answer = engine.ask(question)
        assert answer.abstained and not answer.citations and answer.related, question


@pytest.mark.parametrize(
    ("who", "cheap", "prob", "answers"),
    [
        ("heuristic", 0.5, 0.0, True),
        ("heuristic", 0.3, 0.9, False),
        ("model", 0.9, 0.1, False),
        ("model", 0.1, 0.5, True),
        ("either", 0.3, 0.5, True),
        ("either", 0.5, 0.1, True),
        ("either", 0.3, 0.1, False),
    ],
)
def test_who_decides_whether_to_answer(
    engine: Engine, who: str, cheap: float, prob: float, answers: bool
) -> None:
    """RAG_ABSTAIN_THRESHOLD (0.42) for the cheap score, RAG_ANSWER_THRESHOLD (here 0.4)
    for the model's probability; `either` answers when one of them is reached."""
    update = {"abstain_with": who, "answer_threshold": 0.4}
    backend = ExtractiveBackend(engine.settings.model_copy(update=update), engine.embedder)
    assert backend.model_threshold == 0.4
    assert bool(backend.lets(cheap, prob)) is answers
