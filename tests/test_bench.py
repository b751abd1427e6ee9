"""The bench's synthetic corpus: deterministic, one answerable fact per article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.synthetic import write_corpus

from .conftest import ROOT


def test_synthetic_corpus_is_deterministic_and_answerable(tmp_path: Path) -> None:
    questions = write_corpus(tmp_path / "a", 20, seed=3)
    again = write_corpus(tmp_path / "b", 20, seed=3)
    first = (tmp_path / "a" / "synthetic.jsonl").read_text()
    assert first == (tmp_path / "b" / "synthetic.jsonl").read_text() and questions == again
    records = [json.loads(line) for line in first.splitlines()]
    assert len(records) == 20 and len({r["text"] for r in records}) == 20
    for q, r in zip(questions, records, strict=True):
        place = q["question"].split(" did the ")[1].split()[0]
        assert q["doc"].startswith("synthetic/") and f"The {place} " in r["text"]


def test_table_puts_each_encoder_variant_beside_stock() -> None:
    from bench.report import table

    keys = ["mb_per_s", "chunks_per_s", "chunks", "ingest_rss_mb", "index_mb", "retrieve_p50_ms"]
    keys += ["retrieve_p95_ms", "answer_p50_ms", "answer_p95_ms", "query_rss_mb", "cold_ask_s"]
    ours = {k: 1.0 for k in [*keys, "hit@5"]}
    stock = {**ours, "mb_per_s": 0.5}
    static = {**ours, "mb_per_s": 2.0, "hit@5": 0.5}
    result = {
        "ours": ours,
        "stock": stock,
        "ratios": {"mb_per_s": 2.0, "hit@5": 1.0},
        "variants": {"static": static},
        "variant_ratios": {"static": {"mb_per_s": 4.0, "hit@5": 0.5}},
    }
    lines = table(result).splitlines()
    assert "ours, static encoder" in lines[0] and "ours (static) / stock" in lines[0]
    ingest = next(line for line in lines if line.startswith("| ingest MB/s"))
    assert ingest.split("|")[4].strip() == "2.00×" and ingest.split("|")[6].strip() == "4.00×"
    hit = next(line for line in lines if line.startswith("| evidence hit@5"))
    assert hit.split("|")[5].strip() == "0.500" and hit.split("|")[6].strip() == "0.50×"


def test_datasets_folder_comes_from_the_flag_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.run import options

    monkeypatch.delenv("RAG_DATASETS", raising=False)
    default = options(["--skip-compare"]).datasets
    assert default.resolve() == ROOT.resolve().parent / "shared" / "datasets"
    monkeypatch.setenv("RAG_DATASETS", str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit) as missing:
        options([])
    message = str(missing.value.code)
    assert str(tmp_path / "nowhere") in message and "\n" not in message
    assert "RAG_DATASETS" in message and "--datasets" in message
    (tmp_path / "data" / "realtimeqa" / "2023").mkdir(parents=True)
    monkeypatch.setenv("RAG_DATASETS", str(tmp_path / "data"))
    assert options([]).realtimeqa == tmp_path / "data" / "realtimeqa" / "2023"
    monkeypatch.setenv("RAG_DATASETS", str(tmp_path / "nowhere"))
    flag = options(["--datasets", str(tmp_path / "data")])
    assert flag.realtimeqa == tmp_path / "data" / "realtimeqa" / "2023"


def test_table_times_every_ingest_step_of_ours_and_leaves_stock_blank() -> None:
    from bench.report import table

    keys = ["mb_per_s", "chunks_per_s", "chunks", "ingest_rss_mb", "index_mb", "retrieve_p50_ms"]
    keys += ["retrieve_p95_ms", "answer_p50_ms", "answer_p95_ms", "query_rss_mb", "cold_ask_s"]
    stock = {k: 1.0 for k in [*keys, "hit@5"]}
    ours = {**stock, "stage:encoder": 40.0, "stage:entities": 12.5, "stage:stories": 0.4}
    lines = table({"ours": ours, "stock": stock, "ratios": {}}).splitlines()
    row = {line.split("|")[1].strip(): line.split("|") for line in lines if line.startswith("|")}
    assert row["ingest: entities, spaCy (s)"][2].strip() == "12.5"
    assert row["ingest: entities, spaCy (s)"][3].strip() == ""  # stock has no such step
    assert row["ingest: story grouping (s)"][2].strip() == "0.4"
    assert row["ingest: BM25 rebuild (s)"][2].strip() == ""  # not measured: blank, not 0
    scale = {"chunks": 100, "p50_ms": 30.0, "p95_ms": 40.0, "retrieve_p50_ms": 20.0}
    scale |= {"rss_mb": 1.0, "ingest_rss_mb": 1.0, "index_mb": 1.0, "hit@5": 1.0}
    scale |= {"corpus_vectors": "model", "learned_p50_ms": 150.0, "learned_p95_ms": 190.0}
    last = table({"scale": [scale]}).splitlines()[-1]
    assert last.split("|")[2].strip() == "30 / 40" and last.split("|")[3].strip() == "150 / 190"
