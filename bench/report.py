"""bench/results/latest.json -> the docs/performance.md table (markdown) and a PNG plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROWS = [
    ("ingest MB/s of article text", "mb_per_s", "{:.4f}"),
    ("ingest chunks/s", "chunks_per_s", "{:.1f}"),
    ("chunks", "chunks", "{:.0f}"),
    ("ingest peak RSS (MB)", "ingest_rss_mb", "{:.0f}"),
    ("index on disk (MB)", "index_mb", "{:.1f}"),
    ("retrieval p50 / p95 (ms)", ("retrieve_p50_ms", "retrieve_p95_ms"), "{:.0f}"),
    ("full answer p50 / p95 (ms)", ("answer_p50_ms", "answer_p95_ms"), "{:.0f}"),
    ("query process peak RSS (MB)", "query_rss_mb", "{:.0f}"),
    ("cold ask, median (s)", "cold_ask_s", "{:.2f}"),
    ("evidence hit@5", "hit@5", "{:.3f}"),
    # where an ingest's time goes (ours only): every model and step, so none doubles it unseen
    ("ingest: reading files (s)", "stage:reading", "{:.1f}"),
    ("ingest: sentences and chunks (s)", "stage:chunking", "{:.1f}"),
    ("ingest: encoder, chunks and sentences (s)", "stage:encoder", "{:.1f}"),
    ("ingest: article vectors (s)", "stage:article vectors", "{:.1f}"),
    ("ingest: entities, spaCy (s)", "stage:entities", "{:.1f}"),
    ("ingest: story grouping (s)", "stage:stories", "{:.1f}"),
    ("ingest: Chroma and SQLite writes (s)", "stage:store", "{:.1f}"),
    ("ingest: BM25 rebuild (s)", "stage:bm25", "{:.1f}"),
]


def _cell(d: dict[str, Any], key: Any, fmt: str) -> str:
    """One value (or "a / b"); blank where the pipeline has none (stock's ingest stages)."""
    keys = key if isinstance(key, tuple) else (key,)
    if any(d.get(k) is None for k in keys):
        return ""
    return " / ".join(fmt.format(d[k]) for k in keys)


def _ratio(ratios: dict[str, float], key: str) -> str:
    value = ratios.get(key)
    return f"{value:.2f}×" if value is not None and key != "chunks" else ""


def table(r: dict[str, Any]) -> str:
    lines = []
    if "ratios" in r:
        variants = r.get("variants", {})
        head = "| | ours | stock LlamaIndex | ours / stock |"
        head += "".join(f" ours, {enc} encoder | ours ({enc}) / stock |" for enc in variants)
        lines += [head, "|---|---|---|---|" + "---|---|" * len(variants)]
        for label, key, fmt in ROWS:
            k = str(key[0] if isinstance(key, tuple) else key)
            ours, stock = _cell(r["ours"], key, fmt), _cell(r["stock"], key, fmt)
            row = f"| {label} | {ours} | {stock} | {_ratio(r['ratios'], k)} |"
            for enc, v in variants.items():
                row += f" {_cell(v, key, fmt)} | {_ratio(r['variant_ratios'][enc], k)} |"
            lines.append(row)
    if r.get("scale"):
        other = r["scale"][0].get("learned_model", "shipped")
        lines += [
            "",
            f"| chunks | answer p50 / p95 (ms) | with RAG_ANSWER_MODEL={other} (ms) "
            "| retrieval p50 (ms) "
            "| query RSS (MB) | ingest RSS (MB) | index (MB) | hit@5 | corpus vectors |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for s in r["scale"]:
            learned = _cell(s, ("learned_p50_ms", "learned_p95_ms"), "{:.0f}")
            lines.append(
                f"| {s['chunks']} | {s['p50_ms']:.0f} / {s['p95_ms']:.0f} | {learned} | "
                f"{s['retrieve_p50_ms']:.0f} | {s['rss_mb']:.0f} | {s['ingest_rss_mb']:.0f} | "
                f"{s['index_mb']:.0f} | {s['hit@5']:.2f} | {s['corpus_vectors']} |"
            )
    return "\n".join(lines)


def plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    if "ratios" in r:
        keys = ["mb_per_s", "answer_p50_ms", "cold_ask_s", "ingest_rss_mb", "hit@5"]
        bars = [("ours", r["ratios"])]
        bars += [(f"ours, {enc}", v) for enc, v in r.get("variant_ratios", {}).items()]
        bars += [("stock = 1", dict.fromkeys(keys, 1.0))]
        width = 0.8 / len(bars)
        for j, (label, values) in enumerate(bars):
            xs = [i + (j - (len(bars) - 1) / 2) * width for i in range(len(keys))]
            axes[0].bar(xs, [values.get(k, 0) for k in keys], width, label=label)
        axes[0].set_xticks(list(range(len(keys))), keys, rotation=20)
        axes[0].set_title("ratio to stock (RealTime QA slice)")
        axes[0].legend()
    if r.get("scale"):
        s = r["scale"]
        n = [row["chunks"] for row in s]
        axes[1].plot(n, [row["p50_ms"] for row in s], "o-", label="answer p50 (ms)")
        axes[1].plot(n, [row["p95_ms"] for row in s], "s--", label="answer p95 (ms)")
        axes[1].set_xscale("log")
        axes[1].set_xlabel("chunks")
        axes[1].set_ylabel("ms")
        twin = axes[1].twinx()
        twin.plot(n, [row["rss_mb"] for row in s], "^:", color="gray", label="query RSS (MB)")
        twin.set_ylabel("MB")
        twin.set_ylim(bottom=0)
        axes[1].set_ylim(bottom=0)
        handles = axes[1].get_legend_handles_labels()
        extra = twin.get_legend_handles_labels()
        axes[1].legend(handles[0] + extra[0], handles[1] + extra[1], loc="lower right")
        axes[1].set_title("ours at scale (synthetic)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
