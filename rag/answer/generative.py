"""Question + passages -> an LLM's answer as written (a Reply), streamed with its markers.

The shared half of the openai, ollama and llamacpp backends: the prompt, the call (bounded by
RAG_LLM_TIMEOUT_S) and markers renumbered while streaming; the engine verifies the Reply (see
rag/verify/stage.py). Each backend file only builds its LlamaIndex LLM and says which SDK
errors mean what.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from ..embed import Embedder
from ..errors import BackendError, LLMFailed
from ..settings import Settings
from ..types import Answer, Passage, Reply
from .extractive import ExtractiveBackend
from .markers import MarkerStream
from .prompt import answer_messages, condense_prompt

T = TypeVar("T")


class GenerativeBackend:
    """Base for LLM backends; subclasses set `name` and implement `build_llm` and `classify`."""

    name = "llm"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.extractive = ExtractiveBackend(settings, embedder)
        self.llm = self.build_llm()

    # -- what a backend file provides --------------------------------------------------------

    def build_llm(self) -> Any:
        raise NotImplementedError

    def classify(self, err: Exception) -> BackendError | None:
        """A config problem (BackendError), a failed call (LLMFailed), or None: not ours."""
        raise NotImplementedError

    # -- calls -------------------------------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> T:
        """Run one SDK call; SDK errors become BackendError (fix the config) or LLMFailed."""
        try:
            return fn()
        except BackendError:
            raise
        except Exception as err:  # noqa: BLE001 — mapped below, re-raised when not an SDK error
            mapped = self.classify(err)
            if mapped is None:
                raise
            raise mapped from err

    def messages(self, question: str, passages: Sequence[Passage]) -> list[Any]:
        from llama_index.core.llms import ChatMessage

        return [ChatMessage(role=r, content=c) for r, c in answer_messages(question, passages)]

    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        msgs = self.messages(question, passages)
        return str(self.call(lambda: self.llm.chat(msgs)).message.content or "")

    def deltas(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        msgs = self.messages(question, passages)
        stream = self.call(lambda: iter(self.llm.stream_chat(msgs)))
        while True:
            chunk = self.call(lambda: next(stream, None))
            if chunk is None:
                return
            if chunk.delta:
                yield chunk.delta

    def rewrite(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """A follow-up made standalone by the LLM (one line, or the question unchanged)."""
        prompt = condense_prompt(question, history)
        text = str(self.call(lambda: self.llm.complete(prompt)).text).strip()
        line = text.splitlines()[0].strip().strip('"') if text else ""
        return line if 3 <= len(line) <= 500 else question

    # -- answers -----------------------------------------------------------------------------

    def answer(self, question: str, passages: list[Passage], vector: np.ndarray) -> Answer | Reply:
        if not passages:
            return self.extractive.answer(question, passages, vector)
        return Reply(question, self.generate(question, passages), self.name)

    def stream(
        self, question: str, passages: list[Passage], vector: np.ndarray
    ) -> Iterator[str | Answer | Reply]:
        """Text deltas with markers renumbered as they arrive, then the Reply."""
        if not passages:
            yield self.extractive.answer(question, passages, vector)
            return
        markers = MarkerStream(len(passages))
        parts: list[str] = []
        for delta in self.deltas(question, passages):
            parts.append(delta)
            shown = markers.feed(delta)
            if shown:
                yield shown
        tail = markers.close()
        if tail:
            yield tail
        yield Reply(question, "".join(parts), self.name)


def run_with_timeout(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run fn in a worker thread; LLMFailed if it is not done in time (the thread is left)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as err:  # noqa: BLE001 — handed back to the caller below
            box["error"] = err

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise LLMFailed(f"{what} took longer than {seconds:g} s (RAG_LLM_TIMEOUT_S)")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
