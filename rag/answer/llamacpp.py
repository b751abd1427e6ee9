"""RAG_LLM=llamacpp: a GGUF model run in this process by llama-cpp-python.

Settings: RAG_LLM_MODEL = the path of a .gguf file. Optional extra: `pip install -e '.[llamacpp]'`.
A call that outlives RAG_LLM_TIMEOUT_S is abandoned (the answer falls back to extractive).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import BackendError, LLMFailed
from ..types import Passage
from .generative import GenerativeBackend, run_with_timeout

INSTALL = "pip install llama-index-llms-llama-cpp (or `pip install -e '.[llamacpp]'`)"


class LlamaCppBackend(GenerativeBackend):
    name = "llamacpp"

    def build_llm(self) -> Any:
        s = self.settings
        path = Path(s.llm_model or "")
        if not s.llm_model or not path.is_file():
            raise BackendError(
                f"no GGUF model file at '{s.llm_model or ''}' — set RAG_LLM_MODEL to a .gguf path"
            )
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError as err:
            raise BackendError(f"the llamacpp backend needs its packages — {INSTALL}") from err
        try:
            return LlamaCPP(
                model_path=str(path),
                temperature=0.1,
                max_new_tokens=s.llm_max_tokens,
                context_window=4096,
                verbose=False,
                model_kwargs={"n_threads": 2},
            )
        except (ValueError, RuntimeError) as err:
            msg = f"llama.cpp could not load {path}: {err} — is it a GGUF file?"
            raise BackendError(msg) from err

    def classify(self, err: Exception) -> BackendError | None:
        if isinstance(err, ValueError | RuntimeError):
            return LLMFailed(f"llama.cpp failed: {str(err)[:200]}")
        return None

    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        timeout = self.settings.llm_timeout_s
        return run_with_timeout(
            lambda: super(LlamaCppBackend, self).generate(question, passages),
            timeout,
            "the llama.cpp answer",
        )

    def deltas(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        yield self.generate(question, passages)  # in-process: one piece, bounded by the timeout
