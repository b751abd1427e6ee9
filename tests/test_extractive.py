"""The extractive answerer's answer-type rule, on passages built by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.extractive import ExtractiveBackend
from rag.attribution import attributed
from rag.embed import Embedder
from rag.engine import Engine
from rag.segment import split_sentences
from rag.settings import Settings
from rag.types import Article, Chunk, Passage

from .conftest import make_settings


def passage(text: str) -> Passage:
    art = Article("doc", "Platform update", text)
    spans = tuple(split_sentences(text))
    return Passage(Chunk("doc#0", "doc", 0, 0, len(text), text, spans), art, 1.0, 1)


def ask(embedder: Embedder, question: str, text: str) -> tuple[bool, str]:
    backend = ExtractiveBackend(Settings(), embedder)
    answer = backend.answer(question, [passage(text)], embedder.encode([question])[0])
    return answer.abstained, answer.text


def check(embedder: Embedder, text: str, refused: tuple[str, ...], quoted: dict[str, str]) -> None:
    """Each refused question abstains on the text; each quoted one is answered with a
    sentence holding its quote."""
    for question in refused:
        abstained, _ = ask(embedder, question, text)
        assert abstained, question
    for question, quote in quoted.items():
        abstained, answer = ask(embedder, question, text)
        assert not abstained and quote in answer, question


def test_how_many_needs_a_number(embedder: Embedder) -> None:
    topic = "The platform suspended accounts that shared the images. It declined to comment."
    abstained, _ = ask(embedder, "How many accounts did the platform suspend?", topic)
    assert abstained  # on topic, but no figure: the article does not answer
    counted = "The platform suspended 40 accounts that shared the images."
    abstained, text = ask(embedder, "How many accounts did the platform suspend?", counted)
    assert not abstained and "40 accounts" in text


def test_when_in_a_clause_asks_for_no_date(embedder: Embedder) -> None:
    text = "A spokesperson declined to comment when asked about the images."
    abstained, answer = ask(embedder, "How did the spokesperson respond when asked?", text)
    assert not abstained and "declined to comment" in answer


def test_how_long_needs_a_length_of_time(embedder: Embedder) -> None:
    topic = (
        "The minister met the ambassador in Washington. One official at the meeting said it "
        "had gone well, and a second person said the ambassador listened."
    )
    abstained, _ = ask(
        embedder, "How long did the minister's meeting with the ambassador last?", topic
    )
    assert abstained  # "a second person" and "one" are not durations
    timed = topic + " The meeting lasted two hours and ended without a statement."
    abstained, text = ask(
        embedder, "How long did the minister's meeting with the ambassador last?", timed
    )
    assert not abstained and "two hours" in text


def test_what_calendar_date_needs_a_date(embedder: Embedder) -> None:
    for text in (
        "The minister met the ambassador in Washington to discuss the images.",
        "The minister met the ambassador in Washington yesterday to discuss the images.",
    ):
        abstained, _ = ask(
            embedder, "On what calendar date did the minister meet the ambassador?", text
        )
        assert abstained, text  # "yesterday" is a day, not a calendar date
    dated = "The minister met the ambassador in Washington on 12 January to discuss the images."
    abstained, answer = ask(
        embedder, "On what calendar date did the minister meet the ambassador?", dated
    )
    assert not abstained and "12 January" in answer


def test_how_long_accepts_lengths_and_spans(embedder: Embedder) -> None:
    cases = [
        ("How long is the new runway at the airport?", "The new runway is 3,200 metres long."),
        ("How long has the mayor led the town council?", "The mayor has led it since 2015."),
        ("How long did the storm's blackout last?", "The storm's blackout lasted overnight."),
    ]
    for question, text in cases:
        abstained, answer = ask(embedder, question, text)
        assert not abstained and text in answer, question


def test_a_lead_sentence_opening_with_when_asks_for_no_date(embedder: Embedder) -> None:
    question = "When she died, the Queen left four corgis behind. Who will care for them?"
    text = "The Queen's corgis will be cared for by her son Prince Andrew."
    abstained, answer = ask(embedder, question, text)
    assert not abstained and "Prince Andrew" in answer


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("When did the first drive-in cinema open?", "The first drive-in opened in the 1930s."),
        ("In what year did Burns write the poem?", "Burns wrote the poem in 1786."),
        ("What time can the town's bars start serving?", "Bars may serve from 8 a.m. daily."),
    ],
)
def test_when_accepts_decades_early_years_and_times_of_day(
    embedder: Embedder, question: str, text: str
) -> None:
    abstained, answer = ask(embedder, question, text)
    assert not abstained and text in answer


def test_named_days_in_a_question_ask_for_no_date(embedder: Embedder) -> None:
    text = "Voters at the Election Day polls reported long queues and broken machines."
    abstained, answer = ask(embedder, "What Election Day problems did voters report?", text)
    assert not abstained and "broken machines" in answer


def test_a_quoted_sentence_is_cited_with_its_speaker(seeded: Path, embedder: Embedder) -> None:
    """The seed quotes Starmer over two sentences; the second names no speaker and, quoted
    alone, reads as anyone's words (under a question about Musk, as Musk's)."""
    engine = Engine(make_settings(seeded), embedder)
    grip = "X has got to get a grip of this"
    for question in ("Who said X has got to get a grip of this?", "Who wants X to get a grip?"):
        answer = engine.ask(question)
        quoted = [c.quote for c in answer.citations if grip in c.quote]
        assert quoted, answer.text  # the quotation is still what answers
        assert all("Keir Starmer said" in q for q in quoted)
        spans = [(c.doc_id, c.char_start, c.char_end) for c in answer.citations]
        for doc, s, e in spans:  # and no citation is repeated inside another
            assert not any(d == doc and a <= s and e <= b and (a, b) != (s, e) for d, a, b in spans)


def test_a_quote_followed_by_its_speaker_takes_the_speaker_in() -> None:
    text = "“We acted within hours.” The regulator said so on Friday. It will report in May."
    start, end = attributed(text, 0, text.index(" The"))
    assert text[start:end] == "“We acted within hours.” The regulator said so on Friday."
    plain = "The regulator acted within hours. It will report in May."
    assert attributed(plain, 0, plain.index(" It")) == (0, plain.index(" It"))


def test_a_yes_no_question_needs_a_sentence_naming_its_subject(embedder: Embedder) -> None:
    text = (
        "The regulator opened a criminal investigation into the images on Monday. The platform "
        "commented on the images in a statement, saying it had removed them."
    )
    # on topic, but nothing about police or the minister
    refused = (
        "Have police opened a criminal investigation into the images?",
        "Has the prime minister commented on the images?",
    )
    quoted = {
        "Has the regulator opened an investigation into the images?": "opened a criminal",
        "Did the platform comment on the images?": "commented on the images",
    }
    check(embedder, text, refused, quoted)


def test_a_which_one_question_needs_a_sentence_that_names_it(embedder: Embedder) -> None:
    unnamed = (
        "The watchdog said the images were being circulated on a dark web forum. Two people "
        "familiar with the inquiry told reporters the material had spread quickly."
    )
    forum = "What is the name of the dark web forum where the images were circulated?"
    people = "Who were the two people who told reporters about the inquiry?"
    check(embedder, unnamed, (forum, people), {})  # on topic: a forum, two people, unnamed
    named = (
        "The watchdog said the images were being circulated on Dread, a dark web forum. Two "
        "people familiar with the inquiry, Ann Lee and Bo Ray, told reporters it spread quickly."
    )
    check(embedder, named, (), {forum: "Dread", people: "Ann Lee"})
    # "the two" points back to the two it names, and they did what the question says
    met = (
        "Bo Ray raised the images with Ann Lee when the two met in Washington on Monday "
        "night, and two people familiar with the talks said it went well."
    )
    check(embedder, met, (), {"Who were the two people who met in Washington?": "Ann Lee"})


def test_a_what_did_x_say_question_needs_x_to_speak(embedder: Embedder) -> None:
    text = (
        "The minister raised the images with the ambassador, explained the government's "
        "position, and repeated the prime minister's warning. Two officials told reporters "
        "the talks went well."
    )
    abstained, _ = ask(embedder, "What did the ambassador say about the images?", text)
    assert abstained  # the ambassador is met and briefed, never quoted
    quoted = text + ' The ambassador said: "We share the concern. The platform must act."'
    abstained, answer = ask(embedder, "What did the ambassador say about the images?", quoted)
    assert not abstained and "share the concern" in answer
    later = text + " The ambassador spoke after the talks. “These images must go,” she said."
    abstained, answer = ask(embedder, "What did the ambassador say about the images?", later)
    assert not abstained and "must go" in answer  # "she" is the ambassador named before
    silent = text + " The U.S. embassy did not respond to a request for comment."
    abstained, answer = ask(embedder, "What did the U.S. embassy say about the talks?", silent)
    assert not abstained and "did not respond" in answer  # no comment is what it said


def test_an_abstention_says_what_the_closest_passages_lack(embedder: Embedder) -> None:
    text = (
        "The watchdog said the images were being circulated on a dark web forum. The "
        "minister raised the images with the ambassador in Washington yesterday."
    )
    backend = ExtractiveBackend(Settings(), embedder)
    for question, reason in (
        (
            "What is the name of the dark web forum where the images were circulated?",
            "the closest passages mention a dark web forum but do not name it",
        ),
        (
            "On what calendar date did the minister raise the images with the ambassador?",
            "the closest passages give no calendar date",
        ),
        (
            "What did the ambassador say about the images?",
            "the closest passages do not quote the ambassador",
        ),
    ):
        answer = backend.answer(question, [passage(text)], embedder.encode([question])[0])
        assert answer.abstained and answer.reason == reason, question
        assert reason in answer.text and answer.related
    off_topic = "Who won the chess final?"
    answer = backend.answer(off_topic, [passage(text)], embedder.encode([off_topic])[0])
    assert answer.abstained and answer.reason is None  # nothing came close: no rule to cite
