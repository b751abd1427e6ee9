"""Conflicting reports: articles giving different values for one fact, newest first."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.prompt import answer_messages
from rag.cli import render
from rag.conflicts import claim, describe, differ, find_conflicts, newest_first
from rag.embed import Embedder
from rag.engine import Engine
from rag.segment import make_chunks, split_sentences
from rag.types import Article, Entity, Passage
from ui.render import render_answer

from .conftest import ROOT, make_settings
from .llm_server import scripted_llm

STORIES = ROOT / "tests" / "fixtures" / "stories" / "riverton.jsonl"
DEATHS = "How many people died in the Riverton floods?"


@pytest.fixture(scope="module")
def riverton(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    engine = Engine(make_settings(tmp_path_factory.mktemp("conflicts")), embedder)
    assert engine.ingest([STORIES]).exit_code == 0
    return engine


def test_the_death_toll_leads_with_the_update_and_shows_the_first_report(
    riverton: Engine,
) -> None:
    answer = riverton.ask(DEATHS)
    assert "15" in answer.sentences[0].text and "12" not in answer.sentences[0].text
    (conflict,) = answer.conflicts
    first, second = conflict.values
    assert (first.value, first.citation.source, first.citation.published) == (
        "15",
        "Northern Wire",
        "2025-03-12",
    )
    assert second.value == "12" and second.citation.published < "2025-03-12"
    assert "people died in the flooding" in conflict.fact and "15" not in conflict.fact
    shown = answer.to_dict()["conflicts"][0]
    assert [v["value"] for v in shown["values"]] == ["15", "12"]
    assert set(shown["values"][0]) == {"value", "doc_id", "source", "published", "quote"}
    article = riverton.article(first.citation.doc_id)
    assert article is not None and first.citation.quote in article.text
    assert describe(conflict).startswith("15 (Northern Wire, 2025-03-12) · 12 (")


@pytest.mark.parametrize(
    "question",
    [
        "What budget did the Riverton council approve for the library?",
        "When does the Riverton farmers' market run?",
        "How high did the Marrow River rise at the Riverton gauge?",
    ],
)
def test_facts_every_report_agrees_on_raise_no_conflict(riverton: Engine, question: str) -> None:
    answer = riverton.ask(question)
    assert not answer.abstained and answer.conflicts == ()


def test_an_answer_quoting_the_older_figure_is_led_by_the_newer(riverton: Engine) -> None:
    passages = riverton.retrieve(DEATHS)
    old = next(
        (p, s, e)
        for p in passages
        for s, e in p.chunk.sentences
        if p.article.text[s:e].startswith("At least 12 people died")
    )
    picked, conflicts = newest_first([old], passages)
    lead = picked[0]
    assert lead[0].article.text[lead[1] : lead[2]].startswith("At least 15 people died")
    assert picked[1] == old and len(conflicts) == 1
    # a sentence no report disputes keeps its place, with no conflict
    calm = next(
        (p, s, e) for p in passages for s, e in p.chunk.sentences if "1951" in p.article.text[s:e]
    )
    assert newest_first([calm], passages) == ([calm], ())


def passage(doc_id: str, text: str, published: str, names: list[str] = ()) -> Passage:  # type: ignore[assignment]
    article = Article(doc_id, doc_id, text, "Outlet " + doc_id, published)
    spans = split_sentences(text)
    (chunk,) = make_chunks(doc_id, text, spans, lambda ts: [len(t.split()) for t in ts], 500)
    found = tuple(Entity(doc_id, text.index(n), text.index(n) + len(n), "PERSON", n) for n in names)
    return Passage(chunk, article, 1.0, 1, entities=found)


def test_rewording_and_extra_figures_are_not_conflicts() -> None:
    a = passage(
        "a",
        "Helen Okafor, the emergency service director, said teams were searching.",
        "2025-03-10",
        ["Helen Okafor"],
    )
    b = passage(
        "b",
        "Emergency service director Helen Okafor said teams were searching.",
        "2025-03-11",
        ["Helen Okafor"],
    )
    c = passage(
        "c",
        "Emergency service director John Baird said teams were searching.",
        "2025-03-12",
        ["John Baird"],
    )
    d = passage(
        "d", "At least 12 people, 3 of them children, died in the flooding on Monday.", "2025-03-12"
    )
    e = passage("e", "At least 12 people died in the flooding on Tuesday.", "2025-03-13")
    claims = {p.article.doc_id: claim(p, 0, len(p.article.text)) for p in (a, b, c, d, e)}
    assert differ(claims["a"], claims["b"]) == []  # the same person, worded differently
    assert differ(claims["b"], claims["c"]) == ["name"]
    assert find_conflicts([a, b, c])[0].conflict.values[0].value == "John Baird"
    assert differ(claims["d"], claims["e"]) == []  # one gives more, neither disagrees
    assert find_conflicts([d, e]) == []


def test_the_llm_is_told_outlets_dates_and_that_reports_differ(riverton: Engine) -> None:
    passages = riverton.retrieve(DEATHS)
    system, user = (content for _, content in answer_messages(DEATHS, passages))
    assert 'outlet="Northern Wire" date="2025-03-12"' in user
    note = next(line for line in user.splitlines() if line.startswith("The reports differ"))
    assert note.index("15 in passage") < note.index("12 in passage")
    assert "newest" in note
    calm = [p for p in passages if "library" in p.article.title]
    assert "The reports differ" not in answer_messages("What was approved?", calm)[1][1]


def test_an_llm_answer_gets_the_conflicts_of_what_it_cites(
    riverton: Engine, embedder: Embedder, tmp_path: Path
) -> None:
    def reply(messages: list[dict[str, str]]) -> str:
        from .llm_server import passages_of

        n = next(n for n, body in passages_of(messages).items() if "At least 15" in body)
        return f"At least 15 people died in the flooding [{n}]."

    with scripted_llm(reply) as server:
        settings = riverton.settings.model_copy(
            update={"llm": "openai", "llm_base_url": server.url, "llm_model": "scripted",
                    "llm_output": "text"}
        )  # fmt: skip
        answer = Engine(settings, embedder).ask(DEATHS)
    assert answer.backend == "openai" and not answer.fallback
    assert [v.value for v in answer.conflicts[0].values] == ["15", "12"]


def test_the_terminal_and_the_page_show_the_reports_that_differ(riverton: Engine) -> None:
    answer = riverton.ask(DEATHS)
    assert "Reports differ: 15 (Northern Wire, 2025-03-12) · 12 (" in render(answer)
    page = render_answer(answer, 0)
    assert '<p class="conflict"' in page and "Reports differ:" in page
    assert "15 (Northern Wire, 2025-03-12) · 12 (" in page
    assert "Reports differ" not in render_answer(answer, 0, upto=1)  # not while streaming


def test_copies_ranked_below_a_full_pick_are_never_read(
    riverton: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.copies import with_variants

    store = riverton.store
    ids = store.chunk_ids()
    story = store.stories.of(sorted({c.rsplit("#", 1)[0] for c in ids}))
    by_story: dict[object, list[str]] = {}
    for c in ids:
        by_story.setdefault(story.get(c.rsplit("#", 1)[0]), []).append(c)
    group = next(v for v in by_story.values() if len(v) >= 2)  # chunks of one story's copies
    ranked = [group[0], *(c for c in ids if c not in group), *group[1:]]
    read: list[str] = []
    real = store.chunks
    monkeypatch.setattr(store, "chunks", lambda cids: read.extend(cids) or real(cids))
    # the pick fills top_k and the other copies rank below it: nothing to compare
    assert with_variants(store, ranked, [group[0]], story, top_k=1) == [group[0]]
    assert not set(group[1:]) & set(read)
    with_variants(store, ranked, [group[0]], story, top_k=3)  # room left: they are compared
    assert set(group[1:]) <= set(read)
