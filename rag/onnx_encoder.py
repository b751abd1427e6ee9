"""Texts -> unit-length vectors with the model exported to ONNX: tokenizers + onnxruntime only.

Nothing here imports torch or transformers at encode time. The export (torch, once per model)
and its int8 quantisation are cached in `<cache_dir>/onnx/<model fingerprint>/`; the graph
outputs the state of every word piece, and numpy pools them: all of them for a text's vector
(mean, then L2 normalisation, as sentence-transformers does), and a sentence's own pieces for
its vector inside a chunk (rag/late_chunking.py).

fp32 matches torch to 1e-6 cosine. int8 (dynamic quantisation: signed weights where the CPU
has VNNI, unsigned elsewhere) is faster but quantises activations with one scale per batch, so
a text's vector moves slightly (cosine ~0.99) with the texts batched beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import RagError
from .late_chunking import Span, pool, unit

OPSET = 17
# word pieces per batch: 16 full-length chunks. Larger batches run no faster on CPU but grow
# onnxruntime's memory arena (measured: 64 chunks a batch, 1.36 GB peak RSS; 16, 0.54 GB).
BATCH_TOKENS = 16 * 256


def fingerprint(model_dir: Path) -> str:
    """A short id of a model folder's weights and tokenizer (path, size, mtime: no hashing)."""
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        p = model_dir / name
        if p.exists():
            st = p.stat()
            h.update(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def model_files(model_dir: Path, cache_dir: Path, quantized: bool) -> Path:
    """The cached ONNX file for a model folder; exported (and quantised) on first use."""
    if not (model_dir / "tokenizer.json").exists():
        raise RagError(
            f"the ONNX encoder needs a local model folder with tokenizer.json, not {model_dir} "
            "— set RAG_ENCODER=torch"
        )
    out = Path(cache_dir) / "onnx" / fingerprint(model_dir)
    signed = has_vnni()
    fp32, int8 = out / "states.onnx", out / ("states-int8s.onnx" if signed else "states-int8.onnx")
    if not fp32.exists():
        _export(model_dir, fp32)
    if quantized and not int8.exists():
        _quantize(fp32, int8, signed)
    return int8 if quantized else fp32


def has_vnni(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Does this CPU multiply int8 by int8 in one instruction (AVX-512 VNNI or AVX-VNNI)?"""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "").split()
    return "avx512_vnni" in flags or "avx_vnni" in flags


def _atomic(target: Path) -> Path:
    """A temporary path next to target; os.replace it in when done (parallel runs are safe)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def _export(model_dir: Path, target: Path) -> None:
    """The transformer's last hidden states -> one ONNX graph (needs torch, once)."""

    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    class States(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = States(AutoModel.from_pretrained(str(model_dir))).eval()
    tmp = _atomic(target)
    export_module(model, tmp, "states", per_token=True)
    os.replace(tmp, target)


def mean_pool(model: Any, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
    """A transformer's last hidden states averaged over the real (unpadded) word pieces."""
    hidden = model(
        input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
    ).last_hidden_state
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def export_module(module: Any, target: Path, output: str, per_token: bool = False) -> None:
    """A torch module of (input_ids, attention_mask, token_type_ids) with one output per row
    (or, per_token, per word piece) -> an ONNX file with dynamic batch and length (needs torch)."""
    import warnings

    import torch

    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    # subtle: the tracer warns that shape checks become constants; the checks it means (padding
    # length, causal masks) do not vary for these encoders, and tests compare the outputs.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (ids, ids, torch.zeros_like(ids)),
            str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=[output],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                output: axes if per_token else {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(fp32: Path, target: Path, signed: bool = False) -> None:
    """Dynamic int8 quantisation of the weights (activations quantised per batch at run time),
    one scale per output channel.

    subtle: signed weights only where the CPU has VNNI. There onnxruntime multiplies unsigned
    activations by signed weights in one instruction: 1.5x the speed of fp32 for 64 chunks of
    254 word pieces (2.29 against 3.42 s, 2 cores), where unsigned weights ran no faster than
    fp32 (3.35 s), at the same closeness to fp32 (cosine at least 0.991 either way). Without
    VNNI signed weights lose too much (measured on AVX2, per tensor: cosine as low as 0.87).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = _atomic(target)
    weights = QuantType.QInt8 if signed else QuantType.QUInt8
    quantize_dynamic(str(fp32), str(tmp), weight_type=weights, per_channel=True)
    os.replace(tmp, target)


class OnnxEncoder:
    """A MiniLM-style model as an onnxruntime session; thread-safe."""

    def __init__(self, model_dir: Path, cache_dir: Path, quantized: bool, batch_size: int) -> None:
        from tokenizers import Tokenizer

        self.path = model_files(model_dir, cache_dir, quantized)
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        st = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_tokens = int(st["max_seq_length"])
        self.dimension = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])
        sep = self.tokenizer.token_to_id("[SEP]")
        if sep is None:
            raise RagError(f"{model_dir}/tokenizer.json has no [SEP] token — set RAG_ENCODER=torch")
        self._sep: int = sep
        self._session_: Any = None
        self._lock = threading.Lock()

    def _session(self) -> Any:
        """One session on all cores, whatever the batch.

        subtle: even one question runs faster on both cores (7.6 -> 5.3 ms), and four
        sentences 40 -> 24 ms; with one core busy elsewhere, or both, two threads are still no
        slower (measured, 2026-12-06): idle threads sleep rather than spin (below).
        """
        if self._session_ is None:
            with self._lock:
                if self._session_ is None:
                    import onnxruntime as ort

                    opts = ort.SessionOptions()
                    opts.intra_op_num_threads = os.cpu_count() or 1
                    opts.inter_op_num_threads = 1
                    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                    # subtle: idle pool threads would spin for work and take the core spaCy's
                    # entity reader runs on beside the encoder (slice ingest 60-70 s -> 56 s)
                    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    self._session_ = ort.InferenceSession(
                        str(self.path), opts, providers=["CPUExecutionProvider"]
                    )
        return self._session_

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        enc = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in enc]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows; length-sorted batches (least padding) of BATCH_TOKENS."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, states, _ in self._states(texts):
            out[i] = states.mean(axis=0)
        return unit(out)

    def encode_sums(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unit vectors, each text's summed word-piece states, its number of pieces)."""
        sums = np.zeros((len(texts), self.dimension), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        for i, states, _ in self._states(texts):
            sums[i], counts[i] = states.sum(axis=0), len(states)
        return unit(sums / np.maximum(counts, 1)[:, None]), sums, counts

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> list[Any]:
        """Per text, one pass: its vector, then one per character span inside it (NaN rows
        for a span with no word piece inside; see late_chunking.pool)."""
        out: list[Any] = [None] * len(texts)
        for i, states, offsets in self._states(texts):
            out[i] = pool(states, offsets, spans[i])
        return out

    def _states(self, texts: Sequence[str]) -> Iterator[tuple[int, np.ndarray, list[Span]]]:
        """(row, the states of its word pieces, their character offsets) for every text, in
        length-sorted batches of at most BATCH_TOKENS (longest first: least padding)."""
        enc = self.tokenizer.encode_batch(list(texts))
        ids = [self._truncate(e.ids) for e in enc]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        session = self._session()
        at = 0
        while at < len(order):
            width = len(ids[order[at]])  # longest first: the first row sets the padding
            rows = order[at : at + max(1, min(self.batch_size, BATCH_TOKENS // width))]
            at += len(rows)
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            feed = {
                "input_ids": input_ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids),
            }
            states = session.run(None, feed)[0]
            for r, i in enumerate(rows):
                n = len(ids[i])
                offsets = enc[i].offsets[:n]
                if n < len(enc[i].ids):  # truncated: the last piece is now [SEP]
                    offsets[-1] = (0, 0)
                yield i, states[r, :n], offsets

    def _truncate(self, ids: list[int]) -> list[int]:
        # subtle: as the HF tokenizer truncates — keep [CLS] and the first pieces, end with [SEP].
        if len(ids) <= self.max_tokens:
            return ids
        return [*ids[: self.max_tokens - 1], self._sep]
