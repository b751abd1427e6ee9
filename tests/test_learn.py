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

    q = {
        "question_id": "20220107_2",
        "question_sentence": "Which network had an outage that cut phone service nationwide?",
        "choices": ["Velcom", "Orsk Mobile", "Tamm", "Lune"],
        "answer": ["0"],
    }
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
