"""Texts -> vectors from a static embedding table distilled from the embedding model (model2vec).

`RAG_ENCODER=static` trades some retrieval quality for ingest speed: a text's vector is the
weighted mean of one vector per word piece, so encoding is a table lookup (about 10,000
sentences a second on one core) instead of six transformer layers.

The table is distilled once per model, the way model2vec distils: every word piece goes
through the transformer on its own (`[CLS] piece [SEP]`, mean-pooled), the vectors are
reduced to 256 dimensions by PCA, and each row is weighted by a Zipf-estimated SIF weight so
frequent pieces count less. Distilling needs torch (about half a minute on 2 cores); the result
is cached in `<cache_dir>/static/<model fingerprint>/` in model2vec's format and loaded with
`model2vec.StaticModel`, so encoding needs neither torch nor onnxruntime.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import RagError
from .onnx_encoder import fingerprint

PCA_DIMS = 256
SIF = 1e-4  # model2vec's default SIF coefficient
DISTILL_BATCH = 1024  # word pieces per forward pass (each is 3 tokens long)


def model_dir_for(model_dir: Path, cache_dir: Path) -> Path:
    """The cached static model for a model folder; distilled on first use."""
    if not (model_dir / "tokenizer.json").exists():
        raise RagError(
            f"the static encoder needs a local model folder with tokenizer.json, not {model_dir} "
            "— set RAG_ENCODER=onnx"
        )
    out = Path(cache_dir) / "static" / f"{fingerprint(model_dir)}-pca{PCA_DIMS}"
    if not (out / "model.safetensors").exists():
        _distill(model_dir, out)
    return out


def _raw_vectors(model_dir: Path, n_vocab: int, cls: int, sep: int) -> np.ndarray:
    """One mean-pooled transformer output per word piece, each seen alone."""
    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    rows = []
    with torch.inference_mode():
        for start in range(0, n_vocab, DISTILL_BATCH):
            ids = torch.arange(start, min(start + DISTILL_BATCH, n_vocab))
            batch = torch.stack([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], 1)
            hidden = model(
                input_ids=batch,
                attention_mask=torch.ones_like(batch),
                token_type_ids=torch.zeros_like(batch),
            ).last_hidden_state
            rows.append(hidden.mean(1).float().numpy())
    return np.concatenate(rows)


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    """Project onto the top principal components (eigendecomposition of the covariance)."""
    centred = x - x.mean(0)
    vals, vecs = np.linalg.eigh(centred.T @ centred / (len(x) - 1))
    top = vecs[:, np.argsort(vals)[::-1][:dims]]
    scores = centred @ top
    # a deterministic sign per component, as model2vec does
    signs = np.sign(scores[np.abs(scores).argmax(0), np.arange(scores.shape[1])])
    return scores * signs


def _distill(model_dir: Path, out: Path) -> None:
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls is None or sep is None:
        raise RagError(f"{model_dir}/tokenizer.json has no [CLS]/[SEP] — set RAG_ENCODER=onnx")
    n_vocab = tokenizer.get_vocab_size()
    vectors = _pca(_raw_vectors(model_dir, n_vocab, cls, sep), PCA_DIMS)
    # Zipf's law from the vocabulary order (WordPiece ids roughly follow frequency), then SIF.
    inv_rank = 1.0 / np.arange(2, n_vocab + 2)
    weights = SIF / (SIF + inv_rank / inv_rank.sum())
    vectors = (vectors * weights[:, None]).astype(np.float32)
    vocab = tokenizer.get_vocab()
    for name in ("[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"):
        if name in vocab:
            vectors[vocab[name]] = 0.0  # special pieces carry no meaning of their own
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name, dir=out.parent))
    config = {"normalize": True, "apply_pca": PCA_DIMS, "sif_coefficient": SIF}
    StaticModel(vectors, tokenizer, config=config, normalize=True, max_length=None).save_pretrained(
        str(tmp)
    )
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a shared cache folder must be readable
    try:
        os.replace(tmp, out)  # parallel first runs: one wins, the other's copy is dropped
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


class StaticEncoder:
    """A distilled static model; encodes with the base model's own word pieces."""

    def __init__(self, model_dir: Path, cache_dir: Path) -> None:
        from model2vec import StaticModel
        from tokenizers import Tokenizer

        self.path = model_dir_for(model_dir, cache_dir)
        self.model: Any = StaticModel.from_pretrained(str(self.path), max_length=None)
        self.dimension = int(self.model.dim)
        # Chunks are sized for the transformer (the query-time verifier and the index share
        # chunking with the other encoders), so lengths are counted with its tokenizer.
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        st = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_tokens = int(st["max_seq_length"])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        enc = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in enc]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = self.model.encode(list(texts), max_length=None, use_multiprocessing=False)
        return np.asarray(vecs, dtype=np.float32)
