"""Consistency checks for the hand-written evaluation set eval/citations.jsonl."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
EVAL_SET = ROOT / "eval" / "citations.jsonl"
SEEDS = ROOT / "seeds"

FIELDS = {"id", "question", "answers", "evidence", "answerable"}


def load_items() -> list[dict[str, Any]]:
    items = []
    with EVAL_SET.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                item = json.loads(line)
                assert isinstance(item, dict), f"line {lineno} is not an object"
                items.append(item)
    return items


ITEMS = load_items()


@cache
def doc_text(doc: str) -> str:
    path = SEEDS / f"{doc}.txt"
    assert path.is_file(), f"document {doc!r} not found at {path}"
    return path.read_text(encoding="utf-8")


def test_size_and_unique_ids() -> None:
    ids = [item["id"] for item in ITEMS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(ITEMS) >= 45
    assert sum(1 for item in ITEMS if item["answerable"] is False) >= 12


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: str(item.get("id")))
def test_record(item: dict[str, Any]) -> None:
    assert set(item) == FIELDS
    assert isinstance(item["id"], str) and item["id"]
    assert isinstance(item["question"], str) and item["question"].strip()
    assert isinstance(item["answerable"], bool)
    assert isinstance(item["answers"], list)
    assert all(isinstance(a, str) and a.strip() for a in item["answers"])
    assert isinstance(item["evidence"], list)

    if not item["answerable"]:
        assert item["answers"] == []
        assert item["evidence"] == []
        return

    assert len(item["answers"]) >= 1
    assert len(item["evidence"]) >= 1
    quotes = []
    for ev in item["evidence"]:
        assert set(ev) == {"doc", "quote"}
        assert isinstance(ev["quote"], str) and ev["quote"].strip()
        assert ev["quote"] in doc_text(ev["doc"]), f"quote not in {ev['doc']}: {ev['quote']!r}"
        quotes.append(ev["quote"].casefold())
    for answer in item["answers"]:
        assert any(answer.casefold() in q for q in quotes), f"answer {answer!r} not in any quote"
