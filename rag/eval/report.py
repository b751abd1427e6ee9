"""Eval results -> results.json, report.md, report.html and PNG plots in one folder."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import ABSTENTION_METRICS, RATE_METRICS, EvalResult, PipelineRun, QuestionScore

PLOTTED = (*RATE_METRICS, "mc_accuracy", *ABSTENTION_METRICS)
FAILURES_SHOWN = 100
CITES_SHOWN = 5


def _fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _cell(cfg: PipelineRun, name: str) -> str:
    v, ci = cfg.summary.value(name), cfg.summary.ci.get(name)
    digits = 0 if name.startswith("latency") else 3
    if v is None:
        return "n/a"
    return f"{_fmt(v, digits)} [{_fmt(ci[0], digits)}, {_fmt(ci[1], digits)}]" if ci else _fmt(v)


def rows(result: EvalResult) -> list[str]:
    """Names shown in the metrics table, in order."""
    names = [*RATE_METRICS, *ABSTENTION_METRICS, "latency_p50_ms", "latency_p95_ms"]
    names += [
        n
        for n in ("answer_words", "mc_accuracy", "answer_retrieved")
        if result.ours.summary.value(n) is not None
    ]
    return names


def plot_metrics(result: EvalResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cfgs = result.pipelines()
    names = [n for n in PLOTTED if any(c.summary.value(n) is not None for c in cfgs.values())]
    y = np.arange(len(names))
    height = 0.8 / len(cfgs)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    for i, (label, cfg) in enumerate(cfgs.items()):
        vals = [cfg.summary.value(n) for n in names]
        lo, hi = [], []
        for n, v in zip(names, vals, strict=True):
            ci = cfg.summary.ci.get(n)
            lo.append(v - ci[0] if v is not None and ci else 0)
            hi.append(ci[1] - v if v is not None and ci else 0)
        ax.barh(
            y + i * height,
            [v or 0 for v in vals],
            height,
            xerr=[lo, hi],
            capsize=2,
            label=label,
        )
    ax.set_yticks(y + height * (len(cfgs) - 1) / 2, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("rate (bars: value, whiskers: bootstrap 95% CI; missing bar = n/a)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(result: EvalResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    for label, cfg in result.pipelines().items():
        ms = [r.latency_ms for r in cfg.per_question]
        p50 = cfg.summary.metrics.latency_p50_ms
        ax.hist(ms, bins=30, alpha=0.6, label=f"{label} (p50 {p50} ms)")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def failures(cfg: PipelineRun) -> list[tuple[str, QuestionScore]]:
    """(why, row) for each question answered wrongly, cited off the gold, or not abstained on."""
    out = []
    for r in cfg.per_question:
        why = []
        abstained = r.outcome.answer.abstained
        if r.item.answerable:
            if abstained:
                why.append("abstained on an answerable question")
            elif r.correct == 0:
                why.append("answer missing")
            if r.citation_recall is not None and r.citation_recall < 1 and not abstained:
                why.append("gold quote not cited")
        elif not abstained:
            why.append("answered an unanswerable question")
        if why:
            out.append(("; ".join(why), r))
    return out


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def differences(result: EvalResult) -> list[str]:
    """Ours minus each compared pipeline that has paired differences, as table lines."""
    lines: list[str] = []
    for label, cfg in result.compare.items():
        diff = cfg.difference
        if diff:
            lines += [f"Ours minus {label} on the same questions (paired bootstrap 95% CI):", ""]
            lines += ["| metric | difference |", "|---|---|"]
            lines += [
                f"| {k} | {d:+.3f} [{lo:+.3f}, {hi:+.3f}] |" for k, (d, lo, hi) in diff.items()
            ]
            lines.append("")
    return lines


def markdown(result: EvalResult) -> str:
    cfgs = result.pipelines()
    lines = _header(result)
    lines += ["", "| metric | " + " | ".join(cfgs) + " |", "|---|" + "---|" * len(cfgs)]
    for name in rows(result):
        lines.append(f"| {name} | " + " | ".join(_cell(c, name) for c in cfgs.values()) + " |")
    lines += ["", "Values with bootstrap 95% CIs (1000 resamples of the questions).", ""]
    lines += differences(result)
    lines += ["![metrics](metrics.png)", "", "![latency](latency.png)", ""]
    for w in result.warnings[:20]:
        lines.append(f"- warning: {w}")
    for label, cfg in cfgs.items():
        fails = failures(cfg)
        lines += ["", f"## Failures: {label} ({len(fails)} of {cfg.summary.metrics.n})", ""]
        for why, r in fails[:FAILURES_SHOWN]:
            lines += _failure(why, r)
    return "\n".join(lines).rstrip() + "\n"


def _header(result: EvalResult) -> list[str]:
    """The title and what was run: set, corpus, counts, settings, checker, index."""
    s, extra = result.settings, result.ours.summary.extra
    lines = [
        "# Citation-accuracy evaluation",
        "",
        f"- set: `{result.set}`; corpus: `{result.corpus}`",
        f"- questions: {result.ours.summary.metrics.n} ({extra.answerable} answerable, "
        f"{extra.unanswerable} unanswerable)",
        f"- backend `{s['llm']}`, top_k {s['top_k']}, embedding model `{s['embed_model']}`",
        f"- answer model `{s.get('answer_model', 'none')}` (whether to answer: "
        f"{s.get('abstain_with', 'heuristic')}; reranking depth {s.get('rerank_depth', 0)})",
        f"- support checker: {result.checker}",
        f"- index: {result.ours.index['ingest']}",
        f"- run time: {result.seconds} s",
    ]
    if result.realtimeqa is not None:
        lines.append(f"- RealTime QA: {json.dumps(result.realtimeqa)}")
    if "stock" in result.compare:
        lines.append(
            "- stock: LlamaIndex VectorStoreIndex (SentenceSplitter defaults) over Chroma, "
            "CitationQueryEngine with MockLLM; its answer is its top citation chunk, its "
            "citations all citation chunks"
        )
    return lines


def _failure(why: str, r: QuestionScore) -> list[str]:
    """One failed question: why, its gold quotes and what was cited (✓ overlaps the gold)."""
    answer = r.outcome.answer
    lines = [f"### {r.item.id}: {r.item.question}", f"*{why}*", ""]
    for doc, quote in r.item.evidence:
        lines.append(f"- gold ({doc}): “{_short(quote)}”")
    if answer.abstained:
        lines.append("- abstained")
    cited = list(zip(answer.citations, r.cited_gold, strict=True))
    for c, gold in cited[:CITES_SHOWN]:
        mark = "✓" if gold else "✗"
        lines.append(
            f"- cited [{c.n}] {mark} {c.doc_id} {c.char_start}–{c.char_end}: “{_short(c.quote)}”"
        )
    if len(cited) > CITES_SHOWN:
        lines.append(f"- … {len(cited) - CITES_SHOWN} more citations")
    lines.append("")
    return lines


STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
    "img{max-width:100%}h3{font-size:1rem;margin-bottom:.2rem}"
)


def to_html(md: str) -> str:
    """The markdown report as a standalone page (CommonMark + tables; raw HTML is escaped)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(md)
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8"><title>Citation-accuracy evaluation'
        f"</title><style>{STYLE}</style></head><body>\n{body}</body></html>\n"
    )


def write_report(result: EvalResult, out: Path) -> list[Path]:
    """Write everything into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "results.json", out / "metrics.png", out / "latency.png"]
    data = json.dumps(result.as_dict(), ensure_ascii=False, indent=2)
    files[0].write_text(data, encoding="utf-8")
    plot_metrics(result, files[1])
    plot_latency(result, files[2])
    md = markdown(result)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(to_html(md), encoding="utf-8")
    return [*files, out / "report.md", out / "report.html"]


def summary(result: EvalResult) -> str:
    """The metrics table for the terminal."""
    cfgs = result.pipelines()
    width = max(len(n) for n in rows(result)) + 2
    lines = [f"{'metric':<{width}}" + "".join(f"{label:<28}" for label in cfgs)]
    for name in rows(result):
        lines.append(f"{name:<{width}}" + "".join(f"{_cell(c, name):<28}" for c in cfgs.values()))
    lines.append(f"n = {result.ours.summary.metrics.n} questions, {result.seconds} s")
    return "\n".join(lines)
