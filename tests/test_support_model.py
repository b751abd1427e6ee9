"""The support model: the shipped learned checker on tests/data, through `rag check`, and its
training pairs built the same way twice."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from rag.check import article_passages
from rag.embed import Embedder
from rag.errors import BackendError
from rag.learn.support_pairs import news_articles, news_pairs, xsum_halves
from rag.types import Article
from rag.verify import CHECKERS
from rag.verify.learned import LearnedChecker, learned_checker

from .conftest import DATA
from .test_cli import run

FIXTURE = Path(__file__).parent / "fixtures" / "answer_training"
BRIDGE = "The swing bridge over Aldmere harbour will close to all traffic on 14 March"


@pytest.fixture(scope="module")
def checker(embedder: Embedder) -> LearnedChecker:
    return learned_checker("", embedder)


@pytest.fixture(scope="module")
def bridge(embedder: Embedder) -> list:  # type: ignore[type-arg]
    text = (DATA / "harbour_bridge.txt").read_text()
    return article_passages(Article("harbour_bridge", "", text), embedder)


def test_a_real_sentence_is_supported_and_cited(checker: LearnedChecker, bridge: list) -> None:  # type: ignore[type-arg]
    claim = "Engineers found corrosion in the bridge's counterweight during a routine inspection."
    j = checker.judge(claim, bridge)
    assert j.label == "supported", j
    assert j.passage is not None and "corrosion" in j.passage.article.text[j.start : j.end]


@pytest.mark.parametrize(
    "claim",
    [
        "Engineers found corrosion in the bridge's counterweight during a routine inspection "
        "in 1998.",  # an added detail
        "The repairs will cost £7.9 million, according to council papers.",  # a changed number
        "The repairs will cost £3.2 million, according to Josiah Penhale.",  # a swapped name
        # what the heuristic finds besides facts holds here too: a flipped negation, a cause
        # the article never gives (fitted on summaries, the joiner's weights ignored both)
        "Engineers did not find corrosion in the bridge's counterweight during a routine "
        "inspection last autumn.",
        "The swing bridge over Aldmere harbour will close to all traffic on 14 March because "
        "engineers found corrosion in the bridge's counterweight.",
    ],
)
def test_a_changed_claim_is_not_supported(
    checker: LearnedChecker, bridge: list, claim: str
) -> None:  # type: ignore[type-arg]
    assert checker.judge(claim, bridge).label != "supported"


def test_a_missing_model_folder_says_how_to_make_one(embedder: Embedder) -> None:
    with pytest.raises(BackendError, match="make train-support"):
        CHECKERS["learned"]("/nonexistent/support-model", embedder)


def test_rag_check_pairs_with_the_learned_checker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (DATA / "museum_theft.txt").read_text()
    claims = [
        "Police have recovered an 18th-century astronomical clock stolen from the Gorran Museum.",
        "Police have recovered an 18th-century astronomical clock stolen from the Gorran Museum "
        "by three teenagers from Trewint.",
    ]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"claim": c, "doc": doc}) + "\n" for c in claims))
    monkeypatch.setenv("RAG_VERIFIER", "learned")
    result = run(["check", "--pairs", str(pairs)], tmp_path / "no-index", tmp_path)
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["label"] == "supported" for v in verdicts] == [True, False]
    assert "Gorran Museum" in verdicts[0]["evidence"]


def test_training_pairs_are_the_same_for_the_same_seed(embedder: Embedder) -> None:
    articles = news_articles(FIXTURE, ("2022", "2024"), 10, seed=0, min_chars=100)
    assert len(articles) == 6
    first = news_pairs(articles, embedder, seed=0)
    assert first == news_pairs(articles, embedder, seed=0)
    assert {p.label for p in first} == {0, 1}
    kinds = {p.kind for p in first}
    assert {"verbatim", "reworded", "other article", "dropped", "grafted"} <= kinds
    for p in first:
        if p.kind == "dropped":
            assert p.claim not in p.evidence  # the chunk without the sentence


def test_training_refuses_the_reporting_year() -> None:
    with pytest.raises(SystemExit, match="2023"):
        news_articles(FIXTURE, ("2022", "2023"), 10, seed=0)


def test_xsum_halves_split_by_article_whatever_the_row_order() -> None:
    rows = [{"id": f"{a}|{s}", "label": 0} for a in range(10) for s in "xy"]
    train, report = xsum_halves(rows)

    def arts(rs: list) -> set:  # type: ignore[type-arg]
        return {r["id"].split("|")[0] for r in rs}

    assert len(arts(train)) == len(arts(report)) == 5 and not arts(train) & arts(report)
    assert arts(xsum_halves(rows[::-1])[0]) == arts(train)


def test_relation_errors_keep_the_words_and_change_who_did_what() -> None:
    from rag.learn.relations import invent_link, move_name, swap_roles, trim
    from rag.verify.roles import parser

    nlp = parser()
    swapped = swap_roles(nlp("Elon Musk has previously attacked the Labour government."))
    assert swapped == "The Labour government has previously attacked Elon Musk."
    passage = "Ofcom made urgent contact with X, and Starmer backed Ofcom."
    moved = move_name("The regulator Ofcom made urgent contact.", passage, random.Random(0))
    assert moved == "The regulator Starmer made urgent contact."
    linked = invent_link("X restricted the tool.", "Ofcom was alarmed.", random.Random(0))
    assert linked.startswith("X restricted the tool") and "ofcom was alarmed" in linked
    assert trim(nlp("Musk, the owner of X, has attacked the government twice.")) == (
        "Musk has attacked the government twice."
    )
    # an aside that negates is not left out: the shorter claim would say something else
    assert trim(nlp("The bill, which was not debated, passed in the Senate on Monday.")) is None


def test_training_pairs_hold_relation_errors(embedder: Embedder) -> None:
    articles = news_articles(FIXTURE, ("2022", "2024"), 10, seed=0, min_chars=100)
    pairs = news_pairs(articles, embedder, seed=0)
    kinds = {(p.kind, p.label) for p in pairs}
    assert {("name moved", 0), ("invented link", 0)} <= kinds
    # the checker strips "According to the article, …" before judging: a model trained with
    # it on backed claims learned the lead-in instead of the support
    assert not any(p.claim.lower().startswith("according to the article") for p in pairs)


def test_held_out_news_kinds_say_what_the_shipped_model_learned(tmp_path: Path) -> None:
    from rag.learn.support_eval import news_kinds
    from rag.verify.learned import SHIPPED

    before = sorted(p.name for p in SHIPPED.iterdir())
    held = news_kinds(SHIPPED, FIXTURE, trained_on=3, seed=0, min_chars=100)
    assert sorted(p.name for p in SHIPPED.iterdir()) == before  # nothing written beside it
    assert held["articles"] == 3
    kinds = held["kinds"]
    assert kinds["verbatim"]["backed"] == 1 and "auc" not in kinds["verbatim"]
    assert kinds["other article"]["backed"] == 0
    assert all(0.0 <= k["auc"] <= 1.0 for k in kinds.values() if "auc" in k)


def test_the_model_runs_only_when_the_joiner_weighs_it(
    embedder: Embedder, bridge: list, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[type-arg]
    checker = learned_checker("", embedder)
    calls: list[str] = []
    real = checker.model.probabilities

    def counted(claim: str, texts: list) -> object:  # type: ignore[type-arg]
        calls.append(claim)
        return real(claim, texts)

    monkeypatch.setattr(checker.model, "probabilities", counted)
    claim = "Engineers found corrosion in the bridge's counterweight during a routine inspection."
    checker.weights = {**checker.weights, "logit": 0.0}
    unweighted = checker.judge(claim, bridge)
    assert calls == []
    checker.weights = {**checker.weights, "logit": 0.5}
    weighted = checker.judge(claim, bridge)
    assert calls and weighted.score != unweighted.score


def test_kinds_of_changed_news_sentences_are_counted_per_checker(embedder: Embedder) -> None:
    from rag.eval.kinds import describe, judge_kinds

    result = judge_kinds(FIXTURE, "heuristic", trained_on=2, min_chars=100)
    kinds = result["kinds"]
    assert result["articles"] >= 1 and result["pairs"] == sum(
        row["cased"][1] + row["lower"][1] for row in kinds.values()
    )

    def share(backed: bool) -> float:
        rows = [r["cased"] for r in kinds.values() if r["backed"] == backed]
        return sum(r[0] for r in rows) / max(1, sum(r[1] for r in rows))

    assert share(True) > 0.8 and share(False) < 0.3  # copies shown, changed claims mostly not
    table = describe(result)
    assert "| verbatim | yes |" in table and "| other article | no |" in table
