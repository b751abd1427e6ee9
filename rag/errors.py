"""Error types; every message says what to do next."""

from __future__ import annotations


class RagError(Exception):
    """Base class: the message is one sentence a user can act on."""


class NoIndexError(RagError):
    """There is no index where the settings point."""


class IndexMismatchError(RagError):
    """The index was built with settings that differ from the current ones."""


class IngestError(RagError):
    """A whole ingest could not run (bad path, unwritable index)."""


class RejectedFile(RagError):
    """One file could not be read; the ingest goes on without it."""


class BackendError(RagError):
    """An answering backend is missing, misconfigured or unreachable."""


class StoreError(RagError):
    """The vector store could not be reached or written."""


class LLMFailed(BackendError):
    """One LLM call failed or timed out; the engine answers extractively instead and says so."""
