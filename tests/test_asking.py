"""Questions written by rule from news sentences (rag/learn/asking.py), with spaCy's real parse."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rag.learn.asking import article_pairs, made_pairs, questions_of
from rag.learn.pairs import weeks

FIXTURE = Path(__file__).parent / "fixtures" / "answer_training"


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    from rag.entities import load_english

    return load_english(())


def asked(nlp, sentence: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return questions_of(nlp(sentence))


def test_a_named_doer_becomes_who(nlp) -> None:  # type: ignore[no-untyped-def]
    made = asked(nlp, "Prime Minister Keir Starmer condemned the images on Thursday evening.")
    assert ("Who condemned the images on Thursday evening?", "Prime Minister Keir Starmer") in made


def test_a_quoted_speaker_becomes_who_said(nlp) -> None:  # type: ignore[no-untyped-def]
    made = asked(nlp, "“We urgently made contact with the company,” an Ofcom spokesperson said.")
    assert made == [
        ("Who said “We urgently made contact with the company”?", "an Ofcom spokesperson")
    ]


def test_the_time_of_a_past_action_becomes_when(nlp) -> None:  # type: ignore[no-untyped-def]
    made = dict(asked(nlp, "The regulator contacted the company on Monday about the images."))
    assert made["When did the regulator contact the company about the images?"] == "Monday"
    made = dict(asked(nlp, "President Joe Biden on Monday announced a new student loan plan."))
    assert made["When did President Joe Biden announce a new student loan plan?"] == "Monday"


def test_sentences_without_a_named_or_noun_subject_give_nothing(nlp) -> None:  # type: ignore[no-untyped-def]
    assert asked(nlp, "It was raining.") == []
    assert asked(nlp, "They said nothing more about the plan after the meeting.") == []


def test_a_made_question_has_its_sentence_as_the_one_positive(nlp) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Ada Lovelace won the regional chess final in Leeds.",
        "The final drew a crowd of four hundred people.",
        "Organisers said next year's event would move to York.",
        "Tickets sold out within an hour of going on sale.",
    ]
    pairs = list(article_pairs("a1", sentences, nlp.pipe(sentences), random.Random(0), most=5))
    by_question: dict[str, list[int]] = {}
    for p in pairs:
        by_question.setdefault(p.question, []).append(p.label)
        assert p.kind == "made" and p.qid.startswith("a1:")
    assert "Who won the regional chess final in Leeds?" in by_question
    for labels in by_question.values():
        assert labels.count(1) == 1 and len(labels) == 4  # the other three sentences


def test_made_pairs_are_seeded_and_off_by_default() -> None:
    files = weeks([FIXTURE / "2022"])
    assert made_pairs(files, seed=0, limit=0) == []
    first = made_pairs(files, seed=0, limit=3)
    assert first and first == made_pairs(files, seed=0, limit=3)
    assert sum(p.label for p in first) >= 1
