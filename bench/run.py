"""RealTime QA slice + synthetic corpora -> bench/results/latest.json: `make bench`.

Ours vs stock LlamaIndex on a RealTime QA slice, then ours on synthetic corpora. The RealTime
QA data is read from --datasets (or $RAG_DATASETS; default ../shared/datasets beside the
repository). Every step runs in its own process (peak RSS is that step's). Writes
bench/results/latest.json and bench/results/latest.png, and prints the table for
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"  # beside the repository


def step(task: str, args: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one bench.worker task; its last stdout line is its JSON result."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.worker", task, json.dumps(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"bench step {task} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"  {task}: {json.dumps({k: round(v, 2) for k, v in result.items()})}", flush=True)
    return result


def cold(cmd: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """Process start to printed answer, after one untimed run (warm disk cache)."""
    times = []
    for i in range(runs + 1):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, check=True)
        if i:
            times.append(time.perf_counter() - t)
    return {"cold_ask_s": statistics.median(times), "cold_ask_min_s": min(times)}


def machine() -> dict[str, Any]:
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem = next(ln.split()[1] for ln in meminfo if ln.startswith("MemTotal"))
    import onnxruntime

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem) / 1e6, 1),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "load_avg_start": os.getloadavg(),
    }


def rtqa_slice(src: Path, dest: Path, questions: int) -> tuple[Path, list[dict[str, Any]], float]:
    """(corpus dir, questions with their gold doc ids, MB of article text) for the first N."""
    from rag.eval.dataset import gold_spans, load_set, read_corpus
    from rag.eval.realtimeqa import build

    eval_set, corpus, _ = build(src, dest, questions)
    articles = read_corpus(corpus)
    texts = {d: a.text for d, a in articles.items()}
    qs = []
    for item in load_set(eval_set):
        spans, _ = gold_spans(item, texts)
        gold = sorted({s[0] for g in spans for s in g})
        qs.append({"question": item.question, "gold": gold, "as_of": item.as_of})
    mb = sum(len(a.text.encode("utf-8")) for a in articles.values()) / 1e6
    return corpus, qs, mb


def side_by_side(opts: argparse.Namespace, work: Path) -> dict[str, Any]:
    corpus, questions, mb = rtqa_slice(opts.realtimeqa, work / "rtqa", opts.questions)
    print(f"RealTime QA slice: {len(questions)} questions, {mb:.2f} MB of article text", flush=True)
    out: dict[str, Any] = {}
    q0 = questions[0]["question"]
    for name in opts.pipelines:
        kind, _, encoder = name.partition(":")  # "ours:static": ours with another encoder
        encoder = encoder or opts.encoder
        args = {"corpus": str(corpus), "index": str(work / f"{name.replace(':', '-')}-index")}
        args["encoder"] = encoder
        ingest = step(f"ingest-{kind}", args)
        query = step(f"query-{kind}", {**args, "questions": questions})
        if kind == "ours":
            env = {"RAG_INDEX_DIR": args["index"], "RAG_ENCODER": encoder}
            c = cold([str(Path(sys.executable).parent / "rag"), "ask", q0], env, opts.cold_runs)
        else:
            cmd = [sys.executable, "-m", "bench.worker", "ask-stock"]
            c = cold([*cmd, json.dumps({**args, "question": q0})], {}, opts.cold_runs)
        print(f"  cold ask: {c['cold_ask_s']:.2f} s", flush=True)
        out[name] = {**ingest, **query, **c, "mb": mb, "mb_per_s": mb / ingest["ingest_s"]}
        if kind == "ours":
            out[name]["encoder"] = encoder
    return out


def ratios(ours: dict[str, Any], stock: dict[str, Any]) -> dict[str, float]:
    keys = ["mb_per_s", "chunks_per_s", "ingest_rss_mb", "index_mb", "retrieve_p50_ms"]
    keys += ["answer_p50_ms", "answer_p95_ms", "cold_ask_s", "query_rss_mb", "hit@5"]
    return {k: ours[k] / stock[k] for k in keys if stock.get(k)}


def scale(opts: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from bench.synthetic import write_corpus

    rows = []
    for n in opts.scale:
        corpus = work / f"synthetic-{n}"
        questions = write_corpus(corpus, n)  # about one chunk per article
        step_q = [
            {"question": q["question"], "gold": [q["doc"]]}
            for q in questions[:: max(1, n // opts.scale_questions)]
        ][: opts.scale_questions]
        args = {"corpus": str(corpus), "index": str(work / f"scale-{n}"), "encoder": opts.encoder}
        vectors = "model" if n <= opts.model_vectors_up_to else "random"
        print(f"scale {n} ({vectors} corpus vectors)", flush=True)
        ingest = step("ingest-ours", {**args, "vectors": vectors})
        query = step("query-ours", {**args, "questions": step_q})
        learned = {"answer_p50_ms": None, "answer_p95_ms": None}
        if opts.answer_model:  # the same questions with another answer model (none: heuristic)
            ask = {**args, "questions": step_q, "answer_model": opts.answer_model}
            learned = step("query-ours", ask)
        rows.append(
            {
                "chunks": ingest["chunks"],
                "p50_ms": query["answer_p50_ms"],
                "p95_ms": query["answer_p95_ms"],
                "retrieve_p50_ms": query["retrieve_p50_ms"],
                "rss_mb": query["query_rss_mb"],
                "ingest_rss_mb": ingest["ingest_rss_mb"],
                "ingest_s": ingest["ingest_s"],
                "index_mb": ingest["index_mb"],
                "hit@5": query["hit@5"],
                "corpus_vectors": vectors,
                "learned_p50_ms": learned["answer_p50_ms"],
                "learned_p95_ms": learned["answer_p95_ms"],
                "learned_model": opts.answer_model,
            }
        )
    return rows


def options(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--questions", type=int, default=20, help="RealTime QA questions in the slice")
    p.add_argument(
        "--datasets",
        type=Path,
        default=Path(os.environ.get("RAG_DATASETS") or DATASETS),
        help="folder holding realtimeqa/2023 (default: $RAG_DATASETS, else ../shared/datasets "
        "beside the repository)",
    )
    p.add_argument(
        "--realtimeqa",
        type=Path,
        help="folder of *_qa/*_gcs.jsonl (default: DATASETS/realtimeqa/2023)",
    )
    p.add_argument(
        "--scale", type=lambda s: [int(x) for x in s.split(",") if x], default=[1000, 10000, 100000]
    )
    p.add_argument("--scale-questions", type=int, default=40)
    p.add_argument(
        "--model-vectors-up-to",
        type=int,
        default=1000,
        help="larger synthetic corpora store seeded random unit vectors instead of embedding "
        "(labelled in the results; questions always use the model): the 2-core CPU embeds "
        "about 5-10 chunks/s",
    )
    p.add_argument(
        "--encoder", default="onnx", choices=["torch", "onnx", "onnx-int8", "static"], help="ours"
    )
    p.add_argument(
        "--answer-model",
        default="none",
        help="the scale runs also answer with this RAG_ANSWER_MODEL (its latency in the table; "
        "none: the heuristic alone, the default answers with the shipped model); '' to skip",
    )
    p.add_argument("--cold-runs", type=int, default=5)
    p.add_argument(
        "--pipelines",
        type=lambda s: s.split(","),
        default=["ours", "stock", "ours:onnx-int8", "ours:static"],
        help="ours,stock[,ours:ENCODER]: ours:ENCODER repeats our run with another RAG_ENCODER",
    )
    p.add_argument("--skip-compare", action="store_true", help="only the scale runs")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    opts = p.parse_args(argv)
    opts.realtimeqa = opts.realtimeqa or opts.datasets / "realtimeqa" / "2023"
    if not opts.skip_compare and not opts.realtimeqa.is_dir():
        sys.exit(
            f"no RealTime QA data at {opts.realtimeqa}: set RAG_DATASETS or pass --datasets DIR "
            "(the folder holding realtimeqa/2023), or --realtimeqa DIR, or --skip-compare"
        )
    return opts


def main() -> None:
    opts = options()
    result: dict[str, Any] = {"machine": machine(), "options": {**vars(opts)}}
    result["options"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(opts).items()}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        work = Path(tmp)
        if not opts.skip_compare:
            runs = side_by_side(opts, work)
            result.update({k: v for k, v in runs.items() if ":" not in k})
            # "ours:ENCODER" runs: the same steps with another encoder, against the same stock
            result["variants"] = {k.split(":")[1]: v for k, v in runs.items() if ":" in k}
            if "stock" in runs:
                if "ours" in runs:
                    result["ratios"] = ratios(runs["ours"], runs["stock"])
                result["variant_ratios"] = {
                    enc: ratios(v, runs["stock"]) for enc, v in result["variants"].items()
                }
        result["scale"] = scale(opts, work) if opts.scale else []
    result["machine"]["load_avg_end"] = os.getloadavg()
    result["seconds"] = time.perf_counter() - t0
    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / "latest.json").write_text(json.dumps(result, indent=2))
    from bench.report import plot, table

    plot(result, opts.out / "latest.png")
    print(table(result))
    print(f"wrote {opts.out / 'latest.json'} and {opts.out / 'latest.png'}")
