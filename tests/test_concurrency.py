"""20 chat sessions against a real `rag serve` while uploads are ingested: no errors, right answers.

The test runs for 20 s to keep the suite short; `python -m tests.chat_load --seconds 60` gives
the figures quoted in docs/deployment.md.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .chat_load import run_load, served_index

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def test_twenty_sessions_while_ingesting_get_only_right_answers(tmp_path: Path) -> None:
    with served_index(tmp_path) as url:
        figures = run_load(url, sessions=20, seconds=20, per_batch=5)
    summary = figures.summary()
    print("\n" + json.dumps(summary))
    assert summary["errors"] == 0, summary["first_errors"]
    assert summary["requests"] >= 20  # every session got answers, not just a few
    assert summary["ingests"] >= 1 and summary["articles_uploaded"] >= 5
    # every uploaded article was indexed, next to the 8 it started with
    with sqlite3.connect(tmp_path / "index" / "meta.sqlite3") as con:
        count = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert count == 8 + summary["articles_uploaded"]
