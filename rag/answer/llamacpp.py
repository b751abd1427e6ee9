"""RAG_LLM=llamacpp: a GGUF model run in this process by llama-cpp-python.

Settings: RAG_LLM_MODEL = the path of a .gguf file. Optional extra: `pip install -e '.[llamacpp]'`.
A call that outlives RAG_LLM_TIMEOUT_S is abandoned (the answer falls back to extractive).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import BackendError, LLMFailed
from ..types import Passage
from .generative import GenerativeBackend, run_with_timeout
from .structured import SCHEMA

INSTALL = "pip install llama-index-llms-llama-cpp (or `pip install -e '.[llamacpp]'`)"


class LlamaCppBackend(GenerativeBackend):
    name = "llamacpp"
    _grammar: Any = None

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

    def output_formats(self) -> list[dict[str, Any]]:
        return [{}]  # held to the schema by a grammar in generate(), not by chat kwargs

    def classify(self, err: Exception) -> BackendError | None:
        if isinstance(err, ValueError | RuntimeError):
            return LLMFailed(f"llama.cpp failed: {str(err)[:200]}")
        return None

    def generate(self, question: str, passages: Sequence[Passage]) -> str:
        timeout = self.settings.llm_timeout_s
        with self.grammar():
            return run_with_timeout(
                lambda: super(LlamaCppBackend, self).generate(question, passages),
                timeout,
                "the llama.cpp answer",
            )

    @contextmanager
    def grammar(self) -> Iterator[None]:
        """The JSON schema as a sampling grammar for this answer only (not for rewrites).

        subtle: LlamaIndex's LlamaCPP ignores per-call kwargs, so the grammar goes into its
        generate_kwargs and comes out again; one process answers one question at a time here.
        """
        if not self.structured:
            yield
            return
        if self._grammar is None:
            from llama_cpp import LlamaGrammar

            self._grammar = LlamaGrammar.from_json_schema(json.dumps(SCHEMA), verbose=False)
        self.llm.generate_kwargs["grammar"] = self._grammar
        try:
            yield
        finally:
            self.llm.generate_kwargs.pop("grammar", None)

    def deltas(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        yield self.generate(question, passages)  # in-process: one piece, bounded by the timeout
