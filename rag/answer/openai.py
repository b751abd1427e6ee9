"""RAG_LLM=openai: any OpenAI-compatible server (llama.cpp, vLLM, LM Studio, OpenAI itself).

Settings: RAG_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1; unset = api.openai.com),
RAG_LLM_MODEL, RAG_LLM_API_KEY (needed by OpenAI itself, optional for local servers).
"""

from __future__ import annotations

from typing import Any

from ..errors import BackendError, LLMFailed
from .generative import GenerativeBackend
from .structured import SCHEMA

INSTALL = "pip install llama-index-llms-openai-like (or `pip install -e '.[llm]'`)"


class OpenAIBackend(GenerativeBackend):
    name = "openai"

    def build_llm(self) -> Any:
        s = self.settings
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as err:
            raise BackendError(f"the openai backend needs its package — {INSTALL}") from err
        if not s.llm_model:
            raise BackendError("no model named — set RAG_LLM_MODEL to a model the server serves")
        if not s.llm_base_url and not s.llm_api_key:
            raise BackendError(
                "no API key for api.openai.com — set RAG_LLM_API_KEY, or RAG_LLM_BASE_URL "
                "to a local OpenAI-compatible server"
            )
        return OpenAILike(
            model=s.llm_model,
            api_base=s.llm_base_url or "https://api.openai.com/v1",
            api_key=s.llm_api_key or "none",
            timeout=s.llm_timeout_s,
            max_retries=0,
            max_tokens=s.llm_max_tokens,
            temperature=0.1,
            is_chat_model=True,
            context_window=8192,
        )

    def output_formats(self) -> list[dict[str, Any]]:
        """OpenAI's and vLLM's json_schema first, then llama-cpp-python's json_object + schema."""
        named = {"name": "cited_answer", "schema": SCHEMA}
        return [
            {"response_format": {"type": "json_schema", "json_schema": named}},
            {"response_format": {"type": "json_object", "schema": SCHEMA}},
        ]

    def refused_format(self, err: BaseException | None) -> bool:
        import openai

        # 400 or 422 from most servers; llama-cpp-python's answers its validation error with 500
        refused = isinstance(err, openai.APIStatusError) and err.status_code in (400, 422, 500)
        return refused and "response_format" in str(err)

    def classify(self, err: Exception) -> BackendError | None:
        import httpx
        import openai

        url = self.settings.llm_base_url or "https://api.openai.com/v1"
        if isinstance(err, openai.APITimeoutError):
            return LLMFailed(f"the LLM at {url} did not answer within RAG_LLM_TIMEOUT_S")
        if isinstance(err, openai.APIConnectionError):
            return BackendError(
                f"cannot reach the LLM server at {url} — start it, or set RAG_LLM_BASE_URL"
            )
        if isinstance(err, openai.AuthenticationError | openai.PermissionDeniedError):
            return BackendError(f"the LLM server at {url} refused the key — set RAG_LLM_API_KEY")
        if isinstance(err, openai.NotFoundError):
            return BackendError(
                f"the LLM server at {url} has no model '{self.settings.llm_model}' — "
                "set RAG_LLM_MODEL to one it serves"
            )
        if isinstance(err, openai.OpenAIError):
            return LLMFailed(f"the LLM at {url} failed: {str(err)[:200]}")
        if isinstance(err, httpx.TimeoutException):  # while streaming, the SDK lets these through
            return LLMFailed(f"the LLM at {url} stalled longer than RAG_LLM_TIMEOUT_S")
        if isinstance(err, httpx.HTTPError):
            return LLMFailed(f"the LLM at {url} broke off its answer: {str(err)[:200]}")
        return None
