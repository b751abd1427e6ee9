"""Structured answers: the model held to a JSON schema of sentences and the passages each cites.

Against the scripted OpenAI-compatible server: the schema is asked for, a JSON reply is read
(also while streaming), an unanswerable reply abstains, and a server that refuses the format
is asked again without it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rag.embed import Embedder
from rag.errors import BackendError
from rag.types import Answer

from . import test_llm
from .llm_server import passages_of, scripted_llm
from .test_llm import llm_engine, passage_with

library = test_llm.library  # the same index of tests/data, the seed and an injected article

WON = "Mira Okafor won the Brenholt open chess tournament."


def json_reply(messages: list[dict[str, Any]]) -> str:
    n = passage_with(messages, "Mira Okafor")
    other = next(k for k in passages_of(messages) if k != n)
    sentences = [
        {"text": WON, "cites": [n]},
        {"text": "She beat 40 players.", "cites": [other]},
    ]
    return json.dumps({"answerable": True, "sentences": sentences})


def test_json_answer_is_asked_for_read_and_checked(library: Path, embedder: Embedder) -> None:
    with scripted_llm(json_reply) as server:
        answer = llm_engine(library, embedder, server.url).ask("Who won the chess tournament?")
        fmt = server.requests[-1]["response_format"]
    assert fmt["type"] == "json_schema" and "sentences" in json.dumps(fmt)
    won, extra = answer.sentences
    assert won.text == WON and won.support == "supported"
    assert "Mira Okafor" in answer.citations[won.citations[0] - 1].quote
    assert extra.support != "supported"  # the article never says 40 players


def test_json_answer_streams_sentence_by_sentence(library: Path, embedder: Embedder) -> None:
    with scripted_llm(json_reply) as server:
        server.chunk = 3
        items = list(llm_engine(library, embedder, server.url).stream("Who won the chess?"))
    *deltas, final = items
    shown = "".join(d for d in deltas if isinstance(d, str))
    assert shown.startswith(WON[:-1]) and "[1]" in shown and "{" not in shown
    assert isinstance(final, Answer) and final.sentences[0].support == "supported"


def test_unanswerable_json_abstains(library: Path, embedder: Embedder) -> None:
    def reply(messages: list[dict[str, Any]]) -> str:
        return '{"answerable": false, "sentences": []}'

    with scripted_llm(reply) as server:
        answer = llm_engine(library, embedder, server.url).ask("Who won the 1990 lottery?")
    assert answer.abstained and answer.sentences == () and answer.related
    assert answer.reason is None  # nothing close: no rule to name


def test_an_abstention_after_the_model_says_what_the_passages_lack(
    library: Path, embedder: Embedder
) -> None:
    def reply(messages: list[dict[str, Any]]) -> str:
        return '{"answerable": false, "sentences": []}'

    with scripted_llm(reply) as server:
        engine = llm_engine(library, embedder, server.url)
        answer = engine.ask("On what calendar date did Mira Okafor win the chess open?")
    # the article says "on Sunday"
    assert answer.abstained and answer.reason == "the closest passages give no calendar date"
    assert answer.reason in answer.text and answer.related


@pytest.mark.parametrize("status", [400, 422, 500])
def test_a_refused_format_falls_back_to_the_next_then_to_text(
    library: Path, embedder: Embedder, status: int
) -> None:
    with scripted_llm(json_reply) as server:
        server.refuse_formats, server.refuse_status = frozenset({"json_schema"}), status
        engine = llm_engine(library, embedder, server.url)
        first = engine.ask("Who won the chess tournament?")
        kinds = [(r.get("response_format") or {}).get("type") for r in server.requests]
        assert kinds == ["json_schema", "json_object"]
        assert first.sentences[0].support == "supported"
        server.refuse_formats = frozenset({"json_schema", "json_object"})
        engine = llm_engine(library, embedder, server.url)
        assert engine.ask("Who won the chess tournament?").sentences[0].text == WON
        assert "response_format" not in server.requests[-1]  # free text, markers and all


def test_text_output_never_asks_for_json(library: Path, embedder: Embedder) -> None:
    def reply(messages: list[dict[str, Any]]) -> str:
        return f"{WON[:-1]} [{passage_with(messages, 'Mira Okafor')}]."

    with scripted_llm(reply) as server:
        engine = llm_engine(library, embedder, server.url, llm_output="text")
        answer = engine.ask("Who won the chess tournament?")
        assert "response_format" not in server.requests[-1]
        assert "JSON" not in json.dumps(server.requests[-1]["messages"])
    assert answer.sentences[0].support == "supported"


def test_json_required_but_refused_is_a_clear_error(library: Path, embedder: Embedder) -> None:
    with scripted_llm(json_reply) as server:
        server.refuse_formats = frozenset({"json_schema", "json_object"})
        engine = llm_engine(library, embedder, server.url, llm_output="json")
        with pytest.raises(BackendError, match="RAG_LLM_OUTPUT to auto or text"):
            engine.ask("Who won the chess tournament?")
