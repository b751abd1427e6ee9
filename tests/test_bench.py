"""The bench's synthetic corpus: deterministic, one answerable fact per article."""

from __future__ import annotations

import json
from pathlib import Path

from bench.synthetic import write_corpus


def test_synthetic_corpus_is_deterministic_and_answerable(tmp_path: Path) -> None:
    questions = write_corpus(tmp_path / "a", 20, seed=3)
    again = write_corpus(tmp_path / "b", 20, seed=3)
    first = (tmp_path / "a" / "synthetic.jsonl").read_text()
    assert first == (tmp_path / "b" / "synthetic.jsonl").read_text() and questions == again
    records = [json.loads(line) for line in first.splitlines()]
    assert len(records) == 20 and len({r["text"] for r in records}) == 20
    for q, r in zip(questions, records, strict=True):
        place = q["question"].split(" did the ")[1].split()[0]
        assert q["doc"].startswith("synthetic/") and f"The {place} " in r["text"]
