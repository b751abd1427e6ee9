"""Publication dates and the as-of date: time words in questions, datelines, and answers that
never use an article published after the day they are asked on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.errors import RagError
from rag.index import Filters
from rag.readers import SourceFile, dateline, read_text
from rag.when import parse_as_of, read_period

from .conftest import ROOT, make_settings

STORIES = ROOT / "tests" / "fixtures" / "stories" / "riverton.jsonl"
SATURDAY = date(2025, 3, 15)


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What happened in Riverton last week?", "2025-03-03", "2025-03-09"),
        ("What happened this week?", "2025-03-10", "2025-03-15"),
        ("What did the council decide yesterday?", "2025-03-14", "2025-03-15"),
        ("What did she say last Monday?", "2025-03-10", "2025-03-11"),
        ("What happened three days ago?", "2025-03-12", "2025-03-13"),
        ("What happened in March 2024?", "2024-03-01", "2024-03-31"),
        ("Who won in 2023?", "2023-01-01", "2023-12-31"),
        ("What did the council approve on 5 March 2025?", "2025-03-05", "2025-03-06"),
        ("What happened in the past two weeks?", "2025-03-01", "2025-03-15"),
        ("What has changed since March 1?", "2025-03-01", None),
        ("What happened before March 2025?", None, "2025-02-28"),
        # numbers that count something else, and an event's year, are not the period
        ("Which actor died this week at 77?", "2025-03-10", "2025-03-15"),
        ("Who retired this week after 47 years at the helm?", "2025-03-10", "2025-03-15"),
        (
            "Which country was shaken by a 7.0-magnitude earthquake this week?",
            "2025-03-10",
            "2025-03-15",
        ),
        ("What did USA TODAY celebrate this week?", "2025-03-10", "2025-03-15"),
        ("Whose footage came out this week of a 1986 dive?", "2025-03-10", "2025-03-15"),
        (
            "Who testified about interference in the 2020 election this week?",
            "2025-03-10",
            "2025-03-15",
        ),
    ],
)
def test_time_words_become_publication_dates(question: str, start: str, end: str) -> None:
    period = read_period(question, SATURDAY)
    assert (period.to_dict()["from"], period.to_dict()["to"]) == (start, end)
    assert not period.recent


@pytest.mark.parametrize(
    "question",
    [
        "What is the latest death toll?",
        "How many people have died so far?",
        "Who is the prime minister now?",
        "What has happened since the election?",  # a starting point no calendar can place
    ],
)
def test_words_that_ask_for_the_newest_prefer_recent_articles(question: str) -> None:
    period = read_period(question, SATURDAY)
    assert period.recent and not period.dated


@pytest.mark.parametrize(
    "question",
    [
        "How many people died in the Riverton floods?",
        "What may happen in the second round?",
        "Who won the 1998 football World Cup?",  # a year that names the event, not the reports
        "What caused the March 2024 floods?",
        # the story's own days, not publication dates: "the pilot begins in September"
        "What did the minister say on Tuesday?",
        "The pilot begins in September.",
        "What happened on 10 March?",
        # a date that names an event, a plan, a magnitude
        "Which network aired false depictions of the January 6, 2021, attack?",
        "Which NBA team won 50 games in the 2022-23 season?",
        "Which landmark is to be completed in 2026?",
        "Which country was shaken by a 7.0-magnitude earthquake?",
        "Which comic strip did the USA TODAY Network drop?",  # a name, not the day
    ],
)
def test_questions_without_time_words_have_no_period(question: str) -> None:
    period = read_period(question, SATURDAY)
    assert not period.dated and not period.recent


def test_the_period_narrows_filters_and_never_passes_the_as_of_day() -> None:
    period = read_period("What happened this week?", SATURDAY)
    f = period.filters(Filters(sources=("Daily Courier",), published_from="2025-03-12"))
    assert f.sources == ("Daily Courier",)
    assert (f.published_from, f.published_to, f.as_of) == ("2025-03-12", "2025-03-15", "2025-03-15")


def test_a_bad_as_of_date_is_a_clear_error() -> None:
    assert parse_as_of(None, today=SATURDAY) == SATURDAY
    with pytest.raises(RagError, match="YYYY-MM-DD"):
        parse_as_of("15/03/2025")


def test_a_dateline_under_the_headline_is_the_publication_date(tmp_path: Path) -> None:
    path = tmp_path / "bridge.txt"
    path.write_text("Bridge shuts\nLONDON, 14 March 2023 (Wire) — The bridge will close.\n")
    article = read_text(SourceFile(path, tmp_path), path.read_text(), markdown=False)
    assert article.published == "2023-03-14"
    # no year, no date: unknown stays unknown (a file's mtime is never a publication date)
    assert dateline("Bridge shuts\nLONDON, 14 March — The bridge will close.") is None
    assert dateline("The bridge will close for 14 days in 2023.") is None


@pytest.fixture(scope="module")
def riverton(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    """The Riverton stories, and one undated article."""
    tmp = tmp_path_factory.mktemp("when")
    undated = tmp / "undated.txt"
    undated.write_text(
        "Riverton ferry resumes\nThe Riverton ferry resumed crossings after the floods, "
        "its operator said.\n"
    )
    eng = Engine(make_settings(tmp), embedder)
    assert eng.ingest([STORIES, undated]).exit_code == 0
    return eng


def _dates(engine: Engine, question: str, as_of: str) -> set[str | None]:
    passages, _ = engine.search(question, as_of=as_of)
    return {p.article.published for p in passages}


def test_articles_published_after_the_as_of_day_are_not_used(riverton: Engine) -> None:
    question = "How many people died in the Riverton floods?"
    assert "2025-03-12" in _dates(riverton, question, "2025-03-20")
    early = _dates(riverton, question, "2025-03-11")
    assert "2025-03-12" not in early and early & {"2025-03-10", "2025-03-11"}
    assert None in early  # undated: nothing says it came later
    answer = riverton.ask(question, as_of="2025-03-11")
    assert answer.as_of == "2025-03-11"
    assert all(c.published and c.published <= "2025-03-11" for c in answer.citations)
    assert "15" not in answer.text


def test_a_named_period_admits_only_articles_dated_within_it(riverton: Engine) -> None:
    got = _dates(riverton, "What did the Riverton council approve last week?", "2025-03-12")
    assert got == {"2025-03-05"}  # the week of 3-9 March; undated articles cannot be shown to fit
    answer = riverton.ask("What did the Riverton council approve last week?", as_of="2025-03-12")
    assert "library" in answer.text and answer.period and answer.period["from"] == "2025-03-03"
    none = riverton.ask(
        "What did the Riverton council approve in January 2025?", as_of="2025-03-12"
    )
    assert none.abstained and not none.citations and not none.related
    assert "No article matches the filters on (published 2025-01-01 to 2025-01-31" in none.text


def test_filters_that_leave_nothing_say_so(riverton: Engine) -> None:
    question = "How many people died in the Riverton floods?"
    answer = riverton.ask(question, filters=Filters(sources=("Nobody Weekly",)))
    assert answer.abstained and "outlets: Nobody Weekly" in answer.text
    early = riverton.ask(question, filters=Filters(sources=("Valley Times",)), as_of="2025-02-01")
    assert "as of 2025-02-01" in early.text
    assert not riverton.ask(question, filters=Filters(sources=("Valley Times",))).abstained


def test_latest_puts_the_newest_relevant_article_first(riverton: Engine) -> None:
    passages, period = riverton.search(
        "What is the latest on the Riverton floods?", as_of="2025-03-20"
    )
    assert period.recent
    assert passages[0].article.published == "2025-03-12"


def test_ask_json_carries_as_of(riverton: Engine) -> None:
    d = riverton.ask("How many people died in the Riverton floods?", as_of="2025-03-11").to_dict()
    assert d["as_of"] == "2025-03-11" and d["period"] is None
    assert json.loads(json.dumps(d))["as_of"] == "2025-03-11"
    today = riverton.ask("What is the latest on the Riverton floods?").to_dict()
    assert today["as_of"] == date.today().isoformat() and today["period"]["recent"] is True


def test_the_words_that_answer_are_marked_for_bold(riverton: Engine) -> None:
    answer = riverton.ask("How many people died in the Riverton floods?", as_of="2025-03-20")
    first = answer.sentences[0]
    assert any("15" in k for k in first.key), first
    assert answer.to_dict()["sentences"][0]["key"] == list(first.key)
    who = riverton.ask("Who said construction of the library would begin in the autumn?")
    assert any("Maria Santos" in k for s in who.sentences for k in s.key), who.text
