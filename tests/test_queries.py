"""Odd questions: empty, 10,000 characters, control characters, other scripts, markup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.errors import RagError
from rag.types import Answer

CHESS = "Who won the Brenholt chess tournament?"
ODD = {
    "long": ("Please tell me this. " * 30 + CHESS + " ") * 19 + "x" * 200,
    "control": "Who won\x01 the \x1b[31mBrenholt\x1b[0m\x07 chess\x7f tournament?\u200b\u202e",
    "nul": "Who won the Brenholt\x00 chess tournament?",
    "chinese": "谁赢得了布伦霍尔特国际象棋锦标赛？",
    "arabic": "من فاز ببطولة الشطرنج في برينهولت؟",
    "russian": "Кто выиграл шахматный турнир в Бренхольте?",
    "mixed": "Brenholt 🏆♟️ chess — qui a gagné? wer gewann? 誰が勝った?",
    "markdown": "**Who** won the _Brenholt_ `chess` tournament? # [link](javascript:alert(1))",
    "html": "<b>Who</b> won the <i>Brenholt</i> chess tournament?<script>alert(1)</script>"
    "<img src=x onerror=alert(2)>",
    "only punctuation": "?!…;:—()[]{}",
    "only stopwords": "what is the",
}


def well_formed(answer: Answer, engine: Engine, question: str) -> None:
    """The contract every answer keeps: JSON-able, quotes exact, numbered citations or abstain."""
    out = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))
    assert out["question"] == question.strip()
    assert out["abstained"] == (not answer.citations)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in (*answer.citations, *answer.related):
        article = engine.article(c.doc_id)
        assert article is not None and article.text[c.char_start : c.char_end] == c.quote
    for s in answer.sentences:
        assert set(s.citations) <= {c.n for c in answer.citations}


def test_length_of_the_long_question() -> None:
    assert len(ODD["long"]) >= 10_000


@pytest.mark.parametrize("kind", list(ODD))
def test_odd_questions_are_answered_or_abstained_never_an_error(engine: Engine, kind: str) -> None:
    question = ODD[kind]
    answer = engine.ask(question)
    well_formed(answer, engine, question)
    # the question is still in there (HTML tags are taken out before retrieval)
    if kind in ("long", "control", "nul", "markdown", "html"):
        assert answer.citations and answer.citations[0].doc_id == "chess_final", kind
        assert "Mira Okafor" in answer.text


@pytest.mark.parametrize("question", ["", "   ", "\n\t\r "])
def test_an_empty_question_is_a_clear_message(engine: Engine, question: str) -> None:
    with pytest.raises(RagError, match="the question is empty — type a question"):
        engine.ask(question)


@pytest.mark.slow
def test_the_cli_handles_the_same_questions(engine: Engine, tmp_path: Path) -> None:
    """One `rag chat` process answers them all (a NUL cannot be typed); `rag ask` refuses ''."""
    kinds = [k for k in ODD if k != "nul"]
    env = {**os.environ, "RAG_INDEX_DIR": str(engine.settings.index_dir)}
    empty = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "  "],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert empty.returncode == 1 and empty.stderr.startswith("error: the question is empty")
    lines = [ODD[k] for k in kinds]
    chat = subprocess.run(
        [sys.executable, "-m", "rag", "chat"],
        input="\n".join(lines) + "\n\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert chat.returncode == 0, chat.stderr
    assert "error" not in chat.stderr.lower() and "Traceback" not in chat.stderr
    assert chat.stdout.count("Mira Okafor") >= 3 * 2  # long, control, markdown: answer + quote
