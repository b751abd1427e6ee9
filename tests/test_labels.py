"""Hand-labelled generated sentences: rows drafted from a run, read back, judged again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import RagError
from rag.eval.labels import draft, read_rows, score, wilson

SEED_TRUE = (
    "Britain’s Deputy Prime Minister David Lammy raised the recent flood of AI-generated "
    "sexualized images of women and children on X with JD Vance when the two met in Washington "
    "yesterday, two people familiar with the meeting told POLITICO."
)


def test_wilson_interval_holds_the_rate() -> None:
    low, high = wilson(9, 10) or (0, 0)
    assert low < 0.9 < high <= 1.0
    assert wilson(0, 0) is None


def test_a_bad_row_is_named_by_its_line(tmp_path: Path) -> None:
    f = tmp_path / "labels.jsonl"
    f.write_text('{"sentence": "A.", "label": "supported"}\n{"sentence": "B.", "label": "yes"}\n')
    with pytest.raises(RagError, match=":2: needs"):
        read_rows(f)


def test_draft_rows_carry_quotes_and_mark_copies(tmp_path: Path) -> None:
    results = {
        "backend": "openai",
        "per_question": [
            {
                "question": "Q?",
                "sentences": [
                    {"text": "Ofcom acted on Monday.", "citations": [1], "support": "supported"},
                    {"text": "It was Tuesday.", "citations": [], "support": "unsupported"},
                ],
                "cited": [{"n": 1, "doc_id": "d1", "quote": "Ofcom acted on Monday, it said."}],
            }
        ],
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    rows = list(draft(path, "seeds"))
    assert [r["verbatim"] for r in rows] == [True, False]
    assert rows[0]["doc_ids"] == ["d1"] and rows[1]["cited"] == [] and rows[0]["label"] == ""


def test_labels_are_judged_again_against_their_article(tmp_path: Path) -> None:
    rows = [
        {"sentence": SEED_TRUE, "cited": [SEED_TRUE], "label": "supported", "verbatim": True,
         "checker": "supported"},
        {"sentence": "David Lammy runs and owns X.", "cited": [], "label": "unsupported",
         "checker": "supported"},
    ]  # fmt: skip
    out = score(rows, "heuristic", tmp_path)
    assert out["all"]["shown"] == 1 and out["all"]["precision"] == 1.0
    assert out["own_words"]["sentences"] == 1 and out["own_words"]["shown"] == 0
    assert out["as_shown_in_the_runs"]["precision"] == 0.5
