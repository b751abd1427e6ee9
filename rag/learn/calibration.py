"""Held-out pairs + the model's probabilities -> ranking metrics, a reliability curve and the
abstention threshold.

Each held-out question is a group of candidate sentences. It is asked twice: as it is
(answerable: its answer sentences are there) and with its answer sentences removed (on topic,
but the passage no longer says). The model should answer the first with an answer sentence
and abstain on the second; the threshold on the best candidate's probability is the one with
the best balanced accuracy of that decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .pairs import Pair

BINS = 10


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """P(a random positive outscores a random negative); ties count half."""
    if not len(pos) or not len(neg):
        return float("nan")
    p, n = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float((p > n).mean() + 0.5 * (p == n).mean())


def groups(pairs: Sequence[Pair], probs: np.ndarray) -> dict[str, list[tuple[float, int]]]:
    out: dict[str, list[tuple[float, int]]] = {}
    for p, prob in zip(pairs, probs, strict=True):
        out.setdefault(p.qid, []).append((float(prob), p.label))
    return out


def pair_metrics(pairs: Sequence[Pair], probs: np.ndarray) -> dict[str, float]:
    """Pair AUC (and against same-passage negatives alone), top-1 accuracy per question."""
    labels = np.array([p.label for p in pairs])
    passage = np.array([p.kind == "passage" for p in pairs])
    g = groups(pairs, probs)
    top1 = [max(c)[1] for c in g.values()]
    return {
        "auc": round(auc(probs[labels == 1], probs[labels == 0]), 4),
        "auc_same_passage": round(auc(probs[labels == 1], probs[passage]), 4),
        "top1": round(float(np.mean(top1)), 4),
        "questions": len(g),
    }


def reliability(pairs: Sequence[Pair], probs: np.ndarray) -> list[dict[str, Any]]:
    """Per probability bin: pairs, mean predicted probability, share that answer."""
    labels = np.array([p.label for p in pairs])
    out = []
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        inside = (probs >= lo) & ((probs < hi) if b < BINS - 1 else (probs <= hi))
        if inside.any():
            out.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "pairs": int(inside.sum()),
                    "predicted": round(float(probs[inside].mean()), 3),
                    "observed": round(float(labels[inside].mean()), 3),
                }
            )
    return out


def decisions(g: dict[str, list[tuple[float, int]]], t: float) -> dict[str, float]:
    """Outcomes at threshold t over answerable groups and their answer-removed twins.

    The threshold decides answer-or-abstain; which sentence is picked is the ranking's job, so
    "detected" counts an answerable group answered at all, and top-1 is reported beside it.
    """
    answered = answered_right = abstained_right = 0
    for cands in g.values():
        best, label = max(cands)
        answered += best >= t
        answered_right += best >= t and label == 1
        rest = [c for c in cands if c[1] == 0]
        abstained_right += not rest or max(rest)[0] < t
    n = len(g)
    if not n:
        return {}
    # abstention as the positive class, as `rag eval` counts it
    tp, fp, fn = abstained_right, n - answered, n - abstained_right
    return {
        "balanced_accuracy": round((answered + abstained_right) / (2 * n), 4),
        "answered": round(answered / n, 4),
        "answered_right": round(answered_right / n, 4),
        "abstained_right": round(abstained_right / n, 4),
        "abstention_f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0,
    }


def calibrate(pairs: Sequence[Pair], probs: np.ndarray) -> dict[str, Any]:
    """The threshold with the best balanced answer/abstain accuracy (ties: the lower)."""
    g = groups(pairs, probs)
    grid = [round(t, 2) for t in np.arange(0.05, 0.96, 0.01)]
    curve = {t: decisions(g, t) for t in grid}
    best = max(grid, key=lambda t: (curve[t]["balanced_accuracy"], -t))
    return {
        "threshold": best,
        **curve[best],
        "threshold_curve": [{"threshold": t, **curve[t]} for t in grid[::5]],
        "reliability": reliability(pairs, probs),
    }


def fit_combination(
    probs: np.ndarray, cosine: np.ndarray, overlap: np.ndarray, labels: np.ndarray
) -> dict[str, float]:
    """Logistic regression of the label on (model logit, cosine, term share): full-batch
    gradient descent from zero, so the same data gives the same weights."""
    p = np.clip(probs.astype(np.float64), 1e-6, 1 - 1e-6)
    x = np.c_[np.log(p / (1 - p)), cosine, overlap, np.ones(len(p))]
    y = labels.astype(np.float64)
    w = np.zeros(x.shape[1])
    for _ in range(5000):
        w -= 0.5 * x.T @ (1 / (1 + np.exp(-x @ w)) - y) / len(y)
    names = ("logit", "cosine", "overlap", "bias")
    return {k: round(float(v), 4) for k, v in zip(names, w, strict=True)}


def judge_with_cheap_signals(dev: list[Pair], probs: np.ndarray) -> dict[str, Any]:
    """The heuristic alone, the model alone, and both joined (the shipped score), each with
    its ranking metrics and calibrated threshold on the held-out pairs."""
    from ..answer_model import combine
    from ..embed import Embedder
    from ..settings import Settings
    from ..text import terms

    settings = Settings()
    embedder = Embedder.from_settings(settings)
    questions = sorted({p.question for p in dev})
    qv = dict(zip(questions, embedder.encode(questions), strict=True))
    sv = embedder.encode([p.text for p in dev])
    cosine = np.array([float(sv[i] @ qv[p.question]) for i, p in enumerate(dev)])
    overlap = []
    for p in dev:
        q = set(terms(p.question))
        overlap.append(len(q & set(terms(p.text))) / len(q) if q else 0.0)
    share = np.array(overlap)
    labels = np.array([p.label for p in dev])
    w = settings.lexical_weight
    weights = fit_combination(probs, cosine, share, labels)
    scores = {
        "heuristic": (1 - w) * cosine + w * share,
        "model": probs,
        "combined": combine(weights, probs, cosine, share),
    }
    out: dict[str, Any] = {"weights": weights}
    for name, s in scores.items():
        out[name] = {**pair_metrics(dev, s), **calibrate(dev, s)}
    return out


def pick_version(versions: dict[str, dict[str, Any]]) -> str:
    """int8 unless it loses more than 0.01 of held-out pair AUC or 0.02 of top-1 accuracy
    (three questions in 150)."""
    fp32, int8 = versions["model-fp32.onnx"], versions["model-int8.onnx"]
    keeps = int8["auc"] >= fp32["auc"] - 0.01 and int8["top1"] >= fp32["top1"] - 0.02
    return "model-int8.onnx" if keeps else "model-fp32.onnx"
