"""Question + passages -> an LLM's answer, every sentence checked against the passage it cites.

The shared half of the openai, ollama and llamacpp backends: the prompt, the call (bounded by
RAG_LLM_TIMEOUT_S), marker parsing while streaming, and verification. Each backend file only
builds its LlamaIndex LLM and says which SDK errors mean what.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from ..embed import Embedder
from ..errors import BackendError, LLMFailed
from ..settings import Settings
from ..types import Answer, Passage
from ..verify import make_checker, verify_drafts
from .extractive import ExtractiveBackend, abstention_text
from .markers import MarkerStream, parse_answer
from .prompt import answer_messages, condense_prompt

T = TypeVar("T")

# A model saying the passages hold no answer (cited sentences beside it are still kept).
_GAP = re.compile(
    r"\b(passages?|articles?|sources?|context|text)\b[^.]{0,40}\b(do(es)?n[’']?t|do(es)? not|"
    r"never)\b[^.]{0,30}\b(say|mention|answer|contain|state|specify|include|provide)"
    r"|\b(no|not enough) (information|details?|mention)\b|\bcannot (be )?(answer|determine)",
    re.I,
)


def is_gap(sentence: str) -> bool:
    """'The passages do not say when.' -> True"""
    return bool(_GAP.search(sentence))


class GenerativeBackend:
    """Base for LLM backends; subclasses set `name` and implement `build_llm` and `classify`."""

    name = "llm"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.checker = make_checker(settings, embedder)
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

    def answer(self, question: str, passages: list[Passage], vector: np.ndarray) -> Answer:
        if not passages:
            return self.extractive.answer(question, passages, vector)
        return self.finish(question, self.generate(question, passages), passages, vector)

    def stream(
        self, question: str, passages: list[Passage], vector: np.ndarray
    ) -> Iterator[str | Answer]:
        """Text deltas with markers renumbered as they arrive, then the verified Answer."""
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
        yield self.finish(question, "".join(parts), passages, vector)

    def finish(
        self, question: str, text: str, passages: list[Passage], vector: np.ndarray
    ) -> Answer:
        """Parse markers, verify every sentence, renumber; a bare 'no answer' -> abstention."""
        t0 = time.perf_counter()
        drafts = parse_answer(text, len(passages))
        claims = [d for d in drafts if not (is_gap(d.text) and not d.cites)]
        sentences, citations = verify_drafts(claims, passages, self.checker, self.settings.verify)
        checked = {"verify": (time.perf_counter() - t0) * 1000}
        if not sentences:  # only "the passages don't say", or every sentence dropped
            scored, _ = self.extractive.score(question, passages, vector)
            related = self.extractive.related(scored)
            text = abstention_text(question)
            answer = Answer(question, text, (), (), related, True, backend=self.name)
            return replace(answer, timings=checked)
        body = " ".join(
            s.text + (" " + "".join(f"[{n}]" for n in s.citations) if s.citations else "")
            for s in sentences
        )
        return Answer(question, body, sentences, citations, backend=self.name, timings=checked)


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
