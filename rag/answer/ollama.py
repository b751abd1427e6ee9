"""RAG_LLM=ollama: a model served by Ollama's native API.

Settings: RAG_LLM_BASE_URL (default http://127.0.0.1:11434) and RAG_LLM_MODEL (e.g. llama3.2).
"""

from __future__ import annotations

from typing import Any

from ..errors import BackendError, LLMFailed
from .generative import GenerativeBackend
from .structured import SCHEMA

INSTALL = "pip install llama-index-llms-ollama (or `pip install -e '.[llm]'`)"
DEFAULT_URL = "http://127.0.0.1:11434"


class OllamaBackend(GenerativeBackend):
    name = "ollama"

    def build_llm(self) -> Any:
        s = self.settings
        try:
            from llama_index.llms.ollama import Ollama
        except ImportError as err:
            raise BackendError(f"the ollama backend needs its package — {INSTALL}") from err
        if not s.llm_model:
            raise BackendError("no model named — set RAG_LLM_MODEL, e.g. RAG_LLM_MODEL=llama3.2")
        return Ollama(
            model=s.llm_model,
            base_url=s.llm_base_url or DEFAULT_URL,
            request_timeout=s.llm_timeout_s,
            temperature=0.1,
            context_window=8192,
            additional_kwargs={"num_predict": s.llm_max_tokens},
        )

    def output_formats(self) -> list[dict[str, Any]]:
        return [{"format": SCHEMA}]  # a JSON schema as `format`: Ollama 0.5 and later

    def refused_format(self, err: BaseException | None) -> bool:
        import ollama

        return isinstance(err, ollama.ResponseError) and "format" in str(err).lower()

    def classify(self, err: Exception) -> BackendError | None:
        import httpx
        import ollama

        url = self.settings.llm_base_url or DEFAULT_URL
        if isinstance(err, httpx.TimeoutException):
            return LLMFailed(f"Ollama at {url} did not answer within RAG_LLM_TIMEOUT_S")
        if isinstance(err, httpx.ConnectError | ConnectionError):
            return BackendError(
                f"cannot reach Ollama at {url} — run `ollama serve`, or set RAG_LLM_BASE_URL"
            )
        if isinstance(err, ollama.ResponseError) and err.status_code == 404:
            model = self.settings.llm_model
            return BackendError(f"Ollama has no model '{model}' — run `ollama pull {model}`")
        if isinstance(err, ollama.ResponseError | httpx.HTTPError):
            return LLMFailed(f"Ollama at {url} failed: {str(err)[:200]}")
        return None
