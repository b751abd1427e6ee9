"""Answering backends: a registry from RAG_LLM name to a class with one job, answer()."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from ..errors import BackendError

if TYPE_CHECKING:
    import numpy as np

    from ..embed import Embedder
    from ..settings import Settings
    from ..types import Answer, Passage, Reply


class Backend(Protocol):
    """Writes a draft: an Answer of quotes, or a model's Reply; the engine verifies either."""

    name: str

    def answer(
        self, question: str, passages: list[Passage], vector: np.ndarray
    ) -> Answer | Reply: ...

    def stream(
        self, question: str, passages: list[Passage], vector: np.ndarray
    ) -> Iterator[str | Answer | Reply]: ...


def _extractive(settings: Settings, embedder: Embedder) -> Backend:
    from .extractive import ExtractiveBackend

    return ExtractiveBackend(settings, embedder)


def _openai(settings: Settings, embedder: Embedder) -> Backend:
    from .openai import OpenAIBackend

    return OpenAIBackend(settings, embedder)


def _ollama(settings: Settings, embedder: Embedder) -> Backend:
    from .ollama import OllamaBackend

    return OllamaBackend(settings, embedder)


def _llamacpp(settings: Settings, embedder: Embedder) -> Backend:
    from .llamacpp import LlamaCppBackend

    return LlamaCppBackend(settings, embedder)


REGISTRY = {
    "extractive": _extractive,
    "openai": _openai,
    "ollama": _ollama,
    "llamacpp": _llamacpp,
}


def get_backend(settings: Settings, embedder: Embedder) -> Backend:
    """The backend named by settings.llm, or a BackendError listing the known names."""
    try:
        factory = REGISTRY[settings.llm]
    except KeyError as err:
        known = ", ".join(sorted(REGISTRY))
        raise BackendError(
            f"unknown answering backend '{settings.llm}' — set RAG_LLM to one of: {known}"
        ) from err
    return factory(settings, embedder)
