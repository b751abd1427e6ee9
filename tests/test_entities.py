"""Named entities: read per sentence at ingest, stored with their article, carried on."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.entities import NAMES, entities, names, sentence_entities
from rag.followup import carry_entities
from rag.segment import split_sentences
from rag.settings import Settings

from .conftest import ROOT, make_settings

STORIES = ROOT / "tests" / "fixtures" / "stories" / "riverton.jsonl"


@pytest.fixture(scope="module")
def riverton(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    engine = Engine(make_settings(tmp_path_factory.mktemp("riverton")), embedder)
    assert engine.ingest([STORIES]).exit_code == 0
    return engine


def doc_of(engine: Engine, title: str) -> str:
    return next(a["doc_id"] for a in engine.articles() if a["title"] == title)


def test_each_sentence_has_its_people_places_and_figures(riverton: Engine) -> None:
    doc_id = doc_of(riverton, "Riverton floods: at least 12 dead as Marrow River bursts its banks")
    article = riverton.article(doc_id)
    assert article is not None
    found = riverton.store.entities([doc_id])[doc_id]
    sentences = split_sentences(article.text)
    for e in found:
        assert article.text[e.start : e.end] == e.text  # offsets into the article text
        assert any(s <= e.start and e.end <= end for s, end in sentences)  # inside one sentence
    got = {(e.text, e.label) for e in found}
    assert {("Helen Okafor", "PERSON"), ("Paul Denning", "PERSON")} <= got
    assert {("the Marrow River", "LOC"), ("At least 12", "CARDINAL"), ("1951", "DATE")} <= got
    # the small model takes the made-up town for a person; it is a name all the same
    assert {e.label for e in found if e.text == "Riverton"} <= NAMES
    okafor = next(e for e in found if e.text == "Helen Okafor")
    sentence = next(article.text[s:end] for s, end in sentences if s <= okafor.start < end)
    assert sentence.startswith("Emergency service director Helen Okafor said")


def test_the_entity_index_finds_the_articles_naming_someone(riverton: Engine) -> None:
    index = riverton.store.entity_index()
    titles = {a["doc_id"]: a["title"] for a in riverton.articles()}
    okafor = {titles[d] for d in index["helen okafor"]}
    assert len(okafor) == 4 and all("flood" in t.lower() for t in okafor)
    assert {titles[d] for d in index["maria santos"]} == {"Riverton council approves new library"}
    assert "sunday" not in index  # a date, not a name
    dates = riverton.store.entity_index(frozenset({"DATE"}))
    assert "sunday" in dates


def test_retrieved_passages_carry_their_entities(riverton: Engine) -> None:
    passages = riverton.retrieve("Who leads the Riverton council?", top_k=3)
    top = passages[0]
    assert top.article.title == "Riverton council approves new library"
    assert ("Maria Santos", "PERSON") in {(e.text, e.label) for e in top.entities}
    assert all(top.chunk.char_start <= e.start < top.chunk.char_end for e in top.entities)


def test_a_sentence_two_articles_share_is_read_once_and_found_in_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rag.entities

    nlp, read = rag.entities.pipeline(), []

    class Counting:
        def pipe(self, texts: list[str], batch_size: int) -> object:
            read.extend(texts)
            return nlp.pipe(texts, batch_size=batch_size)

    monkeypatch.setattr(rag.entities, "pipeline", Counting)
    shared = "Helen Okafor said 12 people died in Riverton."
    texts = [f"Rain fell. {shared}", f"{shared} Roads closed."]
    spans = [("a", 11, 11 + len(shared)), ("b", 0, len(shared))]
    found = sentence_entities(texts, spans)
    assert read == [shared]
    by_doc = {d: {(e.text, e.start) for e in found if e.doc_id == d} for d in ("a", "b")}
    assert ("Helen Okafor", 11) in by_doc["a"] and ("Helen Okafor", 0) in by_doc["b"]
    assert {t for t, _ in by_doc["a"]} == {t for t, _ in by_doc["b"]}
    for e in found:
        assert texts[0 if e.doc_id == "a" else 1][e.start : e.end] == e.text


def test_names_in_a_question() -> None:
    found = [(e.text, e.label) for e in entities("What did Helen Okafor say on Sunday?")]
    assert found == [("Helen Okafor", "PERSON"), ("Sunday", "DATE")]
    assert names("What did Helen Okafor say on Sunday?") == ["Helen Okafor"]  # a date is no name
    assert names("How many people died on Sunday?") == []


def test_a_follow_up_carries_the_person_asked_about() -> None:
    history = [("What did Helen Okafor say about the rescue?", "")]
    assert carry_entities("What did she say?", history) == "What did she say? (Helen Okafor)"
    # a director's title is not a name, though it opens the sentence with a capital
    answer = "Emergency service director Helen Okafor said teams were searching homes [1]."
    carried = carry_entities("What else did she say?", [("Who spoke?", answer)])
    assert carried == "What else did she say? (Helen Okafor)"
    # names the small model does not know still come through their capitals
    assert "Brenholt" in carry_entities("Who won it?", [("Tell me about Brenholt chess.", "")])


def test_a_follow_up_about_her_finds_her_words(riverton: Engine) -> None:
    first = riverton.ask("What did Helen Okafor say about the rescue?")
    follow = riverton.chat("What did she say?", [(first.question, first.text)])
    assert follow.query is not None and "Helen Okafor" in follow.query
    assert follow.citations and "Helen Okafor" in follow.citations[0].quote


def test_without_entities_it_ingests_answers_and_gains_them_later(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_ENTITIES", "false")
    settings = Settings(index_dir=tmp_path / "index")
    assert settings.entities is False
    engine = Engine(settings, embedder)
    engine.ingest([STORIES])
    store = engine.store
    assert store.manifest["entities"] is False
    assert store.entities([a["doc_id"] for a in engine.articles()]) == {}
    assert len(store.without_entities()) == 6
    answer = engine.ask("How many people died in the Riverton floods?")
    assert not answer.abstained and "15" in answer.sentences[0].text
    follow = engine.chat("What did she say?", [("What did Helen Okafor say?", "")])
    assert follow.query is not None and "Okafor" in follow.query

    monkeypatch.setenv("RAG_ENTITIES", "true")
    later = Engine(Settings(index_dir=tmp_path / "index"), embedder)
    report = later.ingest([STORIES])
    assert len(report.unchanged) == 6 and report.chunks == 0  # nothing embedded again
    assert later.store.without_entities() == [] and later.store.manifest["entities"] is True
    assert "helen okafor" in later.store.entity_index()


def test_entities_leave_with_their_article(fresh: Engine, tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("Mayor Ruth Albers opened the bridge\n\nMayor Ruth Albers opened it on Friday.")
    fresh.ingest([path])
    (doc_id,) = [a["doc_id"] for a in fresh.articles()]
    assert "ruth albers" in fresh.store.entity_index()
    path.write_text("Bridge opens\n\nCouncil leader Maria Santos opened the bridge on Friday.")
    fresh.ingest([path])
    index = fresh.store.entity_index()
    assert "ruth albers" not in index and index["maria santos"] == {doc_id}
    fresh.remove([doc_id])
    assert fresh.store.entity_index() == {} and fresh.store.entities([doc_id]) == {}


def test_he_or_she_carries_a_person_from_the_answer_not_the_question() -> None:
    turn = (
        "Who owns X?",
        "X’s CEO and owner, tech billionaire Elon Musk, has previously attacked the U.K.’s "
        "Labour government. [1]",
    )
    carried = carry_entities("What has he said about the British government?", [turn])
    assert carried.endswith("(Elon Musk)")  # spaCy names no one in "Who owns X?"
    # "it" is not a person: the turn's names are carried as before
    assert "X" in carry_entities("What does it do?", [turn])
