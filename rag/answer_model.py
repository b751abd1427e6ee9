"""(question, sentences) -> the probability that each sentence answers the question.

The answer model is a small cross-encoder trained by `make train` (rag/learn/train.py) and
shipped in rag/models/answerer/ as ONNX: it reads question and sentence together, so it can
tell "answers it" from "on the same topic", which cosine similarity of two separate vectors
cannot. It runs through onnxruntime and tokenizers only (no torch), loads on first use, and
remembers recent scores so reranking and answering never score one pair twice.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import RagError
from .segment import sentence_before

SHIPPED = Path(__file__).parent / "models" / "answerer"
CACHE_PAIRS = 4096
#: What a model reads beside the candidate sentence (its recipe's `context`): nothing, its
#: article's headline, the sentence before it, or both.
CONTEXTS = ("none", "title", "previous", "both")


def reading(sentence: str, title: str, previous: str, context: str) -> str:
    """The second text of a (question, sentence) pair: the sentence first, so that truncation
    cuts the context before the sentence, then the context the model was trained with.

    >>> reading("She won.", "Vote count ends", "Ana Ruiz ran.", "both")
    'She won. [SEP] Vote count ends | Ana Ruiz ran.'
    >>> reading("She won.", "Vote count ends", "Ana Ruiz ran.", "none")
    'She won.'
    """
    parts = [title] if context in ("title", "both") and title else []
    parts += [previous] if context in ("previous", "both") and previous else []
    return f"{sentence} [SEP] {' | '.join(parts)}" if parts else sentence


class AnswerModel:
    """The cross-encoder in `folder` (model.onnx, tokenizer.json, meta.json); thread-safe."""

    def __init__(self, folder: Path = SHIPPED) -> None:
        self.folder = Path(folder)
        meta = self.folder / "meta.json"
        if not meta.exists():
            raise RagError(
                f"no answer model in {self.folder} — run `make train`, or set "
                "RAG_ANSWER_MODEL=none to answer with the heuristic"
            )
        self.meta: dict[str, Any] = json.loads(meta.read_text())
        self.max_tokens = int(self.meta["max_tokens"])
        self.threshold = float(self.meta["threshold"])
        self.weights: dict[str, float] | None = self.meta.get("combine")
        self.context = str(self.meta.get("recipe", {}).get("context", "none"))
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], float] = OrderedDict()

    def reads(self, text: str, start: int, end: int, title: str) -> str:
        """What this model reads for the sentence text[start:end] of an article titled
        `title` (see `reading`)."""
        wants_previous = self.context in ("previous", "both")
        previous = sentence_before(text, start) if wants_previous else ""
        return reading(text[start:end], title, previous, self.context)

    def clear_cache(self) -> None:
        """Forget remembered scores (benchmarks time the model, not the cache)."""
        with self._lock:
            self._cache.clear()

    def warm(self) -> None:
        """Read the model in the background, so that it is ready by the time the passages are
        (a cold `rag ask` overlaps the two). Not a daemon: a process that exits meanwhile (on
        a bad question, a missing index) waits for the load to finish, as onnxruntime aborts
        the process when it is torn down in the middle of one."""
        if self._session is None:
            threading.Thread(target=self._load, name="answer-model-load").start()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(self.max_tokens)
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = os.cpu_count() or 1
                opts.inter_op_num_threads = 1
                self._session = ort.InferenceSession(
                    str(self.folder / self.meta["file"]), opts, providers=["CPUExecutionProvider"]
                )
                self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def probabilities(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One probability per text, in order; each (question, text) pair is scored once."""
        out = np.zeros(len(texts), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get((question, text))
                if hit is None:
                    todo.setdefault(text, []).append(i)
                else:
                    out[i] = hit
        if todo:
            fresh = self._run(question, list(todo))
            with self._lock:
                for text, p in zip(todo, fresh, strict=True):
                    out[todo[text]] = p
                    self._cache[(question, text)] = float(p)
                while len(self._cache) > CACHE_PAIRS:
                    self._cache.popitem(last=False)
        return out

    def judge(
        self,
        question: str,
        texts: Sequence[str],
        cosine: Sequence[float] | np.ndarray,
        overlap: Sequence[float] | np.ndarray,
    ) -> np.ndarray:
        """P(answers) from the model and the cheap signals together: what is thresholded."""
        probs = self.probabilities(question, texts)
        return combine(self.weights, probs, np.asarray(cosine), np.asarray(overlap))

    def _run(self, question: str, texts: list[str]) -> np.ndarray:
        """One run per pair: an int8 model quantises its activations with one scale per run,
        so a pair scored in a batch would depend on the other pairs in it (by up to 0.1 of
        probability); alone it always gets the same score, and on CPU no slower."""
        session, tokenizer = self._load()
        out = np.zeros(len(texts), dtype=np.float32)
        for r, e in enumerate(tokenizer.encode_batch([(question, t) for t in texts])):
            ids = np.asarray([e.ids], dtype=np.int64)
            feed = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.asarray([e.type_ids], dtype=np.int64),
            }
            out[r] = np.asarray(session.run(None, feed)[0], dtype=np.float32).reshape(-1)[0]
        return out


def combine(
    weights: dict[str, float] | None, probs: np.ndarray, cosine: np.ndarray, overlap: np.ndarray
) -> np.ndarray:
    """The model's probability joined with the cheap signals (cosine of the two vectors, share
    of question terms) by a logistic regression fitted on held-out weeks; unchanged when the
    model folder has no weights.

    >>> combine(None, np.array([0.7]), np.array([0.1]), np.array([0.0]))
    array([0.7])
    """
    if not weights:
        return probs
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-6, 1 - 1e-6)
    z = (
        weights["logit"] * np.log(p / (1 - p))
        + weights["cosine"] * np.asarray(cosine, dtype=np.float64)
        + weights["overlap"] * np.asarray(overlap, dtype=np.float64)
        + weights["bias"]
    )
    return 1 / (1 + np.exp(-z))


@lru_cache(maxsize=4)
def load_answer_model(folder: str) -> AnswerModel:
    """One AnswerModel per folder and process ("shipped": the committed model)."""
    return AnswerModel(SHIPPED if folder in ("", "shipped") else Path(folder))
