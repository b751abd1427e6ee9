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
from .structured import JsonStream, marked_text

T = TypeVar("T")


class GenerativeBackend:
    """Base for LLM backends; subclasses set `name` and implement `build_llm` and `classify`."""

    name = "llm"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.extractive = ExtractiveBackend(settings, embedder)
        # chat kwargs that hold the model to structured.SCHEMA, preferred first; [] = free text
        self.formats = [] if settings.llm_output == "text" else self.output_formats()
        if settings.llm_output == "json" and not self.formats:
            raise BackendError(
                f"the {self.name} backend has no structured output — set RAG_LLM_OUTPUT to "
                "auto or text"
            )
        self.llm = self.build_llm()

    # -- what a backend file provides --------------------------------------------------------

    def build_llm(self) -> Any:
        raise NotImplementedError

    def classify(self, err: Exception) -> BackendError | None:
        """A config problem (BackendError), a failed call (LLMFailed), or None: not ours."""
        raise NotImplementedError

    def output_formats(self) -> list[dict[str, Any]]:
        """Chat kwargs asking the server for structured.SCHEMA, preferred first; [] if none."""
        return []

    def refused_format(self, err: BaseException | None) -> bool:
        """Did the server refuse the output format asked for (rather than fail)?"""
        return False

    @property
    def structured(self) -> bool:
        return bool(self.formats)

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

    def with_format(self, fn: Callable[[dict[str, Any]], T]) -> T:
        """fn(chat kwargs) with the preferred output format; one the server refuses is dropped
        for good and the next tried, down to free text (RAG_LLM_OUTPUT=auto)."""
        while True:
            kwargs = self.formats[0] if self.formats else {}
            try:
                return self.call(lambda: fn(kwargs))  # noqa: B023 — called at once
            except BackendError as err:
                if not self.formats or not self.refused_format(err.__cause__):
                    raise
                if self.settings.llm_output == "json" and len(self.formats) == 1:
                    raise BackendError(
                        f"the LLM server refuses structured output ({str(err)[:120]}) — set "
                        "RAG_LLM_OUTPUT to auto or text"
                    ) from err
                self.formats.pop(0)

    def messages(self, question: str, passages: Sequence[Passage]) -> list[Any]:
        from llama_index.core.llms import ChatMessage

        pairs = answer_messages(question, passages, self.structured)
        return [ChatMessage(role=r, content=c) for r, c in pairs]

    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        def ask(kwargs: dict[str, Any]) -> str:
            msgs = self.messages(question, passages)
            return str(self.llm.chat(msgs, **kwargs).message.content or "")

        return self.with_format(ask)

    def deltas(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        def start(kwargs: dict[str, Any]) -> tuple[Iterator[Any], Any]:
            stream = iter(self.llm.stream_chat(self.messages(question, passages), **kwargs))
            return stream, next(stream, None)  # a refused format fails on the first chunk

        stream, chunk = self.with_format(start)
        while chunk is not None:
            if chunk.delta:
                yield chunk.delta
            chunk = self.call(lambda: next(stream, None))

    def reply(self, question: str, text: str) -> Reply:
        """The model's text as a Reply: a JSON answer (asked for or not) becomes marked text."""
        marked = marked_text(text)
        return Reply(question, text if marked is None else marked, self.name)

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
        return self.reply(question, self.generate(question, passages))

    def stream(
        self, question: str, passages: list[Passage], vector: np.ndarray
    ) -> Iterator[str | Answer | Reply]:
        """Text deltas with markers renumbered as they arrive, then the Reply."""
        if not passages:
            yield self.extractive.answer(question, passages, vector)
            return
        markers, sentences = MarkerStream(len(passages)), JsonStream()
        parts: list[str] = []
        for delta in self.deltas(question, passages):
            parts.append(delta)
            shown = markers.feed(sentences.feed(delta))
            if shown:
                yield shown
        tail = markers.feed(sentences.close()) + markers.close()
        if tail:
            yield tail
        yield self.reply(question, "".join(parts))


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
