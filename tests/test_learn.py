"""Training the answer model: pairs from RealTime QA weeks, and the whole run on a tiny fixture."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from rag.answer_model import AnswerModel
from rag.learn.pairs import build_pairs, weeks
from rag.learn.train import main as train
from rag.text import mentions

FIXTURE = Path(__file__).parent / "fixtures" / "answer_training"
OUTAGE = {  # a RealTime QA question whose answer is the first choice
    "question_id": "20220107_2",
    "question_sentence": "Which network had an outage that cut phone service nationwide?",
    "choices": ["Velcom", "Orsk Mobile", "Tamm", "Lune"],
    "answer": ["0"],
}


def test_pairs_label_sentences_by_whether_they_name_the_right_choice() -> None:
    pairs = list(build_pairs(weeks([FIXTURE / "2022"]), seed=0))
    qa = [json.loads(x) for f in weeks([FIXTURE / "2022"]) for x in f.read_text().splitlines()]
    right = {q["question_id"]: q["choices"][int(q["answer"][0])] for q in qa}
    assert {p.qid for p in pairs} == set(right)
    for p in pairs:
        assert mentions(p.text, right[p.qid]) == bool(p.label)
    kinds = {p.kind for p in pairs}
    assert kinds == {"answer", "passage", "search", "search-answer"}


def test_pairs_are_the_same_for_the_same_seed() -> None:
    files = weeks([FIXTURE / "2022"])
    assert list(build_pairs(files, seed=3)) == list(build_pairs(files, seed=3))


def test_training_refuses_the_reporting_year(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="2023"):
        train(["--data", str(FIXTURE), "--out", str(tmp_path), "--years", "2022", "2023"])


@pytest.mark.slow
def test_training_runs_end_to_end_and_the_result_loads(tmp_path: Path) -> None:
    out = tmp_path / "model"
    train(["--data", str(FIXTURE), "--out", str(out), "--layers", "1", "--batch", "4"])
    meta = json.loads((out / "meta.json").read_text())
    assert 0 < meta["threshold"] < 1
    assert set(meta["versions"]) == {"model-fp32.onnx", "model-int8.onnx"}
    card = (out / "MODEL_CARD.md").read_text()
    assert "all-MiniLM-L6-v2 (Apache-2.0)" in card and "Threshold curve" in card
    assert sorted(p.name for p in out.iterdir()) == [
        "MODEL_CARD.md",
        "meta.json",
        "model.onnx",
        "tokenizer.json",
    ]
    p = AnswerModel(out).probabilities("Who won?", ["Ada won the race.", "It rained."])
    assert p.shape == (2,) and ((p >= 0) & (p <= 1)).all()


@pytest.mark.slow
def test_a_model_trained_with_context_reads_it_at_run_time(tmp_path: Path) -> None:
    out = tmp_path / "model"
    args = ["--layers", "1", "--batch", "4", "--context", "both"]
    train(["--data", str(FIXTURE), "--out", str(out), *args])
    assert json.loads((out / "meta.json").read_text())["recipe"]["context"] == "both"
    assert (
        "followed by its article's headline and the sentence before it"
        in (out / "MODEL_CARD.md").read_text()
    )
    model = AnswerModel(out)
    text = "Ada ran. She won the race."
    assert (
        model.reads(text, 9, len(text), "Race day") == "She won the race. [SEP] Race day | Ada ran."
    )
    with pytest.raises(SystemExit, match="--context 'headline'"):
        train(["--data", str(FIXTURE), "--out", str(out), "--context", "headline"])


def test_pairs_from_articles_alone_leave_the_evidence_passage_out(tmp_path: Path) -> None:
    """The evidence passages are short summaries that mostly answer; `passages=False` trains
    on the search-result articles alone, the kind of text the product reads."""
    q = {
        "question_id": "20220107_0",
        "question_sentence": "Which town opened the longest footbridge in Dornland?",
        "choices": ["Velby", "Orsk", "Tamm", "Lune"],
        "answer": ["0"],
        "evidence": "<p>The town of Velby opened the longest footbridge in Dornland.</p>",
    }
    article = (
        "Planners in Dornland praised the new footbridge. Velby opened the longest footbridge "
        "in Dornland on Tuesday, the mayor said. Orsk council will study a crossing of its own."
    )
    result = {"question_id": q["question_id"], "search_result": [{"text": article}]}
    (tmp_path / "20220107_qa.jsonl").write_text(json.dumps(q) + "\n")
    (tmp_path / "20220107_gcs.jsonl").write_text(json.dumps(result) + "\n")
    files = weeks([tmp_path])
    both = list(build_pairs(files, seed=0))
    alone = list(build_pairs(files, seed=0, passages=False))
    assert any(p.kind == "answer" for p in both)
    assert {p.kind for p in alone} == {"search-answer", "search"}
    assert all(p.text in article for p in alone)
    assert [p.text for p in alone if p.label] == [
        "Velby opened the longest footbridge in Dornland on Tuesday, the mayor said."
    ]


def test_a_rank_chooses_the_hard_negatives() -> None:
    """With a rank (the answerer's own cheap score), the hard negatives are the sentences it
    would hand the model, not those sharing most of the question's words."""
    from rag.learn.pairs import cheap_rank, question_pairs

    q = {
        "question_id": "20220107_1",
        "question_sentence": "Which town opened the longest footbridge in Dornland?",
        "choices": ["Velby", "Orsk", "Tamm", "Lune"],
        "answer": ["0"],
    }
    article = (
        "Velby opened the longest footbridge in Dornland on Tuesday, the mayor said. "
        "The longest footbridge in Dornland has a town sign at each end of it. "
        "A new pedestrian crossing over the river was inaugurated this week. "
        "Orsk council met on Monday to discuss its budget for schools."
    )
    found = [{"text": article}]
    sizes = {"hard": 1, "easy": 0, "passages": False}
    by_terms = question_pairs(q, found, random.Random(0), **sizes)  # type: ignore[arg-type]
    assert [p.text for p in by_terms if not p.label] == [
        "The longest footbridge in Dornland has a town sign at each end of it."
    ]
    crossing = "A new pedestrian crossing over the river was inaugurated this week."
    ranked = question_pairs(
        q, found, random.Random(0), rank=lambda _, ss: [float(s == crossing) for s in ss], **sizes
    )
    assert [p.text for p in ranked if not p.label] == [crossing]
    # the real cheap score: MiniLM cosine and question terms, as the answerer shortlists
    scores = cheap_rank()(q["question_sentence"], [crossing, "Orsk council met on Monday."])
    assert scores[0] > scores[1]


def test_near_sets_how_many_question_terms_a_distant_positive_needs() -> None:
    """A search sentence naming the right choice in other words than the question's is a
    positive only when `near` admits its share of the question's terms; it is never a
    negative."""
    from rag.learn.pairs import question_pairs

    q = OUTAGE
    article = (
        "Velcom had an outage on Tuesday that cut phone service nationwide. "
        "Many Velcom customers were left without phone signal for hours on Tuesday. "
        "Orsk Mobile said its own network was working normally all week."
    )
    found = [{"text": article}]
    sizes = {"hard": 2, "easy": 0, "passages": False}
    paraphrase = "Many Velcom customers were left without phone signal for hours on Tuesday."
    for near, wanted in ((0.5, False), (0.1, True)):
        pairs = question_pairs(q, found, random.Random(0), near=near, **sizes)  # type: ignore[arg-type]
        positives = {p.text for p in pairs if p.label}
        assert "Velcom had an outage on Tuesday that cut phone service nationwide." in positives
        assert (paraphrase in positives) is wanted
        assert paraphrase not in {p.text for p in pairs if not p.label}


def test_context_puts_the_headline_and_the_sentence_before_beside_each_candidate() -> None:
    """With a recipe `context`, the model reads the sentence first, then its article's headline
    (the search engine's "..." dropped) and the sentence before it; with none, the sentence."""
    from rag.learn.pairs import question_pairs

    q = OUTAGE
    article = (
        "Phone networks across the country had a difficult week. "
        "Velcom had an outage on Tuesday that cut phone service nationwide. "
        "Orsk Mobile said its own network was working normally all week."
    )
    found = [{"title": "Outage cuts phone service ...", "text": article}]
    pairs = question_pairs(q, found, random.Random(0), hard=2, easy=0, passages=False)  # type: ignore[arg-type]
    answer = next(p for p in pairs if p.label)
    assert answer.text == "Velcom had an outage on Tuesday that cut phone service nationwide."
    assert answer.second == answer.text
    assert answer.with_context("both").second == (
        f"{answer.text} [SEP] Outage cuts phone service | "
        "Phone networks across the country had a difficult week."
    )
    assert answer.with_context("title").second == f"{answer.text} [SEP] Outage cuts phone service"
    first = next(p for p in pairs if p.text.startswith("Phone networks"))
    assert first.with_context("previous").second == first.text  # nothing before it


def test_the_runtime_reads_a_candidate_as_its_model_was_trained(tmp_path: Path) -> None:
    """AnswerModel.reads builds the second text from the article by the recipe's context."""
    text = "Ana Ruiz ran for mayor. She won by 400 votes."
    start = text.index("She")
    for context, wanted in (
        ("none", "She won by 400 votes."),
        ("both", "She won by 400 votes. [SEP] Riverton votes | Ana Ruiz ran for mayor."),
    ):
        meta = {"file": "x", "max_tokens": 8, "threshold": 0.5, "recipe": {"context": context}}
        (tmp_path / "meta.json").write_text(json.dumps(meta))
        assert AnswerModel(tmp_path).reads(text, start, len(text), "Riverton votes") == wanted
