"""Per-question scores -> metrics with bootstrap 95% CIs, and paired differences of pipelines.

Rates are means over the questions they apply to (None when they apply to none); every metric
gets the 2.5th and 97.5th percentiles over BOOTSTRAP resamples of the questions (seed SEED).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .metrics import (
    ABSTENTION_METRICS,
    FIELDS,
    METRICS,
    RATE_METRICS,
    Extra,
    Interval,
    Metrics,
    QuestionScore,
    Summary,
)

BOOTSTRAP = 1000
SEED = 0


def _stats(rows: Sequence[QuestionScore], idx: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric for each resample of questions; idx is (resamples, questions)."""
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, key in FIELDS.items():
            v = np.array([_value(getattr(r, key)) for r in rows], dtype=float)
            taken = v[idx]
            count = (~np.isnan(taken)).sum(axis=1)
            out[name] = np.where(count > 0, np.nansum(taken, axis=1) / np.maximum(count, 1), np.nan)
        unans = np.array([not r.item.answerable for r in rows], dtype=float)[idx]
        absd = np.array([r.outcome.answer.abstained for r in rows], dtype=float)[idx]
        tp = (unans * absd).sum(axis=1)
        fp = ((1 - unans) * absd).sum(axis=1)
        fn = (unans * (1 - absd)).sum(axis=1)
        out["abstention_precision"] = tp / (tp + fp)
        out["abstention_recall"] = tp / (tp + fn)
        out["abstention_f1"] = 2 * tp / (2 * tp + fp + fn)
        lat = np.array([r.latency_ms for r in rows], dtype=float)[idx]
        out["latency_p50_ms"] = np.percentile(lat, 50, axis=1)
        out["latency_p95_ms"] = np.percentile(lat, 95, axis=1)
    return out


def _value(x: float | None) -> float:
    return np.nan if x is None else x


def _num(x: float) -> float | None:
    return None if x is None or np.isnan(x) else round(float(x), 4)


def _interval(values: np.ndarray) -> Interval | None:
    """The 2.5th and 97.5th percentiles of the defined values; None when none is."""
    ok = values[~np.isnan(values)]
    if not len(ok):
        return None
    return [round(float(np.percentile(ok, 2.5)), 4), round(float(np.percentile(ok, 97.5)), 4)]


def aggregate(rows: Sequence[QuestionScore]) -> Summary:
    """Point values (None = undefined, e.g. 0/0) and bootstrap 95% CIs."""
    n = len(rows)
    point = {k: v[0] for k, v in _stats(rows, np.arange(n)[None, :]).items()}
    rng = np.random.default_rng(SEED)
    boot = _stats(rows, rng.integers(0, n, size=(BOOTSTRAP, n)))
    metrics = Metrics.from_names({**{k: _num(point[k]) for k in METRICS if k != "n"}, "n": n})
    extra = Extra(
        answer_words=_num(point["answer_words"]),
        mc_accuracy=_num(point["mc_accuracy"]),
        answerable=sum(r.item.answerable for r in rows),
        unanswerable=sum(not r.item.answerable for r in rows),
        abstained=sum(r.outcome.answer.abstained for r in rows),
        answer_retrieved=_num(point["answer_retrieved"]),
    )
    keep = [*METRICS[:-1], "answer_words", "mc_accuracy", "answer_retrieved"]
    return Summary(metrics, {k: _interval(boot[k]) for k in keep}, extra)


def paired_difference(
    ours: Sequence[QuestionScore], other: Sequence[QuestionScore]
) -> dict[str, list[float | None]]:
    """Ours minus the other pipeline on the same questions, with a paired bootstrap 95% CI
    (the same resampled questions for both): {metric: [difference, low, high]}."""
    n = len(ours)
    idx = np.vstack([np.arange(n), np.random.default_rng(SEED).integers(0, n, (BOOTSTRAP, n))])
    a, b = _stats(ours, idx), _stats(other, idx)
    out: dict[str, list[float | None]] = {}
    for name in (*RATE_METRICS, *ABSTENTION_METRICS, "mc_accuracy", "answer_retrieved"):
        d = a[name] - b[name]
        ok = d[1:][~np.isnan(d[1:])]
        if np.isnan(d[0]) or not len(ok):
            continue
        out[name] = [_num(d[0]), _num(np.percentile(ok, 2.5)), _num(np.percentile(ok, 97.5))]
    return out
